// `serve` and its alarm files under faults, end to end (real nats-server, the CLI process, real signals): a stop
// on a full disk (a real tmpfs) and the next start, log rotation with SIGHUP/SIGUSR1, and the bound on the lines
// kept in memory when the disk stays full.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { Backend, cleanup, publishEvents, SCENARIOS, tempDir, useNats } from './harness.js';
import { mountSmallDisk, NO_MOUNT } from '../helpers/small-disk.js';
import { waitFor } from '../helpers/wait.js';

/** Directive 1 of this scenario counts up to 10,004 pings from one source: one alarm-event line per event. */
const PING_FLOOD = path.join(SCENARIOS, 'core', '01-ping-flood-from-src');
const ARGS = ['--config-dir', PING_FLOOD, '-l', '1000000000', '--reload-backlogs', 'false'];

/**
 * Pings numbered `from` on, one second apart. Every alarm-event line they make has the same length (58 bytes, which
 * does not divide a 4 KiB page), so a write that stops at the end of a page always stops inside a line.
 */
const pings = (from: number, n: number) =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return JSON.stringify({
      event_id: `ev-${String(i).padStart(6, '0')}`,
      timestamp: new Date(Date.UTC(2025, 2, 14, 9) + i * 1000).toISOString(),
      title: 'ICMP Ping',
      sensor: 'sensor-1',
      plugin_id: 1001,
      plugin_sid: 2100384,
      src_ip: '10.0.0.1',
      src_port: 0,
      dst_ip: '8.8.8.8',
      dst_port: 0,
      protocol: 'ICMP',
    });
  });

type Stats = Record<string, unknown> & { received: number; dropped_by_reason: Record<string, number> };

const lineCount = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).length;
const exists = (file: string) => stat(file).then(
  () => true,
  () => false,
);

