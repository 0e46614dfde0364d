// JetStream mode under faults found by a red-team pass, each with a real nats-server -js and the backend as a
// child process: a NATS link with latency (a fetch the client closes at its expiry loses messages the server sent
// at its very end: the expiry follows the round trip, and what is lost is fetched again, not skipped), a Wise server that never answers (checkpoints must
// not wait for its lookups), a consumer deleted from outside (made again, nothing skipped), and a checkpoint whose
// stream position is past the stream's end (new events must still be taken).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NatsConnection } from 'nats';
import { startDelayProxy } from '../helpers/delay-proxy.js';
import { startHttpServer } from '../helpers/http-server.js';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import { spawnCli, type CliProcess } from '../helpers/process.js';
import { closedPort } from '../helpers/run-command.js';
import { waitFor } from '../helpers/wait.js';
import { cleanup, natsClient, statsReply, tempDir } from './harness.js';

const encoder = new TextEncoder();

interface Stats {
  received: number;
  queue_length: number;
  backlog_items_in_flight: number;
  jetstream: { taken_seq: number; acked_seq: number; consumer_replaced: number; checkpoints_written: number };
}

const stats = (nc: NatsConnection) => statsReply<Stats>(nc);

/** One directive: every event of plugin 1001 opens a backlog (one per source), whose alarm is looked up. */
async function writeConfig(dir: string, node: string, intelUrl?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const directives = [
    {
      id: 700,
      name: 'Seen SRC_IP',
      priority: 5,
      kingdom: 'k',
      category: 'c',
      rules: [
        { name: 'first', stage: 1, occurrence: 1, from: 'HOME_NET', to: 'ANY', port_from: 'ANY', port_to: 'ANY', type: 'PluginRule', protocol: 'ANY', reliability: 10, timeout: 0, plugin_id: 1001, plugin_sid: [1] },
        { name: 'again', stage: 2, occurrence: 5, from: ':1', to: ':1', port_from: 'ANY', port_to: 'ANY', type: 'PluginRule', protocol: 'ANY', reliability: 10, timeout: 3600, plugin_id: 1001, plugin_sid: [2] },
      ],
    },
  ];
  await writeFile(path.join(dir, `directives_${node}_seen.json`), JSON.stringify({ directives }));
  await writeFile(path.join(dir, 'assets_lab.json'), JSON.stringify({ assets: [{ name: 'lab', cidr: '10.0.0.0/8', value: 5 }] }));
  if (intelUrl !== undefined) {
    await writeFile(path.join(dir, 'intel_wise.json'), JSON.stringify({ intel_sources: [{ name: 'Wise', type: 'IP', enabled: true, plugin: 'Wise', config: JSON.stringify({ url: `${intelUrl}/ip/\${ip}` }) }] }));
  }
}

const event = (tag: string, k: number): Uint8Array =>
  encoder.encode(
    JSON.stringify({ event_id: `${tag}-${k}`, timestamp: new Date().toISOString(), sensor: 's1', title: 'seen', src_ip: `10.2.${k >> 8}.${k & 255}`, dst_ip: '8.8.8.8', plugin_id: 1001, plugin_sid: 1 }),
  );

/** Publishes `count` events, `perSecond` of them a second (a trickle: fetches end at their expiry). */
async function publishPaced(nc: NatsConnection, tag: string, count: number, perSecond: number): Promise<void> {
  for (let k = 0; k < count; k++) {
    nc.publish('dsiem_events', event(tag, k));
    if (k % 5 === 4) {
      await nc.flush();
      await new Promise((resolve) => setTimeout(resolve, (5 * 1000) / perSecond));
    }
  }
  await nc.flush();
}

async function settledAt(nc: NatsConnection, seq: number, what: string): Promise<Stats> {
  return waitFor(
    async () => {
      const s = await stats(nc);
      return s !== undefined && s.jetstream.taken_seq >= seq && s.queue_length === 0 && s.backlog_items_in_flight === 0 ? s : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 20, what },
  );
}

