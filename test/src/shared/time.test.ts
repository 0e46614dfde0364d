// parseRfc3339Seconds reads timestamps character by character; it must agree with a plain regex-and-Date
// reading of RFC 3339 on valid, nearly valid and invalid text.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRfc3339Seconds } from '../../../src/shared/time.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The straightforward reading, kept here as the reference. */
function reference(text: string): number {
  const m = RFC3339.exec(text);
  if (m === null) return NaN;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  if (month < 1 || month > 12 || day < 1 || day > last.getUTCDate() || hour > 23 || minute > 59 || second > 59) return NaN;
  const zone = m[8] ?? 'Z';
  let offset = 0;
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return NaN;
    offset = (zone.startsWith('-') ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime() / 1000 - offset;
}

const same = (text: string) => assert.ok(Object.is(parseRfc3339Seconds(text), reference(text)), `${JSON.stringify(text)}: ${parseRfc3339Seconds(text)} vs ${reference(text)}`);

describe('parseRfc3339Seconds', () => {
  it('reads the usual forms', () => {
    assert.equal(parseRfc3339Seconds('2025-03-01T00:00:00Z'), 1740787200);
    assert.equal(parseRfc3339Seconds('2025-03-01T00:00:00.999Z'), 1740787200);
    assert.equal(parseRfc3339Seconds('2025-03-01T07:00:00+07:00'), 1740787200);
    assert.equal(parseRfc3339Seconds('2024-02-29T12:00:00-01:30'), 1709213400);
    for (const bad of ['2025-02-29T00:00:00Z', '2025-03-01 00:00:00Z', '2025-03-01T00:00:00', '2025-03-01T24:00:00Z', '2025-03-01T00:00:00.Z', '2025-03-01T00:00:00+0700', '2025-03-01t00:00:00z', '']) {
      assert.ok(Number.isNaN(parseRfc3339Seconds(bad)), bad);
    }
  });

  it('agrees with the reference on generated timestamps, offsets and fractions (property)', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const stamp = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        two(13), two(32), two(25), two(60), two(60),
        fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
        fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), two(25), two(60)).map(([s, h, m]) => `${s}${h}:${m}`)),
      )
      .map(([y, mo, d, h, mi, s, frac, zone]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${frac === undefined ? '' : `.${frac}`}${zone}`);
    fc.assert(fc.property(stamp, same), { numRuns: 5000 });
  });

  it('agrees with the reference on mangled timestamps (property)', () => {
    const mangled = fc
      .tuple(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), fc.nat(30), fc.constantFrom('', 'x', '0', ':', '.', '-', 'Z', '+', '9'))
      .map(([d, at, ch]) => {
        const text = d.toISOString();
        return text.slice(0, at) + ch + text.slice(at + 1);
      });
    fc.assert(fc.property(mangled, same), { numRuns: 5000 });
  });
});