describe('serve: alarm files under faults', () => {
  const shared = useNats();

  it('a stop on a full disk says how many lines were lost (exit 1); the next start ends the cut line, so no new line merges into it', async (t) => {
    const disk = await mountSmallDisk();
    if (disk === undefined) return t.skip(NO_MOUNT);
    const events = path.join(disk.dir, 'siem_alarm_events.json');
    try {
      const first = await Backend.start([...ARGS, '--msq', shared.server.url], disk.dir);
      await publishEvents(shared.nc, pings(1, 10));
      await first.settled(shared.nc, 10);
      await disk.fill();
      await publishEvents(shared.nc, pings(11, 200));
      await waitFor(
        async () => {
          const s = (await first.stats(shared.nc)) as unknown as Stats;
          return s.received === 210 && Number(s['alarm_write_errors']) > 0 && s['backlog_items_in_flight'] === 0 && s['queue_length'] === 0;
        },
        { timeoutMs: 20_000, what: 'the failed writes' },
      );
      const exit = await first.stop();
      assert.equal(exit.code, 1, first.proc.output());
      const lost = Number(/alarm lines could not be written before exit: (\d+) lines lost/.exec(first.proc.output())?.[1] ?? 0);
      assert.ok(lost > 0, first.proc.output());
      const cut = await readFile(events, 'utf8');
      assert.ok(!cut.endsWith('\n'), 'the stop left a cut line');
      const wholeBefore = cut.split('\n').length - 1;
      // Every alarm-event line not whole on disk is among the lost ones (the alarm lines kept are too).
      assert.ok(lost >= 210 - wholeBefore, `${lost} lost, ${wholeBefore} whole on disk`);

      await disk.free();
      const second = await Backend.start([...ARGS, '--msq', shared.server.url], disk.dir);
      await second.proc.waitForLine(/ended in a cut line/, 5_000);
      await publishEvents(shared.nc, pings(1001, 20));
      const settled = (await second.settled(shared.nc, 20)) as unknown as Stats;
      assert.equal((await second.stop()).code, 0, second.proc.output());
      const lines = (await readFile(events, 'utf8')).split('\n');
      assert.equal(lines.pop(), '');
      const parsed = lines.map((l) => {
        try {
          return JSON.parse(l) as { event_id: string };
        } catch {
          return undefined;
        }
      });
      // Exactly one line is not JSON (the cut one, alone on its line), and every line the second run wrote is whole.
      assert.deepEqual(
        parsed.flatMap((p, i) => (p === undefined ? [i] : [])),
        [wholeBefore],
      );
      const after = parsed.slice(wholeBefore + 1).map((p) => p?.event_id);
      assert.equal(after.length, settled['alarm_event_lines']);
      assert.deepEqual(after, pings(1001, 20).map((l) => (JSON.parse(l) as { event_id: string }).event_id));
    } finally {
      await disk.unmount();
    }
  });

  it('log rotation: after a rename, SIGHUP and SIGUSR1 make new files at the paths at once; new lines go there; the process stays up', async () => {
    const logs = await tempDir('dsiem-rotate-e2e-');
    try {
      const alarms = path.join(logs, 'siem_alarms.json');
      const events = path.join(logs, 'siem_alarm_events.json');
      const backend = await Backend.start([...ARGS, '--msq', shared.server.url], logs);
      await publishEvents(shared.nc, pings(1, 10));
      await backend.settled(shared.nc, 10);
      const before = { alarms: await lineCount(alarms), events: await lineCount(events) };
      assert.equal(before.events, 10);

      let sent = 10;
      let inRotated = { events: 10, alarms: before.alarms };
      for (const [signal, rotation, count] of [['SIGHUP', 1, 5], ['SIGUSR1', 2, 3]] as const) {
        await rename(alarms, `${alarms}.${rotation}`);
        await rename(events, `${events}.${rotation}`);
        backend.proc.signal(signal);
        await waitFor(async () => (await exists(alarms)) && (await exists(events)), { what: `the files made again after ${signal}` });
        await publishEvents(shared.nc, pings(sent + 1, count));
        sent += count;
        await backend.settled(shared.nc, sent);
        assert.equal(await lineCount(events), count);
        assert.equal(await lineCount(`${events}.${rotation}`), inRotated.events);
        assert.equal(await lineCount(`${alarms}.${rotation}`), inRotated.alarms);
        inRotated = { events: count, alarms: await lineCount(alarms) };
      }

      assert.equal((await backend.stop()).code, 0, backend.proc.output());
      assert.match(backend.proc.output(), /reopening the alarm files.*SIGHUP/);
    } finally {
      await cleanup(logs);
    }
  });

  it('at --max-unwritten-mb, intake pauses (overload=true; events dropped and counted as intake-paused) and resumes once the disk is freed', async (t) => {
    const disk = await mountSmallDisk();
    if (disk === undefined) return t.skip(NO_MOUNT);
    const signals: string[] = [];
    const sub = shared.nc.subscribe('dsiem_overload_signals', { callback: (_e, m) => signals.push(new TextDecoder().decode(m.data)) });
    try {
      const backend = await Backend.start([...ARGS, '--msq', shared.server.url, '--max-unwritten-mb', '1', '--hold_duration', '1'], disk.dir);
      await disk.fill();
      // 20,000 alarm-event lines of 58 bytes: more than 1 MiB.
      await publishEvents(shared.nc, pings(1, 20_000));
      await waitFor(async () => ((await backend.stats(shared.nc)) as unknown as Stats)['intake_paused'] === true, { timeoutMs: 30_000, what: 'intake paused' });
      await backend.proc.waitForLine(/intake paused/, 1000);
      await waitFor(() => signals.includes('true'), { timeoutMs: 5000, what: 'overload=true' });
      const paused = (await backend.stats(shared.nc)) as unknown as Stats;
      assert.ok(Number(paused['unwritten_bytes']) >= 1024 * 1024);
      assert.equal(paused['intake_pauses'], 1);

      await publishEvents(shared.nc, pings(20_001, 100));
      const dropped = await waitFor(
        async () => {
          const s = (await backend.stats(shared.nc)) as unknown as Stats;
          return s.received === 20_100 ? s : undefined;
        },
        { timeoutMs: 10_000, what: 'the events sent while paused' },
      );
      assert.equal(dropped.dropped_by_reason['intake-paused'], 100);

      await disk.free();
      await backend.proc.waitForLine(/intake resumed/, 10_000);
      await publishEvents(shared.nc, pings(30_001, 10));
      const done = (await backend.settled(shared.nc, 20_110, 30_000)) as unknown as Stats;
      assert.equal(done['intake_paused'], false);
      assert.equal(done.dropped_by_reason['intake-paused'], 100);
      assert.equal(await lineCount(path.join(disk.dir, 'siem_alarm_events.json')), 20_010);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
    } finally {
      sub.unsubscribe();
      await disk.unmount();
    }
  });
});
