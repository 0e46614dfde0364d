// The alarm writer's queue: lines are encoded as they come and appended in order; a failed write keeps exactly
// the lines not on disk and writes them first next time (none lost, none twice).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rename, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dispatch, start, stop } from 'nact';
import { ALARM_EVENTS_FILE, ALARMS_FILE, AlarmOutput, LineQueue, spawnAlarmWriter, type AppendFile } from '../../actors/alarm-writer-actor.js';
import type { BacklogEffect } from '../../src/backlog/transitions.js';
import type { AlarmDocument } from '../../src/alarm/alarm.js';
import { captureLogger } from '../helpers/capture-logger.js';

const decode = (chunks: ReadonlyArray<{ bytes: Buffer }>) => Buffer.concat(chunks.map((c) => c.bytes)).toString('utf8');

describe('LineQueue', () => {
  it('keeps lines in order across chunks, with multi-byte text and lines longer than a chunk', () => {
    const q = new LineQueue();
    const long = 'é'.repeat(200_000);
    const lines = ['a', 'ünïcødé ✓', long, 'b', ...Array.from({ length: 5000 }, (_, i) => `line ${i}`)];
    for (const l of lines) q.add(l);
    assert.equal(q.count, lines.length);
    const taken = q.take();
    assert.ok(taken.length > 1, 'several chunks');
    assert.equal(q.count, 0);
    assert.equal(decode(taken), lines.join('\n') + '\n');
    assert.equal(taken.reduce((n, c) => n + c.lines, 0), lines.length);
  });

  it('puts restored chunks before lines added since', () => {
    const q = new LineQueue();
    q.add('first');
    const taken = q.take();
    q.add('second');
    q.restore(taken);
    q.add('third');
    assert.equal(q.count, 3);
    assert.equal(decode(q.take()), 'first\nsecond\nthird\n');
  });
});

describe('alarm writer', () => {
  it('after a failed write, writes every kept line exactly once, alarm-event lines included', async () => {
    const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-writer-'));
    const system = start();
    try {
      const alarmsPath = path.join(logs, ALARMS_FILE);
      await symlink('/dev/full', alarmsPath);
      const output = new AlarmOutput();
      const { log, lines } = captureLogger();
      const writer = spawnAlarmWriter(system, logs, output, log);
      const sync = () => new Promise<Error | undefined>((resolve) => dispatch(writer, { type: 'sync', reply: resolve }));
      const effects = (n: number): BacklogEffect[] => [
        { type: 'alarm-event', record: { alarm_id: `a${n}`, stage: 1, event_id: `e${n}` } },
        { type: 'alarm', alarm: { alarm_id: `a${n}`, title: `t${n}` } as unknown as AlarmDocument, directiveId: 1 },
      ];
      output.write(effects(1));
      assert.ok((await sync()) instanceof Error, 'the write to /dev/full fails');
      assert.ok(lines.some((l) => l.message.includes('cannot write alarm files')));
      // The alarm-event chunk went out before the alarm chunk failed: only the alarm line is kept.
      assert.equal(output.pending, 1);
      output.write(effects(2));
      await unlink(alarmsPath);
      assert.equal(await sync(), undefined);
      assert.equal(output.pending, 0);
      const events = (await readFile(path.join(logs, ALARM_EVENTS_FILE), 'utf8')).trim().split('\n');
      const alarms = (await readFile(alarmsPath, 'utf8')).trim().split('\n');
      assert.deepEqual(events.map((l) => (JSON.parse(l) as { event_id: string }).event_id), ['e1', 'e2']);
      assert.deepEqual(alarms.map((l) => (JSON.parse(l) as { alarm_id: string }).alarm_id), ['a1', 'a2']);
      assert.equal(output.stats.alarmEventLines, 2);
      assert.equal(output.stats.alarmLines, 2);
      await new Promise((resolve) => dispatch(writer, { type: 'close', reply: resolve }));
    } finally {
      stop(system);
      await rm(logs, { recursive: true, force: true });
    }
  });
});

/** Real files whose writes stop, as on a full disk, once `room` bytes have gone to the events file. */
function fillingDisk() {
  const disk = { room: Infinity };
  const openFile = async (file: string): Promise<AppendFile> => {
    const handle = await open(file, 'a');
    if (!file.endsWith(ALARM_EVENTS_FILE)) return handle;
    return {
      write: async (buffer, offset, length) => {
        if (disk.room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        const n = Math.min(length, disk.room);
        disk.room -= n;
        return handle.write(buffer, offset, n);
      },
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      stat: () => handle.stat(),
      close: () => handle.close(),
    };
  };
  return { disk, openFile };
}

describe('alarm writer on a disk that fills up mid-write', () => {
  const records = Array.from({ length: 40 }, (_, i) => ({ alarm_id: 'a', stage: 1, event_id: `event-${i}` }));
  const effects: BacklogEffect[] = records.map((record) => ({ type: 'alarm-event', record }));
  const expected = records.map((r) => JSON.stringify(r));

  async function run(between: (logs: string) => Promise<void>): Promise<{ logs: string; output: AlarmOutput }> {
    const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-writer-full-'));
    const system = start();
    try {
      const { disk, openFile } = fillingDisk();
      const output = new AlarmOutput();
      const writer = spawnAlarmWriter(system, logs, output, captureLogger().log, openFile);
      const sync = () => new Promise<Error | undefined>((resolve) => dispatch(writer, { type: 'sync', reply: resolve }));
      disk.room = 300; // a few lines and part of one
      output.write(effects);
      assert.ok((await sync()) instanceof Error);
      assert.equal(output.pending, records.length, 'a chunk not all on disk keeps all its lines');
      await between(logs);
      disk.room = Infinity;
      assert.equal(await sync(), undefined);
      assert.equal(output.pending, 0);
      assert.equal(output.stats.alarmEventLines, records.length);
      await new Promise((resolve) => dispatch(writer, { type: 'close', reply: resolve }));
      return { logs, output };
    } finally {
      stop(system);
    }
  }

  it('goes on where the disk stopped: every line once, none cut', async () => {
    const { logs } = await run(async () => {});
    try {
      const text = await readFile(path.join(logs, ALARM_EVENTS_FILE), 'utf8');
      assert.deepEqual(text.split('\n'), [...expected, '']);
    } finally {
      await rm(logs, { recursive: true, force: true });
    }
  });

  it('writes a file rotated meanwhile from the start of the cut line: whole lines only, none twice', async () => {
    const { logs } = await run(async (dir) => rename(path.join(dir, ALARM_EVENTS_FILE), path.join(dir, `${ALARM_EVENTS_FILE}.1`)));
    try {
      const old = await readFile(path.join(logs, `${ALARM_EVENTS_FILE}.1`), 'utf8');
      const fresh = await readFile(path.join(logs, ALARM_EVENTS_FILE), 'utf8');
      assert.ok(!old.endsWith('\n'), 'the rotated file ends in the cut line');
      const oldWhole = old.split('\n').slice(0, -1);
      const freshLines = fresh.split('\n');
      assert.equal(freshLines.pop(), '');
      assert.ok(oldWhole.length > 0);
      assert.deepEqual([...oldWhole, ...freshLines], expected);
    } finally {
      await rm(logs, { recursive: true, force: true });
    }
  });
});
