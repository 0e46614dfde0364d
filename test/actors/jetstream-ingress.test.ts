// The JetStream intake with a real nats-server -js (its own store), each fault made for real: an acknowledgement
// token taken before the consumer was placed again, a start without checkpoint after such a placement, a stream
// made again under the same name while running, events the stream's limits drop while the backend runs, and a NATS
// link whose round trip is longer than a fetch's default expiry. The engine is a stand-in that records what it got.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { start, stop } from 'nact';
import { connect, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type NatsConnection } from 'nats';
import { buildNetworkAssets } from '../../src/asset/network-assets.js';
import type { Engine } from '../../actors/engine.js';
import { FETCH_NATS_VERSION, natsFetchMismatches, placeConsumer, startJetStreamIngress, type JetStreamIngress } from '../../actors/jetstream-ingress.js';
import type { TimedEvent } from '../../actors/messages.js';
import { startDelayProxy } from '../helpers/delay-proxy.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/wait.js';
import { cleanup, tempDir } from '../e2e/harness.js';

const encoder = new TextEncoder();
const STREAM = 'DSIEM_EVENTS';
const DURABLE = 'dsiem-backend-test';

const event = (id: string) =>
  encoder.encode(JSON.stringify({ event_id: id, timestamp: '2025-01-01T00:00:00Z', sensor: 's', plugin_id: 1, plugin_sid: 1, src_ip: '10.0.0.1', dst_ip: '10.0.0.2' }));

/** The part of the engine the intake uses: it records the event ids it was given. */
function engineStandIn() {
  const received: string[] = [];
  const engine = {
    assets: buildNetworkAssets([]),
    stats: { waiting: 0 },
    barrier: () => Promise.resolve(),
    ingest(batch: readonly TimedEvent[]) {
      for (const t of batch) received.push(t.event.event_id);
    },
  };
  return { engine: engine as unknown as Engine, received };
}

