// The hand-built alarm-event line must be byte for byte what JSON.stringify makes of the record.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { alarmEventLine, alarmEventLineMaxBytes, writeAlarmEventLine, type AlarmEventRecord } from '../../../src/alarm/alarm.js';

describe('alarmEventLine', () => {
  it('equals JSON.stringify of the record for ordinary ids', () => {
    const record = { alarm_id: '5d7a0c1e-3f1b-4b7e-9a51-0f6f2b7c9d10', stage: 3, event_id: 'b-0000123' };
    assert.equal(alarmEventLine(record), JSON.stringify(record));
  });

  it('escapes what JSON escapes: quotes, backslashes, controls, lone surrogates', () => {
    for (const id of ['a"b', 'a\\b', 'tab\there', 'nl\n', '\u0000', '\ud800', 'x\udc00y', '😀', 'é', '']) {
      const record = { alarm_id: id, stage: 1, event_id: id };
      assert.equal(alarmEventLine(record), JSON.stringify(record), JSON.stringify(id));
    }
  });

  it('equals JSON.stringify for any strings and stages (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 0, max: 1000 }), fc.string({ unit: 'grapheme' }), (alarmId, stage, eventId) => {
        const record = { alarm_id: alarmId, stage, event_id: eventId };
        assert.equal(alarmEventLine(record), JSON.stringify(record));
      }),
      { numRuns: 2000 },
    );
  });
});

/** The bytes writeAlarmEventLine writes for a record (after a canary prefix), or null when it declines. */
function written(record: AlarmEventRecord): string | null {
  const buf = Buffer.alloc(3 + alarmEventLineMaxBytes(record), 0xff);
  const end = writeAlarmEventLine(record, buf, 3);
  if (end < 0) return null;
  assert.ok(end <= buf.length);
  return buf.subarray(3, end).toString('utf8');
}

describe('writeAlarmEventLine', () => {
  it('writes the UTF-8 of JSON.stringify(record) for ordinary records, within the bytes it asks for', () => {
    const record = { alarm_id: '5d7a0c1e-3f1b-4b7e-9a51-0f6f2b7c9d10', stage: 10, event_id: 'b-0000123' };
    assert.equal(written(record), JSON.stringify(record));
    assert.equal(written({ alarm_id: '', stage: 0, event_id: '' }), JSON.stringify({ alarm_id: '', stage: 0, event_id: '' }));
  });

  it('declines what needs escaping or is not ASCII, and odd stages', () => {
    for (const id of ['a"b', 'a\\b', 'tab\there', '\u007f', 'é', '😀']) assert.equal(written({ alarm_id: id, stage: 1, event_id: 'x' }), null, JSON.stringify(id));
    assert.equal(written({ alarm_id: 'a', stage: 1.5, event_id: 'x' }), null);
    assert.equal(written({ alarm_id: 'a', stage: -1, event_id: 'x' }), null);
  });

  it('either declines or writes exactly JSON.stringify(record), for any strings and stages (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' })),
        fc.oneof(fc.nat(), fc.integer({ min: 0, max: 99 }), fc.constantFrom(9, 10, 99, 100, 999, 1000, Number.MAX_SAFE_INTEGER)),
        fc.string({ unit: 'grapheme-ascii' }),
        (alarmId, stage, eventId) => {
          const record = { alarm_id: alarmId, stage, event_id: eventId };
          const out = written(record);
          const plain = /^[\x20-\x7e]*$/.test(alarmId + eventId) && !/["\\]/.test(alarmId + eventId);
          assert.equal(out === null, !plain);
          if (out !== null) assert.equal(out, JSON.stringify(record));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
