import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { shiftTimestamp } from '../../../src/event/shift-timestamp.js';

describe('shiftTimestamp', () => {
  it('moves a timestamp by whole seconds, across days and years', () => {
    assert.equal(shiftTimestamp('2025-06-02T08:00:00Z', 90), '2025-06-02T08:01:30Z');
    assert.equal(shiftTimestamp('2025-12-31T23:59:59Z', 1), '2026-01-01T00:00:00Z');
    assert.equal(shiftTimestamp('2025-06-02T08:00:00Z', -86_400), '2025-06-01T08:00:00Z');
  });

  it('keeps the fraction as written and gives UTC for an offset', () => {
    assert.equal(shiftTimestamp('2025-06-02T08:00:00.250Z', 10), '2025-06-02T08:00:10.250Z');
    assert.equal(shiftTimestamp('2025-06-02T15:00:00.5+07:00', 0), '2025-06-02T08:00:00.5Z');
  });

  it('leaves what is not RFC 3339 alone', () => {
    assert.equal(shiftTimestamp('2025/06/02 08:00:00', 10), undefined);
    assert.equal(shiftTimestamp('', 10), undefined);
  });
});
