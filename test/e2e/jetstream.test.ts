// JetStream mode end to end, with a real nats-server -js (its own store in a temp folder): kill -9 at several
// points (one during a checkpoint write), a clean stop with events published while the backend is down, and a
// nats-server restart mid-stream; afterwards the alarms must equal an uninterrupted run over the same stream:
// (a) every alarm's final state, (b) every alarm-event line exactly once, (c) the same alarm ids, (d) no line
// cut or merged. Also: a stream that exists with other subjects refuses the start; a backlog whose deadline
// passed while the backend was down expires once it is back.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import { spawnCli, type CliProcess } from '../helpers/process.js';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/wait.js';
import { cleanup, natsClient, statsReply, tempDir } from './harness.js';
import { startBacklog } from '../../src/backlog/transitions.js';
import { encodeCheckpoint } from '../../src/state/checkpoint.js';
import { writeCheckpoint } from '../../src/state/checkpoint-files.js';
import { aContext, aDirective, anEvent, at, T0 } from '../src/helpers.js';
import { mountSmallDisk, NO_MOUNT } from '../helpers/small-disk.js';
import { startDelayProxy } from '../helpers/delay-proxy.js';

const encoder = new TextEncoder();
const PAIRS = 1500;
const ROUNDS = 12;
const TOTAL = PAIRS * ROUNDS;
const BASE = Date.parse('2025-01-01T00:00:00Z') / 1000;

/** Ten directives (sid 1..10), three stages each: 1, 3 and 5 events from one source; two backlogs per source pair. */
async function writeConfig(dir: string, nodes: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const directives = Array.from({ length: 10 }, (_, i) => ({
    id: 100 + i,
    name: `Burst ${i} from SRC_IP`,
    priority: 3,
    kingdom: 'Reconnaissance & Probing',
    category: 'Misc Activity',
    rules: [
      { name: 'first', stage: 1, occurrence: 1, from: 'HOME_NET', to: 'ANY', port_from: 'ANY', port_to: 'ANY', type: 'PluginRule', protocol: 'ANY', reliability: 1, timeout: 0, plugin_id: 1001, plugin_sid: [i + 1] },
      { name: 'more', stage: 2, occurrence: 3, from: ':1', to: ':1', port_from: 'ANY', port_to: 'ANY', type: 'PluginRule', protocol: 'ANY', reliability: 5, timeout: 3600, plugin_id: 1001, plugin_sid: [i + 1] },
      { name: 'many', stage: 3, occurrence: 5, from: ':1', to: ':1', port_from: 'ANY', port_to: 'ANY', type: 'PluginRule', protocol: 'ANY', reliability: 8, timeout: 3600, plugin_id: 1001, plugin_sid: [i + 1] },
    ],
  }));
  for (const node of nodes) await writeFile(path.join(dir, `directives_${node}_burst.json`), JSON.stringify({ directives }));
  await writeFile(path.join(dir, 'assets_lab.json'), JSON.stringify({ assets: [{ name: 'lab', cidr: '10.0.0.0/8', value: 5 }] }));
}

/** Event k: round r = k / PAIRS, pair p = k % PAIRS (its own source), in time order. */
function event(k: number): Uint8Array {
  const r = Math.floor(k / PAIRS);
  const p = k % PAIRS;
  return encoder.encode(
    JSON.stringify({
      event_id: `ev-${r}-${p}`,
      timestamp: new Date((BASE + r * 10) * 1000).toISOString(),
      sensor: 's1',
      title: 'burst',
      src_ip: `10.1.${p >> 8}.${p & 255}`,
      dst_ip: '8.8.8.8',
      plugin_id: 1001,
      plugin_sid: (p % 10) + 1,
      rcvd_time: Date.now() * 1e6,
    }),
  );
}

async function publish(nc: NatsConnection, from: number, to: number): Promise<void> {
  for (let k = from; k < to; k++) {
    nc.publish('dsiem_events', event(k));
    if (k % 2000 === 1999) await nc.flush();
  }
  await nc.flush();
}

interface Stats {
  queue_length: number;
  backlog_items_in_flight: number;
  lines_not_written: number;
  jetstream: { taken_seq: number; caught_up: boolean; checkpoints_written: number } | null;
}

const stats = (nc: NatsConnection) => statsReply<Stats>(nc);

