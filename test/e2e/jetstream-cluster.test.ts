// JetStream mode on a three-server NATS cluster (all on 127.0.0.1, each with its own store), the stream made with
// three replicas before the backend starts, as the README's "Scaling out" says: while events are published, the
// stream's and the consumer's leaders are made to step down, and each server in turn is killed with SIGKILL and
// started again (the one the backend is connected to among them, and the stream's leader). The backend must take every event once: its alarm-event lines are exactly those of a
// run over the same stream without any leader change.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect, RetentionPolicy, StorageType, type JetStreamManager, type NatsConnection } from 'nats';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import { spawnCli, type CliProcess } from '../helpers/process.js';
import { closedPort } from '../helpers/run-command.js';
import { waitFor } from '../helpers/wait.js';
import { cleanup, statsReply, tempDir } from './harness.js';

const encoder = new TextEncoder();
const STREAM = 'DSIEM_EVENTS';
const SOURCES = 400;
const TOTAL = SOURCES * 8;

interface Stats {
  queue_length: number;
  backlog_items_in_flight: number;
  received: number;
  jetstream: { taken_seq: number; fetch_errors: number; consumer_replaced: number } | null;
}

/** Two stages: a first event of a source, then four more from it. */
async function writeConfig(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rule = (stage: number, occurrence: number, from: string) => ({
    name: `s${stage}`, stage, occurrence, from, to: 'ANY', port_from: 'ANY', port_to: 'ANY', type: 'PluginRule', protocol: 'ANY', reliability: 6, timeout: stage === 1 ? 0 : 3600, plugin_id: 2002, plugin_sid: [7],
  });
  const directives = [{ id: 4242, name: 'Repeats from SRC_IP', priority: 4, kingdom: 'k', category: 'c', rules: [rule(1, 1, 'HOME_NET'), rule(2, 4, ':1')] }];
  for (const node of ['ha', 'haref']) await writeFile(path.join(dir, `directives_${node}_repeats.json`), JSON.stringify({ directives }));
  await writeFile(path.join(dir, 'assets_lab.json'), JSON.stringify({ assets: [{ name: 'lab', cidr: '10.0.0.0/8', value: 4 }] }));
}

const event = (k: number): Uint8Array =>
  encoder.encode(JSON.stringify({ event_id: `c-${k}`, timestamp: '2025-06-01T00:00:00Z', sensor: 's', title: 'repeat', src_ip: `10.7.${(k % SOURCES) >> 8}.${k % SOURCES & 255}`, dst_ip: '8.8.4.4', plugin_id: 2002, plugin_sid: 7 }));

