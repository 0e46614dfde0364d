import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildNetworkAssets } from '../../../src/asset/network-assets.js';
import { createIntake, MAX_EVENT_BYTES, newTally, type IntakeOutcome } from '../../../src/intake/intake.js';
import { anAsset, BASE_EVENT, T0 } from '../helpers.js';

const assets = buildNetworkAssets([anAsset('scanner', '192.168.0.2/32', 1, true)]);
const bytes = (s: string) => new TextEncoder().encode(s);
const wire = (over: Record<string, unknown> = {}) => bytes(JSON.stringify({ ...BASE_EVENT, ...over }));
const kindOf = (o: IntakeOutcome) => (o.kind === 'invalid' ? o.reason : o.kind);

describe('intake', () => {
  it('refuses, by one reason name each: too large, not UTF-8, not JSON, and what the event decoder refuses', () => {
    const intake = createIntake({ assets, clock: 'wall' });
    const outcomes = [
      new Uint8Array(MAX_EVENT_BYTES + 1).fill(0x20),
      new Uint8Array([0x7b, 0xff, 0x7d]),
      bytes('{"event_id":'),
      wire({ sensor: '' }),
      wire({ sensor: '' }),
    ].map((raw) => intake.take(raw, 1));
    assert.deepEqual(outcomes.map(kindOf), ['too-large', 'not-utf8', 'not-json', 'missing-sensor', 'missing-sensor']);
    assert.deepEqual(intake.tally, {
      invalid: 5,
      invalidByReason: { 'too-large': 1, 'not-utf8': 1, 'not-json': 1, 'missing-sensor': 2 },
      whitelisted: 0,
    });
    const detail = outcomes[3];
    assert.equal(detail?.kind === 'invalid' ? detail.detail : '', 'sensor is empty');
  });

  it('takes an event of exactly the size bound', () => {
    const event = JSON.stringify(BASE_EVENT);
    const padded = bytes(event.slice(0, -1) + ' '.repeat(MAX_EVENT_BYTES - event.length) + '}');
    assert.equal(padded.length, MAX_EVENT_BYTES);
    assert.equal(createIntake({ assets, clock: 'wall' }).take(padded, 1).kind, 'accepted');
  });

  it('drops whitelisted sources (counted) and stamps the others with the wall-clock time given', () => {
    const intake = createIntake({ assets, clock: 'wall' });
    assert.equal(intake.take(wire({ src_ip: '192.168.0.2' }), 5).kind, 'whitelisted');
    const taken = intake.take(wire({ timestamp: '2030-01-01T00:00:00Z' }), 5);
    assert.equal(taken.kind, 'accepted');
    assert.equal(taken.kind === 'accepted' ? taken.now : -1, 5);
    assert.deepEqual(intake.tally, { invalid: 0, invalidByReason: {}, whitelisted: 1 });
  });

  it('with event time, stamps the later of the clock given and the event time (never going back)', () => {
    const intake = createIntake({ assets, clock: 'event-time' });
    const nowOf = (o: IntakeOutcome) => (o.kind === 'accepted' ? o.now : -1);
    assert.equal(nowOf(intake.take(wire({ timestamp: '2025-03-14T09:00:10Z' }), 0)), (T0 + 10) * 1000);
    assert.equal(nowOf(intake.take(wire({ timestamp: '2025-03-14T09:00:05Z' }), (T0 + 10) * 1000)), (T0 + 10) * 1000);
    assert.equal(nowOf(intake.take(wire({ timestamp: 'not a time' }), (T0 + 10) * 1000)), (T0 + 10) * 1000);
  });

  it('counts into the tally it is given', () => {
    const stats = { ...newTally(), received: 3 };
    createIntake({ assets, clock: 'wall', tally: stats }).take(bytes('[]'), 0);
    assert.deepEqual(stats, { received: 3, invalid: 1, invalidByReason: { 'not-an-object': 1 }, whitelisted: 0 });
  });
});
