// The alarm writer against real files under faults: a cut line left by an earlier run, a disk that fills up and
// is freed (a real tmpfs), files rotated or deleted under it, and the bound on the lines kept in memory.

import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dispatch, start, stop } from 'nact';
import { ALARM_EVENTS_FILE, ALARMS_FILE, AlarmOutput, spawnAlarmWriter } from '../../actors/alarm-writer-actor.js';
import { runReplay } from '../../actors/replay.js';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import type { BacklogEffect } from '../../src/backlog/transitions.js';
import type { AlarmDocument } from '../../src/alarm/alarm.js';
import { captureLogger, type Captured } from '../helpers/capture-logger.js';
import { mountSmallDisk, NO_MOUNT, type SmallDisk } from '../helpers/small-disk.js';
import { waitFor } from '../helpers/wait.js';
import { correlation } from '../helpers/correlation.js';
import { SCENARIOS } from '../e2e/harness.js';

const eventLine = (i: number) => ({ alarm_id: `a${i}`, stage: 1, event_id: `event-${String(i).padStart(6, '0')}` });
const effects = (from: number, n: number): BacklogEffect[] =>
  Array.from({ length: n }, (_, k) => from + k).flatMap((i): BacklogEffect[] => [
    { type: 'alarm-event', record: eventLine(i) },
    { type: 'alarm', alarm: { alarm_id: `a${i}`, title: `alarm ${i}` } as unknown as AlarmDocument, directiveId: 1 },
  ]);
const linesOf = async (file: string) => (await readFile(file, 'utf8')).split('\n');

/** A writer on `dir` with its log, and its sync/close as promises of the write error. */
function writerOn(dir: string) {
  const system = start();
  const output = new AlarmOutput();
  const { log, lines } = captureLogger();
  const writer = spawnAlarmWriter(system, dir, output, log);
  const ask = (type: 'sync' | 'close') => new Promise<Error | undefined>((resolve) => dispatch(writer, { type, reply: resolve }));
  return {
    output,
    logged: lines,
    sync: () => ask('sync'),
    close: async () => {
      const error = await ask('close');
      stop(system);
      return error;
    },
  };
}

const said = (lines: readonly Captured[], text: string) => lines.find((l) => l.message.includes(text));

