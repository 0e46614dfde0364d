/**
 * The expiry clock of JetStream mode: what time a tick may say without passing an event the stream holds and the
 * backend has not taken (a run after a crash would take that event before such a tick, and differ).
 */

export interface StreamPosition {
  /** The stream held nothing more than what was taken, at the last fetch. */
  readonly caughtUp: boolean;
  /** The latest time (ms) the server stored a message taken. */
  readonly streamClockMs: number;
  /** Wall clock (ms) when a fetch last found the stream drained. */
  readonly caughtUpAtMs: number;
}

/**
 * While catching up, the stream's own clock; once caught up, the wall clock less `slackMs` (messages stored just
 * before on their way), but never past the time a fetch last found the stream drained less that slack: while
 * intake is paused (a checkpoint, back-pressure) or a fetch is slow, events keep arriving in the stream.
 */
export function streamTickTime(p: StreamPosition, wallMs: number, slackMs: number): number {
  if (!p.caughtUp) return p.streamClockMs;
  return Math.max(p.streamClockMs, Math.min(wallMs, p.caughtUpAtMs) - slackMs);
}
