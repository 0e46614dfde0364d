// The hand-built alarm-event line must be byte for byte what JSON.stringify makes of the record.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { alarmEventLine } from '../../../src/alarm/alarm.js';

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
