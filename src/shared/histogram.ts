/**
 * A cumulative histogram with fixed bucket bounds that takes many equal observations at once: correlation records
 * one observation per batch of events (weighted by its size) instead of one per event, and the metrics endpoint
 * reads it when scraped.
 */

export class WeightedHistogram {
  /** Per bucket (not cumulative); the last one is for values above every bound (+Inf). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!((bounds[i] as number) > (bounds[i - 1] as number))) throw new RangeError(`histogram bounds must increase: ${bounds.join(', ')}`);
    }
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** `weight` observations of `value`. */
  observe(value: number, weight = 1): void {
    if (!(weight > 0) || !Number.isFinite(value)) return;
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + weight;
    this.sum += value * weight;
    this.count += weight;
  }

  /** Cumulative counts per bound (`le`), then the total for +Inf. */
  cumulative(): number[] {
    let acc = 0;
    return this.counts.map((n) => (acc += n));
  }
}
