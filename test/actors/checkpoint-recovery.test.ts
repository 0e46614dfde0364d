// After a crash, the backend makes again the alarm lines written between the restored checkpoint and the crash;
// the files already hold them past the checkpoint's positions. A checkpoint taken before all of them are made again
// would record the files' full size with a sequence short of the crash: a second crash would then write the rest of
// them twice. So checkpoints are deferred until the restart has made them again (or caught up), at shutdown too.
// A real engine and writer on real files; the intake is a stand-in that counts acknowledgements.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALARMS_FILE } from '../../actors/alarm-writer-actor.js';
import { restoreCheckpoint, startCheckpoints, type CheckpointSource } from '../../actors/checkpoints.js';
import { startEngine } from '../../actors/engine.js';
import { RegeneratedLines } from '../../src/alarm/regenerated-lines.js';
import type { AlarmDocument } from '../../src/alarm/alarm.js';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { sequentialIds } from '../../src/shared/ids.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { correlation, NEVER_EXPIRE } from '../helpers/correlation.js';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'example');

describe('checkpoints while a restart makes alarm lines again', () => {
  it('are deferred (nothing acknowledged, no positions recorded) until every line past the checkpoint is made again', async () => {
    const loaded = await loadConfigDir(example);
    assert.ok(loaded.ok);
    const directiveId = loaded.value.directives[0]?.id ?? 1;
    const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-recovery-checkpoint-'));
    const alarms = path.join(logs, ALARMS_FILE);
    const doc = (id: string) => ({ alarm_id: id, title: 'made again' }) as unknown as AlarmDocument;
    // Two lines written after the restored checkpoint, before the crash.
    const tail = `${JSON.stringify(doc('a1'))}\n${JSON.stringify(doc('a2'))}\n`;
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
      save: { logsDir: logs, engine, directives: loaded.value.directives, node: 'recovery', log },
      stream: { name: 'dsiem', created: '2025-01-01T00:00:00Z' },
      now: () => 0,
    });
    try {
      engine.output.write([{ type: 'alarm', alarm: doc('a1'), directiveId }]);
      assert.equal(await checkpoints.checkpoint('interval', true), 'deferred', 'one line past the checkpoint is not made again yet');
      assert.equal(await checkpoints.checkpoint('shutdown', false), 'deferred', 'at shutdown too');
      assert.equal(acked, 0);
      assert.equal((await restoreCheckpoint(logs, loaded.value.directives, log)).header, undefined, 'no checkpoint file');
      assert.ok(lines.some((l) => l.message.startsWith('checkpoints wait until the restart has caught up') && l.fields['linesNotMadeAgainYet'] === 1));
      assert.equal(checkpoints.stats.deferred, 2);
      assert.equal(checkpoints.stats.failed, 0, 'a deferred checkpoint is not a failed one');

      engine.output.write([{ type: 'alarm', alarm: doc('a2'), directiveId }]);
      assert.equal(await checkpoints.checkpoint('interval', true), 'written');
      assert.equal(acked, 1);
      assert.equal(await readFile(alarms, 'utf8'), tail, 'the lines made again were skipped');
      const header = (await restoreCheckpoint(logs, loaded.value.directives, log)).header;
      assert.equal(header?.alarm_files?.alarms.bytes, (await stat(alarms)).size);
    } finally {
      await checkpoints.stop();
      await engine.close();
      engine.stop();
      await rm(logs, { recursive: true, force: true });
    }
  });
});
