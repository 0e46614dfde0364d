/**
 * Moving an event's RFC 3339 timestamp by whole seconds (`publish --now`: the first event becomes now and the
 * gaps between events are kept). The result is in UTC (`Z`) and keeps the fraction of a second as written, so an
 * event stays as precise as it was.
 */

import { parseRfc3339Seconds } from '../shared/time.js';

const FRACTION = /^.{19}(\.\d+)/;

/** The timestamp `seconds` later (earlier when negative), or undefined when it is not RFC 3339. */
export function shiftTimestamp(timestamp: string, seconds: number): string | undefined {
  const at = parseRfc3339Seconds(timestamp);
  if (Number.isNaN(at)) return undefined;
  const moved = new Date((at + seconds) * 1000);
  if (Number.isNaN(moved.getTime())) return undefined;
  return `${moved.toISOString().slice(0, 19)}${FRACTION.exec(timestamp)?.[1] ?? ''}Z`;
}
