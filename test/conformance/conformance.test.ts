// Every recorded scenario of the Go Dsiem corpus (test/fixtures/conformance), through the real replay pipeline:
// core/* with `-l 1000000000` (nothing expires), expiry/* with `-l 0 --drain`, startup-errors/* refused with
// an error naming the directive. Outputs are compared after normalisation (NORMALISE.md).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { runReplay } from '../../actors/replay.js';
import { silentLogger } from '../../actors/logger.js';
import { normaliseAlarmFiles } from '../helpers/normalise.js';
import { correlation } from '../helpers/correlation.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'conformance');

async function scenarios(group: string): Promise<string[]> {
  return (await readdir(path.join(root, group))).sort().map((name) => path.join(root, group, name));
}

// The corpus' own normaliser, when the shared folder sits beside the checkout (it is not part of the repository).
const REFERENCE = fileURLToPath(new URL('../../../shared/conformance/normalise.mjs', import.meta.url));

function referenceNormalise(files: readonly string[]): string[] {
  const input = files.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8')).join('');
  return execFileSync(process.execPath, [REFERENCE], { input, encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '');
}

async function replayScenario(dir: string, lifetimeMinutes: number, drain: boolean): Promise<string[]> {
  const loaded = await loadConfigDir(dir);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-conf-'));
  try {
    await runReplay({
      config: loaded.value,
      eventsFile: path.join(dir, 'events.jsonl'),
      logsDir: logs,
      drain,
      correlation: correlation(lifetimeMinutes),
      log: silentLogger(),
    });
    const files = [path.join(logs, 'siem_alarms.json'), path.join(logs, 'siem_alarm_events.json')];
    const ours = await normaliseAlarmFiles(files);
    if (existsSync(REFERENCE)) assert.deepEqual(referenceNormalise(files), ours, 'normalise.mjs disagrees with our normaliser');
    return ours;
  } finally {
    await rm(logs, { recursive: true, force: true });
  }
}

async function expected(dir: string): Promise<string[]> {
  const text = await readFile(path.join(dir, 'expected-normalised.jsonl'), 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '');
}

for (const [group, lifetime, drain] of [['core', 1_000_000_000, false], ['expiry', 0, true]] as const) {
  describe(`conformance ${group}`, async () => {
    for (const dir of await scenarios(group)) {
      it(`${path.basename(dir)} gives the recorded alarms`, async () => {
        assert.deepEqual(await replayScenario(dir, lifetime, drain), await expected(dir));
      });
    }
  });
}

describe('conformance startup-errors', async () => {
  for (const dir of await scenarios('startup-errors')) {
    it(`${path.basename(dir)} is refused naming the directive`, async () => {
      const id = (await readFile(path.join(dir, 'expected-error.txt'), 'utf8')).trim();
      const loaded = await loadConfigDir(dir);
      assert.equal(loaded.ok, false);
      assert.ok(!loaded.ok && loaded.error.includes(`directive ${id}`), loaded.ok ? '' : loaded.error);
      assert.ok(existsSync(path.join(dir, 'events.jsonl')));
    });
  }
});
