// --debug tells each backlog's life once per change; --trace adds one line per event and directive with the
// routing decision; at the default level neither is logged.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReplay } from '../../actors/replay.js';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { sequentialIds } from '../../src/shared/ids.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { correlation, NEVER_EXPIRE } from '../helpers/correlation.js';
import { cleanup, tempDir } from '../e2e/harness.js';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'example');

async function run(level: 'info' | 'debug' | 'silly', lifetime = NEVER_EXPIRE) {
  const loaded = await loadConfigDir(example);
  assert.ok(loaded.ok);
  const logs = await tempDir('dsiem-lifecycle-');
  const { log, lines } = captureLogger(level);
  try {
    const summary = await runReplay({
      config: loaded.value,
      eventsFile: path.join(example, 'events.jsonl'),
      logsDir: logs,
      drain: lifetime === 0,
      correlation: correlation(lifetime),
      log,
      engine: { newId: sequentialIds('b') },
    });
    return { summary, lines };
  } finally {
    await cleanup(logs);
  }
}

describe('backlog life in the logs', () => {
  it('says at debug when a backlog is created, advances, writes an alarm with its risk, and ends', async () => {
    const { summary, lines } = await run('debug', 0);
    const created = lines.filter((l) => l.message === 'backlog created');
    assert.equal(created.length, summary.backlogsCreated);
    assert.ok(created.every((l) => typeof l.fields['title'] === 'string' && typeof l.fields['firstEventId'] === 'string' && typeof l.fields['directiveId'] === 'number'));
    assert.ok(lines.some((l) => l.message === 'backlog stage advanced' && typeof l.fields['to'] === 'number'));
    const alarms = lines.filter((l) => l.message === 'alarm written');
    assert.ok(alarms.length >= summary.alarms && alarms.every((l) => typeof l.fields['risk'] === 'number'));
    assert.ok(lines.some((l) => l.message === 'backlog expired'), 'with --drain every open backlog expires');
    assert.equal(lines.filter((l) => l.message === 'event routed').length, 0, 'routing decisions are trace only');
  });

  it('adds one routing decision per event and directive at trace', async () => {
    const { summary, lines } = await run('silly');
    const routed = lines.filter((l) => l.message === 'event routed');
    assert.equal(routed.length, summary.directiveEvents);
    const outcomes = new Set(routed.map((l) => l.fields['outcome']));
    assert.ok(outcomes.has('created') && outcomes.has('consumed'), [...outcomes].join(','));
    assert.equal(routed.filter((l) => l.fields['outcome'] === 'created').length, summary.backlogsCreated);
  });

  it('says none of it at the default level', async () => {
    const { lines } = await run('info', 0);
    assert.deepEqual(lines.filter((l) => ['backlog created', 'alarm written', 'event routed', 'backlog expired'].includes(l.message)), []);
  });
});
