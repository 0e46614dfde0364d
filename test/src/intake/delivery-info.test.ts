import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { deliveryInfo, DeliveryReader } from '../../../src/intake/delivery-info.js';

// nats.js's own reading of the subject (what `JsMsg.info` returns) is the reference, but for the time: the ms are
// the ns divided exactly (nats.js rounds the ns to a double first).
const require = createRequire(import.meta.url);
const { parseInfo } = require('nats/lib/jetstream/jsmsg.js') as {
  parseInfo(reply: string): { deliveryCount: number; streamSequence: number; deliverySequence: number; timestampNanos: number; pending: number };
};

function reference(reply: string, ns: bigint) {
  const di = parseInfo(reply);
  return { deliveries: di.deliveryCount, streamSeq: di.streamSequence, deliverySeq: di.deliverySequence, timestampMs: Number(ns / 1_000_000n), pending: di.pending };
}

const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const count = fc.integer({ min: 0, max: 2 ** 53 - 1 });
// Server times in ns: 19 digits today, too big for a double to hold exactly.
const nanos = fc.bigInt({ min: 0n, max: 9_999_999_999_999_999_999n });
const subject = fc.record({ stream: name, consumer: name, deliveries: count, seq: count, dseq: count, ns: nanos, pending: count, newForm: fc.boolean() });

function replyOf(s: { stream: string; consumer: string; deliveries: number; seq: number; dseq: number; ns: bigint; pending: number; newForm: boolean }): string {
  const numbers = `${s.deliveries}.${s.seq}.${s.dseq}.${s.ns}.${s.pending}`;
  return s.newForm ? `$JS.ACK._.HASH.${s.stream}.${s.consumer}.${numbers}.x` : `$JS.ACK.${s.stream}.${s.consumer}.${numbers}`;
}

describe('deliveryInfo', () => {
  it('reads the subject of a local server (first form, 9 tokens)', () => {
    const reply = '$JS.ACK.DSIEM_EVENTS.dsiem-backend-n1.1.1234.1230.1764590000123456789.77';
    assert.deepEqual(deliveryInfo(reply), { deliveries: 1, streamSeq: 1234, deliverySeq: 1230, timestampMs: 1764590000123, pending: 77 });
    assert.deepEqual(deliveryInfo(reply), reference(reply, 1764590000123456789n));
  });

  it('reads the second form (domain, account hash, a trailing token or none)', () => {
    assert.deepEqual(deliveryInfo('$JS.ACK._.ACCHASH.DSIEM_EVENTS.dsiem-backend-n1.3.5.9.1764590000000000001.0.tok'), { deliveries: 3, streamSeq: 5, deliverySeq: 9, timestampMs: 1764590000000, pending: 0 });
    assert.deepEqual(deliveryInfo('$JS.ACK.hub.ACCHASH.DSIEM_EVENTS.dsiem-backend-n1.1.42.42.1764590000999999999.1'), { deliveries: 1, streamSeq: 42, deliverySeq: 42, timestampMs: 1764590000999, pending: 1 });
  });

  it('agrees with nats.js on any numbers, in both forms', () => {
    fc.assert(
      fc.property(subject, (s) => {
        const reply = replyOf(s);
        assert.deepEqual(deliveryInfo(reply), reference(reply, s.ns));
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses what is not an acknowledgement subject', () => {
    for (const reply of ['', '_INBOX.abc.def', '$JS.ACK.S.C.1.2.3', '$JS.ACK.S.C.1.x.3.4.5', '$JS.ACK.S.C.1..3.4.5', '$JS.ACK.S.C.1.2.3.4.', '$JS.ACK.S.C.1.2.3.4.5x']) {
      assert.equal(deliveryInfo(reply), undefined, reply);
    }
  });
});

describe('DeliveryReader', () => {
  it('reads a consumer subject after subject as deliveryInfo does, whatever their forms and lengths', () => {
    fc.assert(
      fc.property(fc.array(subject, { minLength: 1, maxLength: 20 }), (subjects) => {
        const reader = new DeliveryReader();
        for (const s of subjects) {
          const reply = replyOf(s);
          assert.deepEqual(reader.read(reply), deliveryInfo(reply), reply);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a subject that is not one, after good ones', () => {
    const reader = new DeliveryReader();
    assert.equal(reader.read('$JS.ACK.S.C.1.2.3.4.5')?.streamSeq, 2);
    assert.equal(reader.read('$JS.ACK.S.C.1.2.x.4.5'), undefined);
    assert.equal(reader.read('$JS.ACK.S.C.1.2'), undefined);
    assert.equal(reader.read('$JS.ACK.S.C.7.8.9.10.11')?.streamSeq, 8);
  });
});