/** Three servers in one cluster, each with its own JetStream store. */
async function startCluster(dirs: string[]): Promise<NatsTestServer[]> {
  const routes = await Promise.all([0, 1, 2].map(() => closedPort()));
  const stores = await Promise.all([0, 1, 2].map(() => tempDir('dsiem-jsc-store-')));
  dirs.push(...stores);
  return Promise.all(
    [0, 1, 2].map((i) =>
      startNatsServer({
        extraArgs: [
          '-js', '-sd', stores[i] as string, '--server_name', `n${i}`, '--cluster_name', 'dsiem', '--cluster', `nats://127.0.0.1:${routes[i]}`,
          '--routes', routes.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`).join(','),
        ],
      }),
    ),
  );
}

/** The stream with three replicas, once the cluster has elected its JetStream leader. */
async function addReplicatedStream(jsm: JetStreamManager): Promise<void> {
  await waitFor(
    async () => {
      try {
        await jsm.streams.add({ name: STREAM, subjects: ['dsiem_events'], storage: StorageType.File, retention: RetentionPolicy.Limits, num_replicas: 3 });
        return true;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 30_000, intervalMs: 250, what: 'a stream with three replicas (the cluster to be ready)' },
  );
}

/** Publishes with JetStream acknowledgements (retried through a leader change): every event is in the stream once. */
async function publish(nc: NatsConnection, from: number, to: number): Promise<void> {
  const js = nc.jetstream();
  for (let k = from; k < to; k++) {
    await waitFor(
      async () => {
        try {
          await js.publish('dsiem_events', event(k), { msgID: `c-${k}`, timeout: 2_000 });
          return true;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `event ${k} stored` },
    );
  }
}

describe('serve --jetstream on a NATS cluster', { timeout: 240_000 }, () => {
  const dirs: string[] = [];
  after(async () => {
    await cleanup(...dirs);
  });

  it('takes every event once through stream and consumer leader changes and each server killed in turn', async (t) => {
    const servers = await startCluster(dirs);
    const urls = servers.map((s) => s.url).join(',');
    const nc = await connect({ servers: servers.map((s) => s.url), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const config = await tempDir('dsiem-jsc-config-');
    const logs = await tempDir('dsiem-jsc-');
    const refLogs = await tempDir('dsiem-jsc-ref-');
    dirs.push(config, logs, refLogs);
    await writeConfig(config);
    const args = (node: string, dir: string) => ['serve', '--config', config, '--node', node, '--logs', dir, '--msq', urls, '--jetstream', '--checkpoint-interval', '1', '-l', '1000000000'];
    /** The stream's last sequence: a publish retried after its acknowledgement was lost to a leader change may be stored twice. */
    let lastSeq = TOTAL;
    const settled = (what: string) =>
      waitFor(
        async () => {
          const s = await statsReply<Stats>(nc);
          return s?.jetstream !== null && s?.jetstream !== undefined && s.jetstream.taken_seq >= lastSeq && s.queue_length === 0 && s.backlog_items_in_flight === 0 ? s : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 50, what },
      );
    const stop = async (proc: CliProcess) => {
      proc.signal('SIGTERM');
      assert.equal((await proc.exited).code, 0, proc.output());
    };
    try {
      // Not asked for the account's JetStream info at once: the cluster may not have elected its leader yet.
      const jsm = await nc.jetstreamManager({ checkAPI: false });
      await addReplicatedStream(jsm);
      const proc = spawnCli(args('ha', logs));
      await proc.waitForLine(/listening for new events/, 30_000);
      const step = TOTAL / 6;
      await publish(nc, 0, step);
      await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${STREAM}`, undefined, { timeout: 5_000 });
      await publish(nc, step, 2 * step);
      await nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${STREAM}.dsiem-backend-ha`, undefined, { timeout: 5_000 });
      await publish(nc, 2 * step, 3 * step);
      // Each server killed in turn (the backend's own among them, and whichever leads), started again before the next.
      for (const [i, server] of servers.entries()) {
        assert.ok(server.pid !== undefined);
        process.kill(server.pid, 'SIGKILL');
        await publish(nc, (3 + i) * step, (4 + i) * step);
        await server.restart();
        await waitFor(
          async () => {
            const info = await jsm.streams.info(STREAM).catch(() => undefined);
            const replicas = info?.cluster?.replicas ?? [];
            return info?.cluster?.leader !== undefined && replicas.length === 2 && replicas.every((r) => r.current) ? true : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 200, what: `the stream's three replicas current again after n${i} came back` },
        );
      }
      const state = (await jsm.streams.info(STREAM)).state;
      lastSeq = state.last_seq;
      const s = await settled('the backend to take every event after the leader changes');
      assert.equal(s.received, state.messages, 'every message of the stream taken once');
      t.diagnostic(`leader changes: fetch errors ${s.jetstream?.fetch_errors}, consumer placed again ${s.jetstream?.consumer_replaced}, stream ${state.messages} messages, last ${state.last_seq}`);
      await stop(proc);

      const ref = spawnCli(args('haref', refLogs));
      await ref.waitForLine(/listening for new events/, 30_000);
      await settled('the reference run to take every event');
      await stop(ref);
    } finally {
      await nc.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
    const lines = async (dir: string) => (await readFile(path.join(dir, 'siem_alarm_events.json'), 'utf8')).split('\n').filter((l) => l !== '');
    const actual = await lines(logs);
    const expected = await lines(refLogs);
    assert.ok(expected.length >= TOTAL / 2, `the reference wrote ${expected.length} alarm-event lines`);
    assert.equal(new Set(actual).size, actual.length, 'no alarm-event line twice');
    assert.deepEqual([...actual].sort(), [...expected].sort());
  });
});
