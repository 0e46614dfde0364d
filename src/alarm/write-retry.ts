/**
 * When the alarm files cannot be written: how long to wait before the next attempt (doubling from 100 ms to a
 * 5 s ceiling, so a freed disk is written within 5 s and a dead one costs one attempt per 5 s), and the default
 * bound of the lines kept in memory meanwhile.
 */

export const FIRST_RETRY_MS = 100;
export const MAX_RETRY_MS = 5_000;

/** Default of `--max-unwritten-mb`: alarm lines kept in memory (MiB) before intake pauses. */
export const DEFAULT_MAX_UNWRITTEN_MB = 64;

/** Delay before retry number `attempt` (1 = the first retry after a failure). */
export function retryDelayMs(attempt: number): number {
  const doublings = Math.min(Math.max(attempt - 1, 0), 16);
  return Math.min(FIRST_RETRY_MS * 2 ** doublings, MAX_RETRY_MS);
}