async function stopCleanly(proc: CliProcess): Promise<void> {
  proc.signal('SIGTERM');
  const exit = await proc.exited;
  assert.equal(exit.code, 0, proc.output());
}

describe('serve --jetstream under faults', { timeout: 240_000 }, () => {
  let server: NatsTestServer;
  let nc: NatsConnection;
  const dirs: string[] = [];

  before(async () => {
    const store = await tempDir('dsiem-jsf-store-');
    dirs.push(store);
    server = await startNatsServer({ extraArgs: ['-js', '-sd', store] });
    nc = await natsClient(server.url);
  });
  after(async () => {
    await nc.close();
    await server.stop();
    await cleanup(...dirs);
  });

  /** A stream of its own per test (the stream's sequences start at 1 for each). */
  const freshStream = async (name: string) => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete('DSIEM_EVENTS').catch(() => undefined);
    return { jsm, name };
  };

  /** A config folder for `node` (its one directive; lookups from `wiseUrl` when given) and a logs folder. */
  const folders = async (node: string, wiseUrl?: string): Promise<{ config: string; logs: string }> => {
    const config = await tempDir(`dsiem-jsf-${node}-cfg-`);
    const logs = await tempDir(`dsiem-jsf-${node}-`);
    dirs.push(config, logs);
    await writeConfig(config, node, wiseUrl);
    return { config, logs };
  };

  const start = async (config: string, logs: string, node: string, url: string, ...extra: string[]): Promise<CliProcess> => {
    const proc = spawnCli(['serve', '--config', config, '--node', node, '--logs', logs, '--msq', url, '--jetstream', '--checkpoint-interval', '1', '-l', '1000000000', ...extra]);
    await proc.waitForLine(/listening for new events/, 30_000);
    return proc;
  };

  it('takes every event over a NATS link with latency: the fetch expiry follows the round trip', async () => {
    await freshStream('latency');
    const { config, logs } = await folders('lat');
    // 150 ms each way: a message the server sends in the last (round trip - 5% of the expiry) of a fetch comes
    // after nats.js has closed that fetch (at 1.05 x the expiry); what does is fetched again.
    const proxy = await startDelayProxy(server.port, 150);
    try {
      const proc = await start(config, logs, 'lat', proxy.url);
      const total = 300;
      await publishPaced(nc, 'lat', total, 50);
      const s = await settledAt(nc, total, `the backend to take ${total} events`);
      assert.equal(s.received, total, `events taken (the rest were skipped): consumer placed again ${s.jetstream.consumer_replaced} times`);
      // With a fetch expiry of 1 s, messages sent in the last ~250 ms of a fetch were lost to it (and fetched again).
      assert.match(proc.output(), /jetstream fetch expiry set from the NATS round trip.*fetchExpiryMs=[1-9]\d{3}/);
      await stopCleanly(proc);
      const lines = (await readFile(path.join(logs, 'siem_alarm_events.json'), 'utf8')).split('\n').filter((l) => l !== '');
      const ids = new Set(lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id));
      assert.equal(ids.size, total, 'every event opened its backlog and wrote its alarm-event line');
    } finally {
      await proxy.close();
    }
  });

  it('checkpoints while a Wise server never answers: lookups running are not waited for', async () => {
    await freshStream('dead-wise');
    let open = 0;
    const wise = await startHttpServer((_req, res) => {
      open++;
      res.on('close', () => open--);
    });
    const { config, logs } = await folders('wise', wise.url);
    try {
      const proc = await start(config, logs, 'wise', server.url);
      const total = 50;
      for (let k = 0; k < total; k++) nc.publish('dsiem_events', event('wise', k));
      await nc.flush();
      await waitFor(() => wise.requests.length > 0, { timeoutMs: 20_000, what: 'a lookup' });
      // Each lookup waits 10 s for its answer: a checkpoint acknowledging every event comes before they end.
      const openAtAck = await waitFor(
        async () => {
          const s = await stats(nc);
          return s !== undefined && s.jetstream.acked_seq >= total ? { open } : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 20, what: 'a checkpoint acknowledging every event' },
      );
      assert.ok(openAtAck.open > 0, 'the checkpoint waited for the lookups to end');
      await stopCleanly(proc);
    } finally {
      await wise.close();
    }
  });

  it('exports its place in the stream and its checkpoints on /metrics', async () => {
    await freshStream('metrics');
    const { config, logs } = await folders('met');
    const port = await closedPort();
    const proc = await start(config, logs, 'met', server.url, '--port', String(port));
    for (let k = 0; k < 20; k++) nc.publish('dsiem_events', event('met', k));
    await nc.flush();
    await settledAt(nc, 20, 'the 20 events');
    const page = await waitFor(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /^dsiem_jetstream_acked_sequence 20$/m.test(text) ? text : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'a checkpoint acknowledging the 20 events, on /metrics' },
    );
    assert.match(page, /^dsiem_jetstream_taken_sequence 20$/m);
    assert.match(page, /^dsiem_jetstream_lost_events_total 0$/m);
    assert.match(page, /^dsiem_checkpoints_total\{result="written"\} [1-9]\d*$/m);
    assert.match(page, /^dsiem_checkpoint_last_bytes [1-9]\d*$/m);
    await stopCleanly(proc);
  });

  it('makes a consumer deleted from outside again, after the last event taken, and skips nothing', async () => {
    const { jsm } = await freshStream('deleted');
    const { config, logs } = await folders('del');
    const proc = await start(config, logs, 'del', server.url);
    for (let k = 0; k < 100; k++) nc.publish('dsiem_events', event('del', k));
    await nc.flush();
    await settledAt(nc, 100, 'the first 100 events');
    await jsm.consumers.delete('DSIEM_EVENTS', 'dsiem-backend-del');
    for (let k = 100; k < 200; k++) nc.publish('dsiem_events', event('del', k));
    await nc.flush();
    const s = await settledAt(nc, 200, 'the events published after the consumer was deleted');
    assert.equal(s.received, 200);
    assert.ok(s.jetstream.consumer_replaced > 0);
    await stopCleanly(proc);
  });

  it('takes new events when the checkpoint says a stream position past the stream end (a stream restored from a backup)', async () => {
    await freshStream('ahead');
    const { config, logs } = await folders('ahead');
    let proc = await start(config, logs, 'ahead', server.url);
    for (let k = 0; k < 10; k++) nc.publish('dsiem_events', event('ahead', k));
    await nc.flush();
    await settledAt(nc, 10, 'the first 10 events');
    await stopCleanly(proc);

    // The checkpoint's stream position moved far past the stream's last message, its checksum made to match.
    const file = path.join(logs, 'backlogs', 'checkpoint.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
    const header = JSON.parse(lines[0] as string) as { stream: { seq: number } };
    header.stream.seq = 1_000_000_000;
    const body = [JSON.stringify(header), ...lines.slice(1, -1)].map((l) => `${l}\n`).join('');
    const trailer = JSON.parse(lines[lines.length - 1] as string) as { sha256: string };
    trailer.sha256 = createHash('sha256').update(body).digest('hex');
    await writeFile(file, `${body}${JSON.stringify(trailer)}\n`);

    proc = spawnCli(['serve', '--config', config, '--node', 'ahead', '--logs', logs, '--msq', server.url, '--jetstream', '--checkpoint-interval', '1', '-l', '1000000000']);
    await proc.waitForLine(/listening for new events/, 30_000);
    for (let k = 10; k < 40; k++) nc.publish('dsiem_events', event('ahead', k));
    await nc.flush();
    const s = await settledAt(nc, 40, 'the events published after the restart');
    assert.equal(s.received, 30, 'every event published after the restart is taken');
    assert.match(proc.output(), /past the stream's last message/);
    await stopCleanly(proc);
  });
});