const backendArgs = (config: string, logs: string, node: string, url: string) => [
  'serve', '--config', config, '--node', node, '--logs', logs, '--msq', url, '--jetstream', '--checkpoint-interval', '1', '-l', '1000000000',
];

async function startBackend(config: string, logs: string, node: string, url: string): Promise<CliProcess> {
  const proc = spawnCli(backendArgs(config, logs, node, url));
  await proc.waitForLine(/listening for new events/, 30_000);
  return proc;
}

/** Waits until the backend has taken `seq` events of the stream (and, with `settled`, finished with them). */
async function reached(nc: NatsConnection, seq: number, settled: boolean, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const s = await stats(nc);
      const js = s?.jetstream;
      if (s === undefined || js === null || js === undefined || js.taken_seq < seq) return undefined;
      return !settled || (s.queue_length === 0 && s.backlog_items_in_flight === 0 && s.lines_not_written === 0) ? true : undefined;
    },
    { timeoutMs, intervalMs: 10, what: `the backend to take ${seq} events${settled ? ' and settle' : ''}` },
  );
}

async function kill9(proc: CliProcess): Promise<void> {
  proc.signal('SIGKILL');
  await proc.exited;
}

async function stopCleanly(proc: CliProcess): Promise<void> {
  proc.signal('SIGTERM');
  const exit = await proc.exited;
  assert.equal(exit.code, 0, proc.output());
}

/** Kills the backend the moment it starts writing a checkpoint (the temp file appears); true when it left the file. */
async function killDuringCheckpoint(proc: CliProcess, logs: string): Promise<boolean> {
  const dir = path.join(logs, 'backlogs');
  await mkdir(dir, { recursive: true });
  await new Promise<void>((resolve) => {
    const watcher = watch(dir, (_kind, name) => {
      if (name?.endsWith('.tmp') === true) {
        proc.signal('SIGKILL');
        watcher.close();
        resolve();
      }
    });
  });
  await proc.exited;
  return (await readdir(dir)).some((n) => n.endsWith('.tmp'));
}

interface Output {
  /** Last line of each alarm id in siem_alarms.json. */
  finalAlarms: Map<string, unknown>;
  eventLines: string[];
  problems: string[];
}

async function readOutput(logs: string): Promise<Output> {
  const problems: string[] = [];
  const lines = async (name: string) => {
    const text = await readFile(path.join(logs, name), 'utf8');
    if (text !== '' && !text.endsWith('\n')) problems.push(`${name} ends in a cut line`);
    return text.split('\n').filter((l) => l !== '');
  };
  const parse = (name: string, line: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`${name}: a line that is not JSON (cut or merged): ${line.slice(0, 120)}`);
      return undefined;
    }
  };
  const finalAlarms = new Map<string, unknown>();
  for (const line of await lines('siem_alarms.json')) {
    const alarm = parse('siem_alarms.json', line);
    if (alarm !== undefined) finalAlarms.set(String(alarm['alarm_id']), alarm);
  }
  const eventLines = await lines('siem_alarm_events.json');
  for (const line of eventLines) parse('siem_alarm_events.json', line);
  return { finalAlarms, eventLines, problems };
}