describe('alarm writer: a cut line left by an earlier run', () => {
  it('ends it with a newline before writing, so the lines that follow are whole and the cut line stays alone', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-cut-'));
    try {
      const whole = JSON.stringify(eventLine(0));
      await writeFile(path.join(dir, ALARM_EVENTS_FILE), `${whole}\n{"alarm_id":"a1","sta`);
      await writeFile(path.join(dir, ALARMS_FILE), `{"alarm_id":"a0","title":"alarm 0"}\n`);
      const w = writerOn(dir);
      w.output.write(effects(2, 3));
      assert.equal(await w.sync(), undefined);
      assert.equal(await w.close(), undefined);
      const events = await linesOf(path.join(dir, ALARM_EVENTS_FILE));
      assert.deepEqual(events, [whole, '{"alarm_id":"a1","sta', ...[2, 3, 4].map((i) => JSON.stringify(eventLine(i))), '']);
      // A file that ends with its last line gets nothing added.
      const alarms = await linesOf(path.join(dir, ALARMS_FILE));
      assert.equal(alarms.length, 5);
      assert.ok(alarms.slice(0, -1).every((l) => JSON.parse(l) !== undefined));
      const warned = said(w.logged, 'ended in a cut line');
      assert.ok(warned, 'the repair is logged');
      assert.equal(warned.fields['cutLineAt'], whole.length + 1);
      assert.equal(warned.fields['cutLineBytes'], '{"alarm_id":"a1","sta'.length);
      assert.equal(w.logged.filter((l) => l.message.includes('ended in a cut line')).length, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('repairs at start, before any alarm is made', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-cut-start-'));
    try {
      await writeFile(path.join(dir, ALARMS_FILE), '{"alarm_id":"x","ti');
      const w = writerOn(dir);
      await waitFor(() => said(w.logged, 'ended in a cut line'), { what: 'the repair at start' });
      assert.equal(await readFile(path.join(dir, ALARMS_FILE), 'utf8'), '{"alarm_id":"x","ti\n');
      await w.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('alarm writer on a real full disk (tmpfs)', () => {
  let disk: SmallDisk | undefined;
  before(async () => {
    disk = await mountSmallDisk();
  });
  after(async () => {
    await disk?.unmount();
  });
  /** Runs `body` with a writer on the emptied disk (skipped where no tmpfs can be mounted). */
  const onDisk = async (t: TestContext, body: (d: SmallDisk, w: ReturnType<typeof writerOn>) => Promise<void>) => {
    if (disk === undefined) return t.skip(NO_MOUNT);
    await disk.free();
    await rm(path.join(disk.dir, ALARMS_FILE), { force: true });
    await rm(path.join(disk.dir, ALARM_EVENTS_FILE), { force: true });
    const w = writerOn(disk.dir);
    try {
      await body(disk, w);
    } finally {
      await w.close();
    }
  };

  it('retries on a timer: freed space gets the kept lines without a new alarm line, and the recovery is logged', (t) =>
    onDisk(t, async (d, w) => {
      w.output.write(effects(0, 2));
      assert.equal(await w.sync(), undefined);
      await d.fill();
      // More than the slack of the files' last pages: the write stops part-way, then fails.
      w.output.write(effects(2, 200));
      await waitFor(() => said(w.logged, 'cannot write alarm files'), { what: 'the failed write' });
      assert.ok(w.output.pending > 0);
      await d.free();
      // No new line is made: only the retry timer can write them.
      await waitFor(() => w.output.pending === 0, { timeoutMs: 10_000, what: 'the kept lines on disk' });
      const recovered = said(w.logged, 'alarm files written again');
      assert.ok(recovered, 'the recovery is logged');
      assert.ok(Number(recovered.fields['failedAttempts']) >= 1);
      const events = await linesOf(path.join(d.dir, ALARM_EVENTS_FILE));
      assert.deepEqual(events, [...Array.from({ length: 202 }, (_, i) => JSON.stringify(eventLine(i))), '']);
      const alarms = await linesOf(path.join(d.dir, ALARMS_FILE));
      assert.equal(alarms.length, 203);
      assert.equal(w.output.stats.alarmEventLines, 202);
    }));

  it('says exactly what is on disk after a write stopped part-way: whole lines, bytes, and the cut part', (t) =>
    onDisk(t, async (d, w) => {
      w.output.write(effects(0, 1));
      assert.equal(await w.sync(), undefined);
      await d.fill();
      w.output.write(effects(1, 300));
      assert.ok((await w.sync()) instanceof Error);
      const text = await readFile(path.join(d.dir, ALARM_EVENTS_FILE), 'utf8');
      const onDisk = w.output.onDisk()?.events;
      assert.ok(onDisk !== undefined);
      assert.equal(onDisk.bytes, Buffer.byteLength(text));
      assert.equal(onDisk.lines, text.split('\n').length - 1);
      assert.equal(onDisk.partial, Buffer.byteLength(text) - (text.lastIndexOf('\n') + 1));
      assert.ok(onDisk.partial > 0, 'the write stopped inside a line');
      assert.equal((await stat(path.join(d.dir, ALARM_EVENTS_FILE))).size, onDisk.bytes);
      await d.free();
      await waitFor(() => w.output.pending === 0, { timeoutMs: 10_000, what: 'the kept lines on disk' });
      const done = w.output.onDisk()?.events;
      assert.deepEqual({ lines: done?.lines, partial: done?.partial }, { lines: 301, partial: 0 });
    }));

  it('bounds the lines kept in memory: at the bound it says so once, and below it again once written', (t) =>
    onDisk(t, async (d, w) => {
      w.output.maxUnwrittenBytes = 20_000;
      const changes: boolean[] = [];
      w.output.onBound((at) => changes.push(at));
      await d.fill();
      for (let i = 0; i < 100 && !w.output.atBound; i++) w.output.write(effects(i * 10, 10));
      assert.ok(w.output.atBound, `${w.output.unwrittenBytes} bytes kept`);
      assert.ok(w.output.unwrittenBytes >= 20_000);
      const below = w.output.belowBound();
      w.output.write(effects(1000, 10));
      assert.deepEqual(changes, [true]);
      assert.equal(w.output.stats.boundReached, 1);
      await d.free();
      await below;
      assert.deepEqual(changes, [true, false]);
      assert.equal(w.output.atBound, false);
    }));
});

describe('replay at the bound of the lines kept in memory', () => {
  it('stops reading while the disk is full, and finishes with every line once it is freed', async (t) => {
    const disk = await mountSmallDisk();
    if (disk === undefined) return t.skip(NO_MOUNT);
    const work = await mkdtemp(path.join(tmpdir(), 'dsiem-replay-bound-'));
    try {
      const scenario = path.join(SCENARIOS, 'core', '01-ping-flood-from-src');
      const loaded = await loadConfigDir(scenario);
      assert.ok(loaded.ok);
      // Pings from one source, counted by one backlog after another: one alarm-event line each; the file is read
      // in 256 KB pieces, so the reader sees the bound long before its end.
      const events = Array.from({ length: 3000 }, (_, i) =>
        JSON.stringify({ event_id: `ev-${i}`, timestamp: new Date(Date.UTC(2025, 2, 14, 9) + i * 1000).toISOString(), title: 'ICMP Ping', sensor: 's', plugin_id: 1001, plugin_sid: 2100384, src_ip: '10.0.0.1', dst_ip: '8.8.8.8', protocol: 'ICMP', custom_label1: 'padding', custom_data1: 'x'.repeat(200) }),
      );
      await writeFile(path.join(work, 'events.jsonl'), `${events.join('\n')}\n`);
      await disk.fill();
      const { log, lines } = captureLogger();
      let settled = false;
      const replay = runReplay({
        config: loaded.value,
        eventsFile: path.join(work, 'events.jsonl'),
        logsDir: disk.dir,
        drain: false,
        correlation: correlation(1_000_000_000),
        log,
        batchSize: 50,
        maxUnwrittenBytes: 2000,
      }).finally(() => {
        settled = true;
      });
      // Three retries have failed (100 + 200 + 400 ms): a replay that went on reading would have ended by now,
      // failing at its final flush.
      await waitFor(() => settled || lines.filter((l) => l.message.includes('still not writable')).length >= 3, { timeoutMs: 10_000, what: 'retries while full' });
      assert.equal(settled, false, 'replay went on to its end on a full disk');
      await disk.free();
      const summary = await replay;
      assert.equal(summary.eventsRead, 3000);
      assert.equal(summary.alarmEventLines, 3000);
      assert.equal((await linesOf(path.join(disk.dir, ALARM_EVENTS_FILE))).filter(Boolean).length, 3000);
    } finally {
      await disk.unmount();
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('alarm writer follows rotated and deleted files', () => {
  const run = async (rotate: (file: string) => Promise<void>, check: (dir: string) => Promise<void>) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-rotate-'));
    const w = writerOn(dir);
    try {
      w.output.write(effects(0, 3));
      assert.equal(await w.sync(), undefined);
      await rotate(path.join(dir, ALARMS_FILE));
      await rotate(path.join(dir, ALARM_EVENTS_FILE));
      w.output.write(effects(3, 2));
      assert.equal(await w.sync(), undefined);
      await check(dir);
      return w.logged;
    } finally {
      await w.close();
      await rm(dir, { recursive: true, force: true });
    }
  };
  const ids = async (file: string) => (await linesOf(file)).filter(Boolean).map((l) => (JSON.parse(l) as { alarm_id: string }).alarm_id);

  it('after a rename (log rotation), writes the new lines to a new file at the path', async () => {
    const logged = await run(
      (file) => rename(file, `${file}.1`),
      async (dir) => {
        assert.deepEqual(await ids(path.join(dir, `${ALARMS_FILE}.1`)), ['a0', 'a1', 'a2']);
        assert.deepEqual(await ids(path.join(dir, ALARMS_FILE)), ['a3', 'a4']);
        assert.deepEqual(await ids(path.join(dir, `${ALARM_EVENTS_FILE}.1`)), ['a0', 'a1', 'a2']);
        assert.deepEqual(await ids(path.join(dir, ALARM_EVENTS_FILE)), ['a3', 'a4']);
      },
    );
    assert.equal(said(logged, 'changed on disk')?.fields['change'], 'moved');
  });

  it('after a rename and a new file at the path (logrotate "create"), writes the new lines to that file', async () => {
    const logged = await run(
      async (file) => {
        await rename(file, `${file}.1`);
        await writeFile(file, '');
      },
      async (dir) => {
        assert.deepEqual(await ids(path.join(dir, `${ALARMS_FILE}.1`)), ['a0', 'a1', 'a2']);
        assert.deepEqual(await ids(path.join(dir, ALARMS_FILE)), ['a3', 'a4']);
        assert.deepEqual(await ids(path.join(dir, ALARM_EVENTS_FILE)), ['a3', 'a4']);
      },
    );
    assert.equal(said(logged, 'changed on disk')?.fields['change'], 'rotated');
  });

  it('after an unlink, writes the new lines to a new file at the path (not into the deleted inode)', async () => {
    const logged = await run(unlink, async (dir) => {
      assert.deepEqual(await ids(path.join(dir, ALARMS_FILE)), ['a3', 'a4']);
      assert.deepEqual(await ids(path.join(dir, ALARM_EVENTS_FILE)), ['a3', 'a4']);
    });
    assert.equal(said(logged, 'changed on disk')?.fields['change'], 'deleted');
  });

  it('after a truncation (copytruncate), appends at the new end and knows the new size', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-truncate-'));
    const w = writerOn(dir);
    try {
      w.output.write(effects(0, 3));
      assert.equal(await w.sync(), undefined);
      await truncate(path.join(dir, ALARM_EVENTS_FILE), 0);
      w.output.write(effects(3, 1));
      assert.equal(await w.sync(), undefined);
      assert.deepEqual(await ids(path.join(dir, ALARM_EVENTS_FILE)), ['a3']);
      assert.equal(w.output.onDisk()?.events.bytes, (await stat(path.join(dir, ALARM_EVENTS_FILE))).size);
      assert.equal(said(w.logged, 'changed on disk')?.fields['change'], 'truncated');
    } finally {
      await w.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('on reopen (SIGHUP/SIGUSR1), makes new files at the paths at once, before any new line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-reopen-'));
    const w = writerOn(dir);
    try {
      w.output.write(effects(0, 1));
      assert.equal(await w.sync(), undefined);
      await rename(path.join(dir, ALARMS_FILE), path.join(dir, `${ALARMS_FILE}.1`));
      await rename(path.join(dir, ALARM_EVENTS_FILE), path.join(dir, `${ALARM_EVENTS_FILE}.1`));
      w.output.reopen();
      await waitFor(async () => (await stat(path.join(dir, ALARMS_FILE)).catch(() => undefined)) && (await stat(path.join(dir, ALARM_EVENTS_FILE)).catch(() => undefined)), {
        what: 'the reopened files',
      });
      assert.equal((await stat(path.join(dir, ALARMS_FILE))).size, 0);
      assert.ok(said(w.logged, 'alarm file reopened'));
    } finally {
      await w.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
