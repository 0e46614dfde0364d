// Waiting helpers for integration tests: poll a condition until it holds, or
// count asynchronous events (like nats.js's test `Lock`).

export interface WaitForOptions {
  /** Give up after this many milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Pause between probes in milliseconds (default 25). */
  readonly intervalMs?: number;
  /** What is being waited for, used in the timeout message (default "condition"). */
  readonly what?: string;
}

/** The values a probe returns to say "not yet". */
type NotReady = undefined | null | false;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Calls `probe` until it returns (or resolves to) something other than
 * `undefined`, `null` or `false`, and resolves with that value. A probe that
 * throws counts as "not yet" (its last error is quoted in the timeout message).
 * Rejects with `timed out after <timeoutMs>ms waiting for <what>`.
 */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: WaitForOptions = {},
): Promise<Exclude<T, NotReady>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 25;
  const what = options.what ?? 'condition';
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let hasError = false;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, NotReady>;
      hasError = false;
    } catch (error) {
      lastError = error;
      hasError = true;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const suffix = hasError ? ` (last error: ${describeError(lastError)})` : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${suffix}`);
    }
    await sleep(Math.min(intervalMs, left));
  }
}

export interface LatchOptions {
  /** Reject if the latch has not been released after this many milliseconds (default 5000; 0 = never). */
  readonly timeoutMs?: number;
  /** What the latch stands for, used in the timeout message (default "latch"). */
  readonly what?: string;
}

/**
 * A countdown latch: resolves once `count()` has been called `expected` times,
 * rejects if that has not happened within the timeout (counted from
 * construction). Await it directly (`await latch`) or through `wait()`.
 */
export class Latch implements PromiseLike<void> {
  readonly expected: number;
  private counted = 0;
  private readonly promise: Promise<void>;
  private resolveFn!: () => void;
  private rejectFn!: (error: Error) => void;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;

  constructor(expected = 1, options: LatchOptions = {}) {
    if (!Number.isInteger(expected) || expected < 0) throw new Error(`Latch: expected must be a non-negative integer, got ${expected}`);
    this.expected = expected;
    const timeoutMs = options.timeoutMs ?? 5000;
    const what = options.what ?? 'latch';
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    // Nobody may be awaiting yet when the timeout fires: keep that from being an unhandled rejection.
    this.promise.catch(() => undefined);
    if (expected === 0) {
      this.settle();
    } else if (timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.settle(new Error(`timed out after ${timeoutMs}ms waiting for ${what} (${this.counted} of ${this.expected} counts)`));
      }, timeoutMs);
    }
  }

  /** How many `count()` calls are still missing. */
  get remaining(): number {
    return Math.max(0, this.expected - this.counted);
  }

  /** Records one event; the latch resolves on the `expected`-th call. Later calls are ignored. */
  count(): void {
    this.counted += 1;
    if (this.counted >= this.expected) this.settle();
  }

  /** Rejects the latch now (e.g. from an error callback). */
  fail(error: Error): void {
    this.settle(error);
  }

  wait(): Promise<void> {
    return this.promise;
  }

  then<R1 = void, R2 = never>(
    onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.promise.then(onFulfilled, onRejected);
  }

  private settle(error?: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (error === undefined) this.resolveFn();
    else this.rejectFn(error);
  }
}
