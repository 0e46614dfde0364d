/**
 * Time values used by correlation. Event times are Unix seconds (Dsiem truncates fractions); the clock that
 * drives expiry and wall-clock fields is injected everywhere as a `Clock`, never read here.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * RFC 3339 date-time (`2025-03-14T09:00:00Z`, `2025-03-14T09:00:00.250+07:00`) to Unix seconds, fraction
 * truncated. Anything else gives NaN: Go Dsiem accepts such an event but it can neither start nor advance a
 * backlog. The form is `YYYY-MM-DDTHH:MM:SS`, an optional `.` and digits, then `Z` or `+HH:MM`/`-HH:MM`; read
 * character by character (one call per event, no allocation).
 */
export function parseRfc3339Seconds(text: string): number {
  const n = text.length;
  if (n < 20) return NaN;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return NaN;
  if (Number.isNaN(year + month + day + hour + minute + second)) return NaN;
  let i = 19;
  if (text[i] === '.') {
    i++;
    const fractionStart = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    if (i === fractionStart) return NaN;
  }
  let offset = 0;
  if (text[i] === 'Z' && i + 1 === n) {
    offset = 0;
  } else if ((text[i] === '+' || text[i] === '-') && i + 6 === n && text[i + 3] === ':') {
    const oh = digitsAt(text, i + 1, 2);
    const om = digitsAt(text, i + 4, 2);
    if (Number.isNaN(oh + om) || oh > 23 || om > 59) return NaN;
    offset = (text[i] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  } else {
    return NaN;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The decimal number in text[at, at+count), or NaN when one of those is not an ASCII digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return NaN;
    value = value * 10 + (c - 48);
  }
  return value;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (years 0-9999). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}
