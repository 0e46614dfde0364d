/**
 * Overload signalling to the frontend (dsiem-backend.md 5.3): `true` on the first late event (one that waited
 * longer than `--max_delay` since the frontend received it), `false` once no late event was seen for
 * `--hold_duration`. A pure state machine: the caller publishes what it returns.
 */

export interface OverloadState {
  readonly active: boolean;
  /** Clock ms of the last late event (0: none yet). */
  readonly lastLate: number;
}

export const initialOverload: OverloadState = { active: false, lastLate: 0 };

export type OverloadStep = { readonly state: OverloadState; readonly publish?: boolean };

/** Is this event late? `rcvdTimeNs` 0 means the frontend did not stamp it: unknown, not late. */
export function isLate(rcvdTimeNs: number, nowMs: number, maxDelaySec: number): boolean {
  return maxDelaySec > 0 && rcvdTimeNs > 0 && nowMs - rcvdTimeNs / 1e6 > maxDelaySec * 1000;
}

export function onLateEvent(s: OverloadState, nowMs: number): OverloadStep {
  return s.active ? { state: { active: true, lastLate: nowMs } } : { state: { active: true, lastLate: nowMs }, publish: true };
}

/** Called periodically; turns the signal off after `holdSec` without late events. */
export function onOverloadTick(s: OverloadState, nowMs: number, holdSec: number): OverloadStep {
  if (s.active && nowMs - s.lastLate >= holdSec * 1000) return { state: { active: false, lastLate: s.lastLate }, publish: false };
  return { state: s };
}