describe('JetStream intake (real nats-server -js)', { timeout: 120_000 }, () => {
  let server: NatsTestServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let store: string;

  before(async () => {
    store = await tempDir('dsiem-js-intake-store-');
    server = await startNatsServer({ extraArgs: ['-js', '-sd', store] });
    nc = await connect({ servers: server.url });
    jsm = await nc.jetstreamManager();
  });
  after(async () => {
    await nc.close();
    await server.stop();
    await cleanup(store);
  });

  /** A stream of its own for each test (sequences from 1). */
  const freshStream = async (limits: { max_msgs?: number } = {}) => {
    await jsm.streams.delete(STREAM).catch(() => undefined);
    return jsm.streams.add({ name: STREAM, subjects: ['dsiem_events'], storage: StorageType.File, retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, ...limits });
  };

  const publish = async (from: number, to: number) => {
    for (let k = from; k < to; k++) nc.publish('dsiem_events', event(`e${k}`));
    await nc.flush();
  };

  /** The intake from where placeConsumer puts it (`after`: a checkpoint's sequence), on connection `conn`. */
  async function startIntake(conn: NatsConnection, after: number | undefined, extra: { paused?: () => boolean } = {}) {
    const system = start();
    const { log, lines } = captureLogger();
    const { engine, received } = engineStandIn();
    const connJsm = await conn.jetstreamManager();
    const placed = await placeConsumer(connJsm, await connJsm.streams.info(STREAM), DURABLE, after);
    const intake: JetStreamIngress = startJetStreamIngress({
      nc: conn,
      jsm: connJsm,
      stream: STREAM,
      durable: DURABLE,
      start: placed,
      onlyEvents: true,
      engine,
      clock: { now: () => Date.now() },
      maxQueue: 10_000,
      log,
      parent: system,
      ...(extra.paused !== undefined ? { paused: extra.paused } : {}),
    });
    const close = async () => {
      await intake.stop();
      stop(system);
    };
    return { intake, received, lines, close };
  }

  const taken = (intake: JetStreamIngress, seq: number, what: string) => waitFor(() => intake.stream.taken >= seq || undefined, { timeoutMs: 30_000, intervalMs: 10, what });

  it('acknowledges through the consumer as it is placed now, not with a token of the one before', async () => {
    await freshStream();
    const { intake, close } = await startIntake(nc, undefined);
    try {
      await publish(0, 10);
      await taken(intake, 10, 'the first 10 events');
      const before = intake.position();
      // The consumer deleted from outside: the intake places it again after the last event taken.
      await jsm.consumers.delete(STREAM, DURABLE);
      await publish(10, 15);
      await taken(intake, 15, 'the events after the new placement');
      assert.ok(intake.stream.replaced >= 1, 'the consumer was placed again');
      // A checkpoint that began before the placement acknowledges now; the next one acknowledges all 15.
      before.ack();
      intake.position().ack();
      const floor = await waitFor(
        async () => {
          const info = await jsm.consumers.info(STREAM, DURABLE);
          return info.ack_floor.stream_seq >= 15 ? info.ack_floor.stream_seq : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 50, what: 'the acknowledgement floor at 15 (an old token froze it)' },
      );
      assert.equal(floor, 15);
    } finally {
      await close();
    }
  });

  it('starts without a checkpoint after the last placement, not at the stream start, when nothing was acknowledged since', async () => {
    await freshStream();
    await publish(0, 20);
    // Placed after 12 (as after a checkpoint, or placed again by the intake), nothing acknowledged since.
    const first = await placeConsumer(jsm, await jsm.streams.info(STREAM), DURABLE, 12);
    assert.equal(first.seq, 13);
    const again = await placeConsumer(jsm, await jsm.streams.info(STREAM), DURABLE, undefined);
    assert.equal(again.from, 'consumer');
    assert.equal(again.seq, 13, 'events 1 to 12 would be correlated again');
  });

  it('takes new events of a stream made again under the same name while running', async () => {
    await freshStream();
    const { intake, received, lines, close } = await startIntake(nc, undefined);
    try {
      await publish(0, 10);
      await taken(intake, 10, 'the first 10 events');
      await freshStream();
      await waitFor(() => intake.stream.replaced >= 1 || undefined, { timeoutMs: 30_000, intervalMs: 10, what: 'the consumer placed on the new stream' });
      await publish(100, 103);
      await waitFor(() => received.length === 13 || undefined, { timeoutMs: 30_000, intervalMs: 10, what: 'the events published on the new stream (ignored as taken already)' });
      assert.deepEqual(received.slice(10), ['e100', 'e101', 'e102']);
      assert.ok(lines.some((l) => l.message.startsWith("the stream's last message is before the last event taken")));
    } finally {
      await close();
    }
  });

  it('counts and logs the events the stream dropped by its limits while the backend was running', async () => {
    await freshStream({ max_msgs: 50 });
    let paused = false;
    const { intake, received, lines, close } = await startIntake(nc, undefined, { paused: () => paused });
    try {
      await publish(0, 10);
      await taken(intake, 10, 'the first 10 events');
      // Intake held back (as while the alarm files cannot be written) while 100 more come: the stream keeps 50.
      paused = true;
      // The fetch in progress ends at its expiry (1 s here): none is running when the 100 come.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await publish(10, 110);
      paused = false;
      await taken(intake, 110, 'the events the stream kept');
      // Taken is counted as the message comes; the engine gets it from the ingress actor a moment later.
      await waitFor(() => received.length >= 60 || undefined, { timeoutMs: 10_000, intervalMs: 10, what: 'the 60 events kept, in the engine' });
      assert.equal(received.length, 60);
      assert.equal(intake.stream.lost, 50);
      const line = lines.find((l) => l.message.startsWith('the stream dropped events before the backend took them'));
      assert.equal(line?.fields['lost'], 50);
    } finally {
      await close();
    }
  });

  it('takes events over a NATS link whose round trip is longer than a fetch expiry of 1 s', async () => {
    await freshStream();
    const proxy = await startDelayProxy(server.port, 600);
    const slow = await connect({ servers: proxy.url, timeout: 20_000 });
    const { intake, received, close } = await startIntake(slow, undefined);
    try {
      for (let k = 0; k < 20; k++) {
        await publish(k, k + 1);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await waitFor(() => received.length === 20 || undefined, { timeoutMs: 60_000, intervalMs: 50, what: `20 events over a 1.2 s round trip (placed again ${intake.stream.replaced} times)` });
    } finally {
      await close();
      await slow.close();
      await proxy.close();
    }
  });
});

describe('the nats.js the JetStream intake reads', () => {
  const jsMsg = (createRequire(import.meta.url)('nats/lib/jetstream/jsmsg.js') as { JsMsgImpl: { prototype: object } }).JsMsgImpl.prototype;

  it('is the installed one', () => {
    const installed = (createRequire(import.meta.url)('nats/package.json') as { version: string }).version;
    assert.deepEqual(natsFetchMismatches(installed, jsMsg), []);
    assert.equal(installed, FETCH_NATS_VERSION);
  });

  it('names another version, and a message class without the reply subject', () => {
    assert.deepEqual(natsFetchMismatches('2.30.0', jsMsg), [`nats version is 2.30.0, the JetStream intake was written for ${FETCH_NATS_VERSION}`]);
    assert.deepEqual(natsFetchMismatches(FETCH_NATS_VERSION, {}), ['nats/lib/jetstream/jsmsg.js: JsMsgImpl has no reply getter']);
    assert.deepEqual(natsFetchMismatches(FETCH_NATS_VERSION, undefined), ['nats/lib/jetstream/jsmsg.js: JsMsgImpl has no reply getter']);
  });
});
