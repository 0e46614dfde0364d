/**
 * Time values used by correlation. Event times are Unix seconds (Dsiem truncates fractions); the clock that
 * drives expiry and wall-clock fields is injected everywhere as a `Clock`, never read here.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * RFC 3339 date-time (`2025-03-14T09:00:00Z`, `2025-03-14T09:00:00.250+07:00`) to Unix seconds, fraction
 * truncated. Anything else gives NaN: Go Dsiem accepts such an event but it can neither start nor advance a
 * backlog.
 */
export function parseRfc3339Seconds(text: string): number {
  const m = RFC3339.exec(text);
  if (m === null) return NaN;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number, number, number, number, number, number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  const zone = m[8] ?? 'Z';
  let offset = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return NaN;
    offset = sign * (oh * 3600 + om * 60);
  }
  return utcSeconds(year, month, day, hour, minute, second) - offset;
}

/** Date.UTC reads years 0-99 as 1900-1999; setUTCFullYear does not. */
function utcSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime() / 1000;
}

function daysIn(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}
