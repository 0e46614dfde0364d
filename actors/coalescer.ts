/**
 * Many posts, one actor message. nact runs every message in its own event-loop turn (a setImmediate and two
 * promise hops), which dominates when actors exchange small messages at a high rate. A `Coalescer` gathers what
 * is posted to one actor and sends the actor a single wake-up message when the first item arrives after the
 * last `take`; the actor then takes everything gathered so far, in posting order. It is the actor's mailbox
 * with batching, not shared state: only the receiving actor takes, only senders post (one thread).
 */
export class Coalescer<T> {
  private items: T[] = [];
  private woken = false;

  constructor(private readonly wake: () => void) {}

  post(item: T): void {
    this.items.push(item);
    if (this.woken) return;
    this.woken = true;
    this.wake();
  }

  /** Everything posted since the last take, oldest first; the next post wakes the actor again. */
  take(): T[] {
    const taken = this.items;
    this.items = [];
    this.woken = false;
    return taken;
  }
}
