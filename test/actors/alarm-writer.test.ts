// The alarm writer's queue: lines are encoded as they come and appended in order; a failed write keeps exactly
// the lines not on disk and writes them first next time (none lost, none twice).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dispatch, start, stop } from 'nact';
import { ALARM_EVENTS_FILE, ALARMS_FILE, AlarmOutput, LineQueue, spawnAlarmWriter } from '../../actors/alarm-writer-actor.js';
import type { BacklogEffect } from '../../src/backlog/backlog.js';
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
        { type: 'alarm', alarm: { alarm_id: `a${n}`, title: `t${n}` } as unknown as AlarmDocument },
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
      stop(writer);
    } finally {
      stop(system);
      await rm(logs, { recursive: true, force: true });
    }
  });
});
