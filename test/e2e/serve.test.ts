// `serve` end to end with real parts: a nats-server started by the test, a local HTTP config frontend, the CLI
// as a child process. Events are published on dsiem_events like the Dsiem frontend does.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { startConfigFrontend, type TestHttpServer } from '../helpers/http-server.js';
import { Backend, cleanup, useNats, eventLines, expectedAlarms, publishEvents, SCENARIOS, tempDir } from './harness.js';

const NODE = 'node-a';
const CORE = ['01-ping-flood-from-src', '02-ping-flood-to-dst', '08-existing-vs-new-backlog', '14-plugin-sid-lists', '21-sticky-different-dst-port', '30-all-rules-always-active', '33-duplicate-event-id', '36-invalid-events'];

describe('serve end to end', () => {
  const shared = useNats();

  for (const name of CORE) {
    it(`core/${name}: configs from the frontend, events from NATS, the recorded alarms`, async () => {
      const scenario = path.join(SCENARIOS, 'core', name);
      const frontend: TestHttpServer = await startConfigFrontend(scenario, { node: NODE });
      const logs = await tempDir('dsiem-e2e-');
      try {
        const backend = await Backend.start(['-f', frontend.url, '-n', NODE, '--msq', shared.server.url, '-l', '1000000000'], logs);
        const lines = await eventLines(scenario);
        await publishEvents(shared.nc, lines);
        await backend.settled(shared.nc, lines.length);
        const exit = await backend.stop();
        assert.equal(exit.code, 0, backend.proc.output());
        assert.deepEqual(await backend.alarms(), await expectedAlarms(scenario));
        assert.ok(frontend.requests.some((r) => r.url === '/config/'));
      } finally {
        await frontend.close();
        await cleanup(logs);
      }
    });
  }

  for (const name of ['22-sticky-different-src-ip', '06-occurrence-counts', '30-all-rules-always-active']) {
    it(`core/${name}: SIGTERM half-way, then a new serve, gives the same alarms as one run`, async () => {
      const scenario = path.join(SCENARIOS, 'core', name);
      const logs = await tempDir('dsiem-e2e-restart-');
      const args = ['--config-dir', scenario, '--msq', shared.server.url, '-l', '1000000000'];
      try {
        const lines = await eventLines(scenario);
        const half = Math.ceil(lines.length / 2);
        const first = await Backend.start(args, logs);
        await publishEvents(shared.nc, lines.slice(0, half));
        const before = await first.settled(shared.nc, half);
        assert.equal((await first.stop()).code, 0, first.proc.output());
        const saved = existsSync(path.join(logs, 'backlogs')) ? await readdir(path.join(logs, 'backlogs')) : [];
        assert.equal(saved.length > 0, before.backlogs > 0, `saved files ${saved.join(',')} for ${before.backlogs} live backlogs`);

        const second = await Backend.start(args, logs);
        assert.deepEqual(await readdir(path.join(logs, 'backlogs')).catch(() => []), [], 'snapshot files are deleted after the reload');
        const reloaded = await second.stats(shared.nc);
        assert.equal(reloaded.backlogs, before.backlogs);
        await publishEvents(shared.nc, lines.slice(half));
        await second.settled(shared.nc, lines.length - half);
        assert.equal((await second.stop()).code, 0, second.proc.output());
        assert.deepEqual(await second.alarms(), await expectedAlarms(scenario));
      } finally {
        await cleanup(logs);
      }
    });
  }

  it('counts and skips invalid messages and keeps correlating', async () => {
    const scenario = path.join(SCENARIOS, 'core', '04-two-stage-complete-then-new');
    const logs = await tempDir('dsiem-e2e-bad-');
    try {
      const backend = await Backend.start(['--config-dir', scenario, '--msq', shared.server.url, '-l', '1000000000'], logs);
      const enc = new TextEncoder();
      shared.nc.publish('dsiem_events', enc.encode('not json at all'));
      shared.nc.publish('dsiem_events', enc.encode('{"event_id": 5, "timestamp": "2025-01-01T00:00:00Z"}'));
      shared.nc.publish('dsiem_events', enc.encode('{"timestamp":"2025-01-01T00:00:00Z","sensor":"s","src_ip":"10.0.0.1","dst_ip":"10.0.0.2","plugin_id":1,"plugin_sid":1}'));
      shared.nc.publish('dsiem_events', enc.encode('[1,2,3]'));
      shared.nc.publish('dsiem_events', new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]));
      shared.nc.publish('dsiem_events', enc.encode(`{"event_id":"big","pad":"${'x'.repeat(1_000_000)}"}`));
      const lines = await eventLines(scenario);
      await publishEvents(shared.nc, lines);
      const stats = await backend.settled(shared.nc, lines.length + 6);
      assert.equal(stats.invalid, 6);
      assert.ok(stats.rss_mb > 10 && stats.heap_used_mb > 1 && stats.heap_used_mb < stats.rss_mb, JSON.stringify(stats));
      assert.deepEqual(stats.invalid_by_reason, {
        'not-json': 1,
        'wrong-field-type': 1,
        'missing-event-id': 1,
        'not-an-object': 1,
        'not-utf8': 1,
        'too-large': 1,
      });
      assert.equal((await backend.stop()).code, 0);
      assert.deepEqual(await backend.alarms(), await expectedAlarms(scenario));
    } finally {
      await cleanup(logs);
    }
  });
});
