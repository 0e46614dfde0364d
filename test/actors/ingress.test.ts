// The NATS ingress actor with a real nats-server: a handler that throws loses only its batch (counted) and
// intake goes on; invalid payloads are counted by reason; whitelisted sources are dropped; payloads beyond the
// subscription's pending-bytes limit are dropped and counted.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop } from 'nact';
import { connect, type NatsConnection } from 'nats';
import { buildNetworkAssets } from '../../src/asset/network-assets.js';
import { parseCidr } from '../../src/net/ip.js';
import { startNatsIngress } from '../../actors/nats-ingress.js';
import type { Engine } from '../../actors/engine.js';
import type { TimedEvent } from '../../actors/messages.js';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { waitFor } from '../helpers/wait.js';

const event = (id: string, src = '203.0.113.9') =>
  JSON.stringify({ event_id: id, timestamp: '2025-01-01T00:00:00Z', sensor: 's', plugin_id: 1, plugin_sid: 1, src_ip: src, dst_ip: '10.0.0.1' });

/** The part of the engine the ingress uses; `ingest` fails on demand. */
function engineFake(failOn: (batch: readonly TimedEvent[]) => boolean, barrier: () => Promise<void> = () => Promise.resolve()) {
  const cidr = parseCidr('192.168.0.2/32');
  assert.ok(cidr.ok);
  const received: string[] = [];
  const engine = {
    assets: buildNetworkAssets([{ name: 'scanner', cidr: cidr.value, value: 1, whitelisted: true }]),
    stats: { eventsRouted: 0, queued: 0 },
    /** `ingest` is synchronous here: a batch is done once handed over. */
    barrier,
    ingest(batch: readonly TimedEvent[]) {
      if (failOn(batch)) throw new Error('injected ingest failure');
      engine.stats.eventsRouted += batch.length;
      for (const t of batch) received.push(t.event.event_id);
    },
  };
  return { engine: engine as unknown as Engine, received };
}

describe('NATS ingress actor', () => {
  let server: NatsTestServer;
  let nc: NatsConnection;
  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  after(async () => {
    await nc.close();
    await server.stop();
  });

  it('keeps taking events after its handler failed, counting the lost batch', async () => {
    const system = start();
    const listener = await connect({ servers: server.url });
    const { log, lines } = captureLogger();
    const { engine, received } = engineFake((batch) => batch.some((t) => t.event.event_id === 'poison'));
    const ingress = startNatsIngress({ nc: listener, engine, clock: { now: () => Date.now() }, maxQueue: 1000, log, parent: system });
    try {
      await listener.flush();
      const enc = new TextEncoder();
      nc.publish('dsiem_events', enc.encode(event('poison')));
      await nc.flush();
      await waitFor(() => ingress.stats.failed === 1 || undefined, { timeoutMs: 5000, what: 'the failed batch' });
      for (const id of ['a', 'b']) nc.publish('dsiem_events', enc.encode(event(id)));
      nc.publish('dsiem_events', enc.encode(event('white', '192.168.0.2')));
      nc.publish('dsiem_events', enc.encode('{"nope":'));
      await nc.flush();
      await waitFor(() => received.length === 2 || undefined, { timeoutMs: 5000, what: 'the later events' });
      assert.deepEqual(received, ['a', 'b']);
      await waitFor(() => ingress.stats.whitelisted === 1 || undefined, { timeoutMs: 5000, what: 'the whitelisted event' });
      assert.deepEqual(ingress.stats.invalidByReason, { 'not-json': 1 });
      assert.ok(lines.some((l) => l.message.includes('ingress handler failed')));
    } finally {
      await ingress.stop();
      await listener.close();
      stop(system);
    }
  });

  it('while paused, drops new events and counts them as intake-paused; takes them again once resumed', async () => {
    const system = start();
    const listener = await connect({ servers: server.url });
    const { log } = captureLogger();
    const { engine, received } = engineFake(() => false);
    let paused = true;
    const drops: number[] = [];
    const ingress = startNatsIngress({ nc: listener, engine, clock: { now: () => 7 }, maxQueue: 1000, log, parent: system, paused: () => paused, onDrop: (now) => drops.push(now) });
    try {
      await listener.flush();
      const enc = new TextEncoder();
      for (const id of ['p1', 'p2', 'p3']) nc.publish('dsiem_events', enc.encode(event(id)));
      await nc.flush();
      await waitFor(() => ingress.stats.received === 3 || undefined, { timeoutMs: 5000, what: 'the events sent while paused' });
      assert.deepEqual(ingress.stats.droppedByReason, { 'intake-paused': 3 });
      assert.equal(ingress.stats.dropped, 3);
      assert.deepEqual(drops, [7, 7, 7], 'each drop is signalled (overload)');
      paused = false;
      nc.publish('dsiem_events', enc.encode(event('r1')));
      await nc.flush();
      await waitFor(() => received.length === 1 || undefined, { timeoutMs: 5000, what: 'the event after the resume' });
      assert.deepEqual(received, ['r1']);
      assert.equal(ingress.stats.dropped, 3);
    } finally {
      await ingress.stop();
      await listener.close();
      stop(system);
    }
  });

  it('drops events beyond the pending-bytes limit while the engine holds a batch, counted and logged naming the flag', async () => {
    const system = start();
    const listener = await connect({ servers: server.url });
    const { log, lines } = captureLogger();
    // The engine never finishes a batch: everything after the first one waits in the subscription's queue.
    const { engine } = engineFake(() => false, () => new Promise<void>(() => undefined));
    const limit = 20 * 1024;
    const ingress = startNatsIngress({ nc: listener, engine, clock: { now: () => Date.now() }, maxQueue: 1_000_000, maxPendingBytes: limit, log, parent: system });
    try {
      await listener.flush();
      const enc = new TextEncoder();
      const padded = (id: string) => enc.encode(JSON.stringify({ ...JSON.parse(event(id)), custom_data1: 'x'.repeat(900) }));
      for (let i = 0; i < 200; i++) nc.publish('dsiem_events', padded(`e${i}`));
      await nc.flush();
      await waitFor(() => ingress.stats.received === 200 || undefined, { timeoutMs: 5000, what: 'every event to arrive' });
      assert.equal(ingress.stats.accepted + ingress.stats.dropped, 200);
      // At most the limit waits undecoded, plus the first batch handed to the engine (also within the limit).
      assert.ok(ingress.stats.accepted * 1000 <= 2 * limit, `accepted ${ingress.stats.accepted}`);
      assert.ok(ingress.stats.dropped > 100, `dropped ${ingress.stats.dropped}`);
      assert.equal(ingress.stats.droppedByReason['pending-bytes'], ingress.stats.dropped);
      assert.ok(lines.some((l) => l.message.includes('--nats-pending-mb') && l.fields['reason'] === 'pending-bytes'), JSON.stringify(lines));
    } finally {
      await listener.close();
      stop(system);
    }
  });
});
