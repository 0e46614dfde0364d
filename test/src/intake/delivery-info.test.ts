import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { deliveryInfo } from '../../../src/intake/delivery-info.js';

// nats.js's own reading of the subject (what `JsMsg.info` returns) is the reference.
const require = createRequire(import.meta.url);
const { parseInfo } = require('nats/lib/jetstream/jsmsg.js') as {
  parseInfo(reply: string): { deliveryCount: number; streamSequence: number; deliverySequence: number; timestampNanos: number; pending: number };
};

function reference(reply: string) {
  const di = parseInfo(reply);
  return { deliveries: di.deliveryCount, streamSeq: di.streamSequence, deliverySeq: di.deliverySequence, timestampNanos: di.timestampNanos, pending: di.pending };
}

const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const count = fc.integer({ min: 0, max: 2 ** 53 - 1 });
// Server times in ns: 19 digits today, too big for a double to hold exactly.
const nanos = fc.bigInt({ min: 0n, max: 9_999_999_999_999_999_999n });

describe('deliveryInfo', () => {
  it('reads the subject of a local server (old form, 9 tokens) as nats.js does', () => {
    const reply = '$JS.ACK.DSIEM_EVENTS.dsiem-backend-n1.1.1234.1230.1764590000123456789.77';
    assert.deepEqual(deliveryInfo(reply), reference(reply));
    assert.deepEqual(deliveryInfo(reply), { deliveries: 1, streamSeq: 1234, deliverySeq: 1230, timestampNanos: Number('1764590000123456789'), pending: 77 });
  });

  it('reads the new form (domain, account hash, a trailing token) as nats.js does', () => {
    for (const reply of [
      '$JS.ACK._.ACCHASH.DSIEM_EVENTS.dsiem-backend-n1.3.5.9.1764590000000000001.0.tok',
      '$JS.ACK.hub.ACCHASH.DSIEM_EVENTS.dsiem-backend-n1.1.42.42.1764590000999999999.1',
    ]) {
      assert.deepEqual(deliveryInfo(reply), reference(reply), reply);
    }
  });

  it('agrees with nats.js on any numbers, in both forms', () => {
    fc.assert(
      fc.property(name, name, count, count, count, nanos, count, fc.boolean(), (stream, consumer, deliveries, seq, dseq, ns, pending, newForm) => {
        const numbers = `${deliveries}.${seq}.${dseq}.${ns}.${pending}`;
        const reply = newForm ? `$JS.ACK._.HASH.${stream}.${consumer}.${numbers}.x` : `$JS.ACK.${stream}.${consumer}.${numbers}`;
        assert.deepEqual(deliveryInfo(reply), reference(reply));
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses what is not an acknowledgement subject', () => {
    for (const reply of ['', '_INBOX.abc.def', '$JS.ACK.S.C.1.2.3', '$JS.ACK.S.C.1.x.3.4.5', '$JS.ACK.S.C.1..3.4.5', '$JS.ACK.S.C.1.2.3.4.']) {
      assert.equal(deliveryInfo(reply), undefined, reply);
    }
  });
});
