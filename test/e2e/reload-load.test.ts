// 100 hot reloads under load: `serve` takes a steady stream of events while the config folder flips between the
// two versions of the reload scenario and each flip is reloaded by a dsiem_backend_reload request. Directive A is in
// both versions unchanged, and every event of the stream is one A counts (host by host: stage 1, 3 of stage 2, 10 of
// stage 3, then a new backlog), so A must write exactly one alarm-event line per event: none lost, none twice.
// Resident memory and live heap are reported (diagnostics), not asserted; what must not grow is asserted: the
// directives running and the live backlogs.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { NatsConnection } from 'nats';
import { closedPort as freePort } from '../helpers/run-command.js';
import { writeConfig } from '../helpers/reload-scenario.js';
import { Backend, cleanup, tempDir, useNats } from './harness.js';

const RELOADS = 100;
const EVENTS_PER_RELOAD = 500;
const HOSTS = 50;
const encoder = new TextEncoder();
const T0 = Date.parse('2025-06-03T00:00:00Z');

function publishChunk(nc: NatsConnection, from: number, count: number): Promise<void> {
  for (let n = from; n < from + count; n++) {
    const event = {
      event_id: `load-${n}`,
      timestamp: new Date(T0 + n * 1000).toISOString(),
      sensor: 'load',
      title: 'flood',
      plugin_id: 1001,
      plugin_sid: 1,
      src_ip: `10.0.1.${n % HOSTS}`,
      src_port: 40000,
      dst_ip: '8.8.8.8',
      dst_port: 53,
      protocol: 'UDP',
      rcvd_time: Date.now() * 1e6,
    };
    nc.publish('dsiem_events', encoder.encode(JSON.stringify(event)));
  }
  return nc.flush();
}

describe('serve: reloads under load', () => {
  const nats = useNats();

  it(`loses no event and keeps no retired directive over ${RELOADS} reloads`, async (t) => {
    const dir = await tempDir('dsiem-load-config-');
    const logs = await tempDir('dsiem-load-logs-');
    let backend: Backend | undefined;
    try {
      await writeConfig(dir, 1);
      const port = await freePort();
      backend = await Backend.start(['--config-dir', dir, '--msq', nats.server.url, '-l', '1000000000', '--max_queue', '0', '--port', String(port), '--address', '127.0.0.1', '--metrics-directives'], logs);
      const memory: Array<{ reloads: number; rss_mb: number; heap_used_mb: number }> = [];
      for (let i = 0; i < RELOADS; i++) {
        await writeConfig(dir, i % 2 === 0 ? 2 : 1);
        // The request and the events race: the swap falls wherever it falls in the stream.
        const [reply] = await Promise.all([
          nats.nc.request('dsiem_backend_reload', encoder.encode(''), { timeout: 30_000 }),
          publishChunk(nats.nc, i * EVENTS_PER_RELOAD, EVENTS_PER_RELOAD),
        ]);
        const report = JSON.parse(new TextDecoder().decode(reply.data)) as { ok: boolean; errors?: string[] };
        assert.equal(report.ok, true, JSON.stringify(report.errors));
        if (i === 9 || i === RELOADS - 1) {
          const s = await backend.stats(nats.nc);
          memory.push({ reloads: i + 1, rss_mb: s.rss_mb, heap_used_mb: s.heap_used_mb });
        }
      }
      const total = RELOADS * EVENTS_PER_RELOAD;
      const stats = await backend.settled(nats.nc, total, 60_000);
      t.diagnostic(`memory: ${JSON.stringify(memory)}`);
      assert.equal(stats.received, total);
      assert.equal(stats.dropped, 0);
      assert.equal(stats.handled, total, 'every event handled by directive A once');
      const page = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const perDirective = page.split('\n').filter((l) => l.startsWith('dsiem_directive_backlogs{'));
      assert.equal(perDirective.length, 4, `directives running after ${RELOADS} reloads:\n${perDirective.join('\n')}`);
      assert.ok(stats.backlogs <= HOSTS, `live backlogs: ${stats.backlogs}`);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());

      const lines = (await readFile(path.join(logs, 'siem_alarm_events.json'), 'utf8')).split('\n').filter((l) => l !== '');
      const ids = lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id).filter((id) => id.startsWith('load-'));
      assert.equal(ids.length, total, 'alarm-event lines of the stream');
      assert.equal(new Set(ids).size, total, 'an event was counted twice');
    } finally {
      if (backend !== undefined && backend.proc.child.exitCode === null) {
        backend.proc.signal('SIGKILL');
        await backend.proc.exited;
      }
      await cleanup(dir, logs);
    }
  });
});
