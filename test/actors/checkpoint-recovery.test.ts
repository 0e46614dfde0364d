// After a crash, the backend makes again the alarm lines written between the restored checkpoint and the crash;
// the files already hold them past the checkpoint's positions, and a last line the crash cut waits for its
// completion (the lines made meanwhile are held back, only in memory). A checkpoint taken before all of them are
// made again would record the files' full size with a sequence short of the crash, so a second crash would write
// the rest twice; one taken past held lines would acknowledge events whose lines are not on disk. So checkpoints
// are deferred until the restart has made them again (or caught up), at shutdown too. A real engine and writer on
// real files; the intake is a stand-in that counts acknowledgements.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALARMS_FILE } from '../../actors/alarm-writer-actor.js';
import { restoreCheckpoint, startCheckpoints, type Checkpointer, type CheckpointSource } from '../../actors/checkpoints.js';
import { startEngine, type Engine } from '../../actors/engine.js';
import { RegeneratedLines } from '../../src/alarm/regenerated-lines.js';
import type { AlarmDocument } from '../../src/alarm/alarm.js';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { sequentialIds } from '../../src/shared/ids.js';
import { captureLogger, type Captured } from '../helpers/capture-logger.js';
import { correlation, NEVER_EXPIRE } from '../helpers/correlation.js';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'example');
const doc = (id: string) => ({ alarm_id: id, title: 'made again' }) as unknown as AlarmDocument;

interface Recovering {
  readonly alarms: string;
  readonly engine: Engine;
  readonly checkpoints: Checkpointer;
  readonly lines: readonly Captured[];
  /** Acknowledgements the checkpoints made. */
  acked(): number;
  /** The header of the checkpoint on disk, if one was written. */
  onDisk(): Promise<Awaited<ReturnType<typeof restoreCheckpoint>>['header']>;
  /** Makes the alarm line of `id` (again). */
  write(id: string): void;
}

/** An engine restarted over an alarm file that holds `tail` past the restored checkpoint, and its checkpointer. */
async function recovering(tail: string, body: (r: Recovering) => Promise<void>): Promise<void> {
  const loaded = await loadConfigDir(example);
  assert.ok(loaded.ok);
  const directives = loaded.value.directives;
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-recovery-checkpoint-'));
  const alarms = path.join(logs, ALARMS_FILE);
  await writeFile(alarms, tail);
  const { log, lines } = captureLogger();
  const engine = startEngine({
    config: loaded.value,
    correlation: correlation(NEVER_EXPIRE),
    logsDir: logs,
    clock: { now: () => 0 },
    log,
    newId: sequentialIds('r'),
    regenerated: { alarms: new RegeneratedLines(Buffer.from(tail)) },
  });
  let acked = 0;
  const source: CheckpointSource = { pause: async () => undefined, resume: () => undefined, position: () => ({ seq: 7, ack: () => acked++ }) };
  const checkpoints = startCheckpoints({
    intervalMs: 3_600_000,
    source,
    save: { logsDir: logs, engine, directives, node: 'recovery', log },
    stream: { name: 'dsiem', created: '2025-01-01T00:00:00Z' },
    now: () => 0,
  });
  try {
    await body({
      alarms,
      engine,
      checkpoints,
      lines,
      acked: () => acked,
      onDisk: async () => (await restoreCheckpoint(logs, directives, log)).header,
      write: (id) => engine.output.write([{ type: 'alarm', alarm: doc(id), directiveId: directives[0]?.id ?? 1 }]),
    });
  } finally {
    await checkpoints.stop();
    await engine.close();
    engine.stop();
    await rm(logs, { recursive: true, force: true });
  }
}

const waits = (r: Recovering, pending: number) => r.lines.some((l) => l.message.startsWith('checkpoints wait until the restart has caught up') && l.fields['linesNotMadeAgainYet'] === pending);

describe('checkpoints while a restart makes alarm lines again', () => {
  it('are deferred (nothing acknowledged, no positions recorded) until every line past the checkpoint is made again', () => {
    // Two lines written after the restored checkpoint, before the crash.
    const tail = `${JSON.stringify(doc('a1'))}\n${JSON.stringify(doc('a2'))}\n`;
    return recovering(tail, async (r) => {
      r.write('a1');
      assert.equal(await r.checkpoints.checkpoint('interval', true), 'deferred', 'one line past the checkpoint is not made again yet');
      assert.equal(await r.checkpoints.checkpoint('shutdown', false), 'deferred', 'at shutdown too');
      assert.equal(r.acked(), 0);
      assert.equal(await r.onDisk(), undefined, 'no checkpoint file');
      assert.ok(waits(r, 1));
      assert.equal(r.checkpoints.stats.deferred, 2);
      assert.equal(r.checkpoints.stats.failed, 0, 'a deferred checkpoint is not a failed one');

      r.write('a2');
      assert.equal(await r.checkpoints.checkpoint('interval', true), 'written');
      assert.equal(r.acked(), 1);
      assert.equal(await readFile(r.alarms, 'utf8'), tail, 'the lines made again were skipped');
      assert.equal((await r.onDisk())?.alarm_files?.alarms.bytes, (await stat(r.alarms)).size);
    });
  });

  it('are deferred while lines are held behind a cut line, then record the lines that were held once it ends', () =>
    recovering('{"alarm_id":"a0","ti', async (r) => {
      r.write('a1');
      assert.equal(await r.checkpoints.checkpoint('interval', true), 'deferred', 'a checkpoint past a held line');
      assert.equal(r.acked(), 0);
      assert.equal(await r.onDisk(), undefined, 'no checkpoint file');
      assert.ok(waits(r, 1), 'the cut line waits');

      r.engine.output.endCutLines('stop');
      assert.equal(await r.checkpoints.checkpoint('interval', true), 'written');
      assert.equal(r.acked(), 1);
      assert.equal((await r.onDisk())?.alarm_files?.alarms.bytes, (await stat(r.alarms)).size, 'the positions include the lines that were held');
    }));
});
