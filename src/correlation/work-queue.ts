/**
 * What a directive has to handle, in order: batches of events as they came (kept whole: no copy per event),
 * clock ticks (a time in ms) and configuration changes (`C`: they take effect between the events before and after
 * them). A batch may carry a `done` callback, called once its last event has been taken: that is when the events
 * of the batch stop counting as waiting for this directive.
 */

import type { TimedEvent } from './items.js';

interface Segment<C> {
  readonly events: readonly TimedEvent[] | undefined;
  readonly tick: number;
  readonly done: (() => void) | undefined;
  readonly change: C | undefined;
}

export class WorkQueue<C extends object = never> {
  private segments: Array<Segment<C>> = [];
  private head = 0;
  private offset = 0;

  /** An empty batch is done at once. */
  pushBatch(events: readonly TimedEvent[], done?: () => void): void {
    if (events.length === 0) done?.();
    else this.segments.push({ events, tick: 0, done, change: undefined });
  }

  pushTick(now: number): void {
    this.segments.push({ events: undefined, tick: now, done: undefined, change: undefined });
  }

  pushChange(change: C): void {
    this.segments.push({ events: undefined, tick: 0, done: undefined, change });
  }

  get empty(): boolean {
    return this.head >= this.segments.length;
  }

  /** The next item: an event, a tick time, or a change. Call only when not empty. */
  next(): TimedEvent | number | C {
    const segment = this.segments[this.head] as Segment<C>;
    if (segment.events === undefined) {
      this.advance();
      return segment.change ?? segment.tick;
    }
    const timed = segment.events[this.offset++] as TimedEvent;
    if (this.offset >= segment.events.length) {
      this.advance();
      segment.done?.();
    }
    return timed;
  }

  private advance(): void {
    this.head++;
    this.offset = 0;
    if (this.head >= this.segments.length) {
      this.segments = [];
      this.head = 0;
    }
  }
}
