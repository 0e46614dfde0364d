// A JetStream checkpoint never records alarm file positions, nor acknowledges the stream, past alarm lines that are
// held back behind a cut line a restart is completing: those lines are only in memory. A real engine and writer on
// real files; the intake is a stand-in that counts acknowledgements.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
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

describe('checkpoints while alarm lines are held behind a cut line', () => {
  it('are deferred (nothing acknowledged, no positions recorded) until the cut line ends, then record the lines written', async () => {
    const loaded = await loadConfigDir(example);
    assert.ok(loaded.ok);
    const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-held-checkpoint-'));
    const alarms = path.join(logs, ALARMS_FILE);
    await writeFile(alarms, '{"alarm_id":"a0","ti');
    const { log, lines } = captureLogger();
    const engine = startEngine({
      config: loaded.value,
      correlation: correlation(NEVER_EXPIRE),
      logsDir: logs,
      clock: { now: () => 0 },
      log,
      newId: sequentialIds('h'),
      regenerated: { alarms: new RegeneratedLines(Buffer.from('{"alarm_id":"a0","ti')) },
    });
    let acked = 0;
    const source: CheckpointSource = { pause: async () => undefined, resume: () => undefined, position: () => ({ seq: 7, ack: () => acked++ }) };
    const checkpoints = startCheckpoints({
      intervalMs: 3_600_000,
      source,
      save: { logsDir: logs, engine, directives: loaded.value.directives, node: 'held', log },
      stream: { name: 'dsiem', created: '2025-01-01T00:00:00Z' },
      now: () => 0,
    });
    try {
      engine.output.write([{ type: 'alarm', alarm: { alarm_id: 'a1', title: 'held' } as unknown as AlarmDocument, directiveId: loaded.value.directives[0]?.id ?? 1 }]);
      assert.equal(await checkpoints.checkpoint('interval', true), 'deferred', 'a checkpoint past a held line');
      assert.equal(acked, 0);
      assert.equal((await restoreCheckpoint(logs, loaded.value.directives, log)).header, undefined, 'no checkpoint file');
      assert.ok(lines.some((l) => l.message.startsWith('checkpoints wait until the restart has caught up') && l.fields['linesNotMadeAgainYet'] === 1), 'the cut line waits');

      engine.output.endCutLines('stop');
      assert.equal(await checkpoints.checkpoint('interval', true), 'written');
      assert.equal(acked, 1);
      const header = (await restoreCheckpoint(logs, loaded.value.directives, log)).header;
      assert.equal(header?.alarm_files?.alarms.bytes, (await stat(alarms)).size, 'the positions include the lines that were held');
    } finally {
      await checkpoints.stop();
      await engine.close();
      engine.stop();
      await rm(logs, { recursive: true, force: true });
    }
  });
});
