// The replay pipeline in process: intel and vulnerability lookups as serve does them (answers awaited before the
// run ends, so their alarm re-writes are on disk), and the progress lines of long runs.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { runReplay } from '../../actors/replay.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { correlation, NEVER_EXPIRE } from '../helpers/correlation.js';
import { startHttpServer } from '../helpers/http-server.js';
import { cleanup, tempDir } from '../e2e/harness.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const ENRICH = path.join(FIXTURES, 'enrichment');
const PING = path.join(FIXTURES, 'conformance', 'core', '02-ping-flood-to-dst');

async function lastAlarm(logs: string): Promise<Record<string, unknown>> {
  const lines = (await readFile(path.join(logs, 'siem_alarms.json'), 'utf8')).split('\n').filter((l) => l !== '');
  return JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
}

describe('replay', () => {
  for (const intelPrivateIp of [true, false]) {
    it(`looks addresses up in intel as serve does (intel_private_ip ${intelPrivateIp}) and ends once every answer is on disk`, async () => {
      const config = await tempDir('dsiem-replay-intel-cfg-');
      const logs = await tempDir('dsiem-replay-intel-');
      // A slow intel service: each answer comes a while after the question, long after the events are correlated.
      const wise = await startHttpServer((req, res) => {
        setTimeout(() => res.end(`[{field: "description", len: 20, value: "seen ${req.url?.slice(4)}"}]`), 300);
      });
      try {
        await cp(ENRICH, config, { recursive: true });
        await writeFile(path.join(config, 'intel_wise.json'), JSON.stringify({ intel_sources: [{ name: 'Wise', type: 'IP', enabled: true, plugin: 'Wise', config: JSON.stringify({ url: `${wise.url}/ip/\${ip}` }) }] }));
        const loaded = await loadConfigDir(config);
        assert.ok(loaded.ok);
        const { log } = captureLogger();
        const summary = await runReplay({
          config: loaded.value,
          eventsFile: path.join(config, 'events.jsonl'),
          logsDir: logs,
          drain: false,
          correlation: correlation(NEVER_EXPIRE),
          log,
          enrichment: { cacheMinutes: 10, intelPrivateIp },
        });
        assert.equal(summary.alarms, 1);
        const hits = (await lastAlarm(logs))['intel_hits'] as Array<{ term: string }> | undefined;
        const expected = intelPrivateIp ? ['192.168.0.1', '8.8.8.8'] : ['8.8.8.8'];
        assert.deepEqual((hits ?? []).map((h) => h.term).sort(), expected);
        assert.deepEqual([...new Set(wise.requests.map((r) => r.url))].sort(), expected.map((ip) => `/ip/${ip}`));
      } finally {
        await wise.close();
        await cleanup(config, logs);
      }
    });
  }

  it('logs a progress line (events read, events/s, backlogs, alarms) every progressEveryMs of the run', async () => {
    const logs = await tempDir('dsiem-replay-progress-');
    try {
      const loaded = await loadConfigDir(PING);
      assert.ok(loaded.ok);
      const { log, lines } = captureLogger();
      // A clock that moves one second each time it is read: every reading after the second one is 2 s on.
      let ms = 0;
      await runReplay({
        config: loaded.value,
        eventsFile: path.join(PING, 'events.jsonl'),
        logsDir: logs,
        drain: false,
        correlation: correlation(NEVER_EXPIRE),
        log,
        progressEveryMs: 2_000,
        wallClock: () => (ms += 1_000),
      });
      const progress = lines.filter((l) => l.message === 'replay progress');
      assert.ok(progress.length >= 1, JSON.stringify(lines));
      assert.deepEqual(Object.keys(progress[0]?.fields ?? {}).sort(), ['alarms', 'backlogs', 'events', 'eventsPerSecond']);
      assert.equal(progress.at(-1)?.fields['events'], 5);
    } finally {
      await cleanup(logs);
    }
  });
});