describe('serve --jetstream', { timeout: 300_000 }, () => {
  let server: NatsTestServer;
  let nc: NatsConnection;
  let store: string;
  const dirs: string[] = [];

  before(async () => {
    store = await tempDir('dsiem-js-store-');
    server = await startNatsServer({ extraArgs: ['-js', '-sd', store] });
    nc = await natsClient(server.url);
  });
  after(async () => {
    await nc.close();
    await server.stop();
    await cleanup(store, ...dirs);
  });

  /** A temp folder removed after the tests. */
  const folder = async (prefix: string): Promise<string> => {
    const dir = await tempDir(prefix);
    dirs.push(dir);
    return dir;
  };

  it('loses nothing and doubles nothing across kill -9 (one during a checkpoint write), a stop while events are published, and a NATS restart', async () => {
    const config = await folder('dsiem-js-config-');
    const crashLogs = await folder('dsiem-js-crash-');
    const refLogs = await folder('dsiem-js-ref-');
    await writeConfig(config, ['ref', 'crash']);
    const half = TOTAL / 2;

    // The run under test (its first start makes the stream): two kills in the first half, a clean stop, the
    // second half published while it is down.
    let proc = await startBackend(config, crashLogs, 'crash', server.url);
    await publish(nc, 0, half);
    for (const share of [0.15, 0.3]) {
      await reached(nc, Math.floor(TOTAL * share), false);
      await kill9(proc);
      proc = await startBackend(config, crashLogs, 'crash', server.url);
    }
    await reached(nc, half, true);
    await stopCleanly(proc);
    await publish(nc, half, TOTAL);

    // Back up: a NATS restart mid-stream, then kills at three more points, one of them during a checkpoint write.
    proc = await startBackend(config, crashLogs, 'crash', server.url);
    await reached(nc, Math.floor(TOTAL * 0.55), false);
    await server.restart();
    let duringWrite = false;
    for (const share of [0.65, 0.8]) {
      await reached(nc, Math.floor(TOTAL * share), false);
      await kill9(proc);
      proc = await startBackend(config, crashLogs, 'crash', server.url);
    }
    for (let attempt = 0; attempt < 5 && !duringWrite; attempt++) {
      duringWrite = await killDuringCheckpoint(proc, crashLogs);
      proc = await startBackend(config, crashLogs, 'crash', server.url);
    }
    assert.ok(duringWrite, 'no kill landed during a checkpoint write in 5 attempts');
    await reached(nc, TOTAL, true);
    await stopCleanly(proc);

    // The uninterrupted run over the same stream (its own consumer).
    const ref = await startBackend(config, refLogs, 'ref', server.url);
    await reached(nc, TOTAL, true);
    await stopCleanly(ref);

    const expected = await readOutput(refLogs);
    const actual = await readOutput(crashLogs);
    assert.deepEqual(expected.problems, []);
    assert.deepEqual(actual.problems, [], 'lines cut or merged (d)');
    assert.ok(expected.finalAlarms.size >= PAIRS, `the reference made ${expected.finalAlarms.size} alarms`);
    assert.deepEqual([...actual.finalAlarms.keys()].sort(), [...expected.finalAlarms.keys()].sort(), 'the same alarm ids (c)');
    for (const [id, alarm] of expected.finalAlarms) assert.deepEqual(actual.finalAlarms.get(id), alarm, `final state of alarm ${id} (a)`);
    const counts = new Map<string, number>();
    for (const line of actual.eventLines) counts.set(line, (counts.get(line) ?? 0) + 1);
    const doubled = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(doubled.slice(0, 5), [], `${doubled.length} alarm-event lines written more than once (b)`);
    assert.deepEqual([...counts.keys()].sort(), [...expected.eventLines].sort(), 'every alarm-event line of the reference, exactly once (b)');
  });

  it('refuses to start when the stream exists with other subjects, saying so', async () => {
    const config = await folder('dsiem-js-config2-');
    const logs = await folder('dsiem-js-other-');
    await writeConfig(config, ['x']);
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'OTHER_EVENTS', subjects: ['something.else'], storage: StorageType.File, retention: RetentionPolicy.Limits });
    const proc = spawnCli([...backendArgs(config, logs, 'x', server.url), '--js-stream', 'OTHER_EVENTS']);
    const exit = await proc.exited;
    assert.equal(exit.code, 1, proc.output());
    assert.match(proc.output(), /OTHER_EVENTS .*exists with subjects \["something.else"\].*dsiem_events/);
  });

  it('doubles nothing when killed again while catching up after a kill (no checkpoint before the lines are made again)', async () => {
    const config = await folder('dsiem-js-config-twice-');
    const logs = await folder('dsiem-js-twice-');
    const refLogs = await folder('dsiem-js-twiceref-');
    await writeConfig(config, ['twice', 'twiceref']);
    const total = PAIRS * 4;
    await ownServer(async (url) => {
      const own = await natsClient(url);
      const port = Number(new URL(url).port);
      try {
        // Only the first checkpoint (at start, before any event): every alarm line is past its positions.
        let proc = spawnCli([...backendArgs(config, logs, 'twice', url), '--checkpoint-interval', '3600']);
        await proc.waitForLine(/listening for new events/, 30_000);
        await publish(own, 0, total);
        await reached(own, total, true);
        await kill9(proc);

        // Back up, catching up slowly (a link with latency, a short queue), checkpoints every second: killed again
        // after more than one interval, before it has caught up.
        const proxy = await startDelayProxy(port, 20);
        try {
          proc = spawnCli([...backendArgs(config, logs, 'twice', proxy.url), '--max_queue', '50']);
          await proc.waitForLine(/listening for new events/, 30_000);
          await new Promise((resolve) => setTimeout(resolve, 2_500));
          const s = await stats(own);
          await kill9(proc);
          assert.ok(s?.jetstream !== null && s?.jetstream !== undefined && s.jetstream.taken_seq < total, `caught up within 2.5 s: the test did not reach the fault (taken ${s?.jetstream?.taken_seq})`);
        } finally {
          await proxy.close();
        }

        proc = await startBackend(config, logs, 'twice', url);
        await reached(own, total, true);
        await stopCleanly(proc);
        const ref = await startBackend(config, refLogs, 'twiceref', url);
        await reached(own, total, true);
        await stopCleanly(ref);
      } finally {
        await own.close();
      }
    });
    const expected = await readOutput(refLogs);
    const actual = await readOutput(logs);
    assert.deepEqual(actual.problems, [], 'lines cut or merged');
    const counts = new Map<string, number>();
    for (const line of actual.eventLines) counts.set(line, (counts.get(line) ?? 0) + 1);
    const doubled = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(doubled.slice(0, 3), [], `${doubled.length} alarm-event lines written more than once`);
    assert.deepEqual([...counts.keys()].sort(), [...expected.eventLines].sort(), 'every alarm-event line of the reference, exactly once');
    for (const [id, alarm] of expected.finalAlarms) assert.deepEqual(actual.finalAlarms.get(id), alarm, `final state of alarm ${id}`);
  });

  it('refuses to start on a stream with interest or work-queue retention, which deletes events a restart needs', async () => {
    const config = await folder('dsiem-js-config-ret-');
    const logs = await folder('dsiem-js-retention-');
    await writeConfig(config, ['ret']);
    const { code, output } = await ownServer(async (url) => {
      const own = await natsClient(url);
      try {
        const jsm = await own.jetstreamManager();
        await jsm.streams.add({ name: 'DSIEM_EVENTS', subjects: ['dsiem_events'], storage: StorageType.File, retention: RetentionPolicy.Interest });
        const proc = spawnCli(backendArgs(config, logs, 'ret', url));
        // A backend that takes the stream as it is starts listening: stop it and fail on its exit code (0).
        const listening = proc.waitForLine(/listening for new events/, 30_000).then(() => proc.signal('SIGTERM'), () => undefined);
        const exit = await proc.exited;
        await listening;
        return { code: exit.code, output: proc.output() };
      } finally {
        await own.close();
      }
    });
    assert.equal(code, 1, output);
    assert.match(output, /DSIEM_EVENTS \(--js-stream\) has retention "interest": the backend needs "limits" retention/);
  });

  it('expires at restart a backlog whose deadline passed while the backend was down, with its alarm id', async () => {
    const config = await folder('dsiem-js-config3-');
    const logs = await folder('dsiem-js-expiry-');
    await mkdir(config, { recursive: true });
    const rule = (stage: number, sid: number, extra: Record<string, unknown>) => ({ name: `s${stage}`, stage, occurrence: 1, from: 'HOME_NET', to: 'ANY', port_from: 'ANY', port_to: 'ANY', type: 'PluginRule', protocol: 'ANY', reliability: 5, timeout: 0, plugin_id: 1001, plugin_sid: [sid], ...extra });
    await writeFile(
      path.join(config, 'directives_late_x.json'),
      JSON.stringify({ directives: [{ id: 900, name: 'Waits for SRC_IP', priority: 5, kingdom: 'k', category: 'c', rules: [rule(1, 77, {}), rule(2, 78, { from: ':1', occurrence: 2, timeout: 1 })] }] }),
    );
    await writeFile(path.join(config, 'assets_lab.json'), JSON.stringify({ assets: [{ name: 'lab', cidr: '10.0.0.0/8', value: 5 }] }));
    // A server of its own: the other tests' stream already captures dsiem_events on the shared one.
    const lateStore = await folder('dsiem-js-store-late-');
    const lateServer = await startNatsServer({ extraArgs: ['-js', '-sd', lateStore] });
    const args = ['serve', '--config', config, '--node', 'late', '--logs', logs, '--msq', lateServer.url, '--jetstream', '--checkpoint-interval', '1'];
    const lateNc = await natsClient(lateServer.url);
    try {
      let proc = spawnCli(args);
      await proc.waitForLine(/listening for new events/, 30_000);
      const startedAt = Date.now();
      lateNc.publish('dsiem_events', encoder.encode(JSON.stringify({ event_id: 'late-1', timestamp: new Date(startedAt).toISOString(), sensor: 's', title: 't', src_ip: '10.9.9.9', dst_ip: '8.8.8.8', plugin_id: 1001, plugin_sid: 77 })));
      await lateNc.flush();
      const alarms = path.join(logs, 'siem_alarms.json');
      const lines = async () => (await readFile(alarms, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { alarm_id: string; rules: Array<{ status?: string }> });
      const first = await waitFor(async () => (await lines())[0], { timeoutMs: 20_000, what: 'the first alarm' });
      await stopCleanly(proc);
      assert.equal((await lines()).length, 1, 'still open when stopped');
      // Down for longer than the stage's timeout (1 s) and the caught-up margin (2 s).
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + 4_500 - Date.now())));
      proc = spawnCli(args);
      const expired = await waitFor(async () => (await lines()).find((a) => a.rules[1]?.status === 'timeout'), { timeoutMs: 20_000, what: 'the alarm re-written as timed out' });
      assert.equal(expired.alarm_id, first.alarm_id);
      await stopCleanly(proc);
    } finally {
      await lateNc.close();
      await lateServer.stop();
    }
  });

  /** A nats-server -js of its own: the stream of the first test (18,000 events) is not taken again. */
  async function ownServer<T>(f: (url: string) => Promise<T>): Promise<T> {
    const ownStore = await folder('dsiem-js-store-own-');
    const own = await startNatsServer({ extraArgs: ['-js', '-sd', ownStore] });
    try {
      return await f(own.url);
    } finally {
      await own.stop();
    }
  }

  /** A checkpoint of core NATS mode (no stream), with the alarm files' positions, as a switch to --jetstream finds it. */
  async function coreCheckpoint(logs: string, directiveId: number): Promise<Buffer> {
    const directive = aDirective([{ plugin_sid: [1], from: 'HOME_NET' }, { plugin_sid: [2], from: ':1', occurrence: 2, timeout: 60 }], { id: directiveId, name: `D${directiveId}` });
    const state = startBacklog(directive, anEvent({ event_id: 'e1', plugin_sid: 1, timestamp: at(0) }), aContext(), 'aaaaaaaaa', T0 * 1000).state;
    const header = { saved_at: new Date(0).toISOString(), reason: 'shutdown' as const, node: 'elsewhere', stream: null, alarm_files: { alarms: { identity: '1:2', bytes: 0 }, events: { identity: '1:3', bytes: 0 } } };
    const written = await writeCheckpoint(path.join(logs, 'backlogs'), encodeCheckpoint({ header, directives: [{ id: directiveId, name: directive.name, backlogs: [state] }] }), 1);
    assert.ok(written.ok);
    return readFile(path.join(logs, 'backlogs', 'checkpoint.jsonl'));
  }

  it('keeps aside a checkpoint with backlogs of directives not loaded now, before the next checkpoints replace it', async () => {
    const config = await folder('dsiem-js-config4-');
    const logs = await folder('dsiem-js-aside-');
    await writeConfig(config, ['aside']);
    const saved = await coreCheckpoint(logs, 999);
    const proc = await ownServer(async (url) => {
      const started = await startBackend(config, logs, 'aside', url);
      await stopCleanly(started);
      return started;
    });
    assert.match(proc.output(), /saved backlogs of directives that are not loaded now were kept aside .*directiveIds=\[999\]/);
    const names = await readdir(path.join(logs, 'backlogs'));
    const aside = names.filter((n) => /^checkpoint\.unrestored-.*\.jsonl$/.test(n));
    assert.equal(aside.length, 1, names.join(', '));
    assert.deepEqual(await readFile(path.join(logs, 'backlogs', aside[0] as string)), saved);
    assert.notDeepEqual(await readFile(path.join(logs, 'backlogs', 'checkpoint.jsonl')), saved, 'replaced by the checkpoints since');
  });

  it('does not replace a checkpoint that has the alarm files\' positions by a first one that cannot have them', async (t) => {
    const disk = await mountSmallDisk();
    if (disk === undefined) {
      t.skip(NO_MOUNT);
      return;
    }
    const config = await folder('dsiem-js-config5-');
    const saves = await folder('dsiem-js-saves5-');
    const logs = disk.dir;
    try {
      await writeConfig(config, ['nofiles']);
      // Only the alarm files are on the full disk: the checkpoints could be written.
      await symlink(saves, path.join(logs, 'backlogs'));
      const saved = await coreCheckpoint(logs, 100);
      // A cut last line that fills its page: ending it needs a byte the full disk refuses, so the first flush fails.
      await writeFile(path.join(logs, 'siem_alarm_events.json'), 'x'.repeat(4096));
      await disk.fill();
      await ownServer(async (url) => {
        const proc = await startBackend(config, logs, 'nofiles', url);
        assert.deepEqual(await readFile(path.join(logs, 'backlogs', 'checkpoint.jsonl')), saved, proc.output());
        assert.match(proc.output(), /checkpoint skipped: the alarm lines cannot be made durable/);
        assert.match(proc.output(), /first checkpoint not written/);
        await disk.free();
        await stopCleanly(proc);
      });
    } finally {
      await disk.unmount();
    }
  });

  it('loses no alarm line held behind a cut line that nothing completes when stopped while catching up', async () => {
    // A cut line that no line made again completes (as when intel gives an alarm other content after a restart):
    // the lines made meanwhile are held, no checkpoint acknowledges their events, and SIGTERM writes them.
    const config = await folder('dsiem-js-config4-');
    const cutLogs = await folder('dsiem-js-cut-');
    const refLogs = await folder('dsiem-js-cutref-');
    const cutStore = await folder('dsiem-js-store-cut-');
    await writeConfig(config, ['cut', 'cutref']);
    const cutServer = await startNatsServer({ extraArgs: ['-js', '-sd', cutStore] });
    const cutNc = await natsClient(cutServer.url);
    const total = PAIRS * 12;
    try {
      let proc = await startBackend(config, cutLogs, 'cut', cutServer.url);
      await publish(cutNc, 0, PAIRS * 2);
      await reached(cutNc, PAIRS * 2, true);
      await kill9(proc);
      await appendFile(path.join(cutLogs, 'siem_alarms.json'), '{"alarm_id":"cut-fragment');
      // Published while it is down: the alarm lines of round 3 (stage 2 reached) are made after the restart.
      await publish(cutNc, PAIRS * 2, total);
      proc = await startBackend(config, cutLogs, 'cut', cutServer.url);
      const alarmsMade = async () => (((await stats(cutNc)) as { alarms?: number } | undefined)?.alarms ?? 0) >= PAIRS / 2 || undefined;
      await waitFor(alarmsMade, { timeoutMs: 60_000, intervalMs: 5, what: 'alarms made after the restart' });
      await stopCleanly(proc);
      const ended = /ended the cut line a restart was completing \(stopping.*heldLines=(\d+)/.exec(proc.output());
      assert.ok(ended !== null && Number(ended[1]) > 0, `the stop came while lines were held:\n${proc.output()}`);
      proc = await startBackend(config, cutLogs, 'cut', cutServer.url);
      await reached(cutNc, total, true);
      await stopCleanly(proc);

      const ref = await startBackend(config, refLogs, 'cutref', cutServer.url);
      await reached(cutNc, total, true);
      await stopCleanly(ref);

      const expected = await readOutput(refLogs);
      const actual = await readOutput(cutLogs);
      assert.deepEqual(expected.problems, []);
      assert.deepEqual(actual.problems.filter((p) => !p.includes('cut-fragment')), [], 'lines cut or merged, other than the planted one');
      const missing = [...expected.finalAlarms.keys()].filter((id) => !actual.finalAlarms.has(id));
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${expected.finalAlarms.size} alarms missing`);
      for (const [id, alarm] of expected.finalAlarms) assert.deepEqual(actual.finalAlarms.get(id), alarm, `final state of alarm ${id}`);
      const written = new Set(actual.eventLines);
      const lost = expected.eventLines.filter((l) => !written.has(l));
      assert.deepEqual(lost.slice(0, 5), [], `${lost.length} alarm-event lines missing`);
    } finally {
      await cutNc.close();
      await cutServer.stop();
    }
  });
});
