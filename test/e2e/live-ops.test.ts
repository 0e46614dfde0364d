// Live operations of `serve`, for real: its own nats-server, the CLI as a child process, real signals, real files
// and real HTTP requests. Hot reload by SIGHUP, by a dsiem_backend_reload request and by --watch; the HTTP server's
// /metrics, /healthz and /readyz; the Docker image's health check; `dsiem-backend stats`.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NatsConnection } from 'nats';
import { closedPort as freePort } from '../helpers/run-command.js';
import { startConfigFrontend } from '../helpers/http-server.js';
import { CLI_PATH, REPO_ROOT, type CliProcess } from '../helpers/process.js';
import { NAMES, scenarioEvents, writeConfig } from '../helpers/reload-scenario.js';
import { waitFor } from '../helpers/wait.js';
import { Backend, cleanup, publishEvents, tempDir, useNats } from './harness.js';

const run = promisify(execFile);
const encoder = new TextEncoder();

/** Log lines (JSON, serve runs with -j) whose message is `message`, parsed. */
function logged(proc: CliProcess, message: string): Array<Record<string, unknown>> {
  return proc.stdout.flatMap((line) => {
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      return record['message'] === message ? [record] : [];
    } catch {
      return [];
    }
  });
}

/** Waits for the n-th log line with this message. */
function nth(proc: CliProcess, message: string, n: number, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return waitFor(() => logged(proc, message)[n - 1], { timeoutMs, what: `log line ${n} "${message}"\n${proc.output()}` });
}

async function requestReload(nc: NatsConnection): Promise<Record<string, unknown>> {
  const reply = await nc.request('dsiem_backend_reload', encoder.encode(''), { timeout: 20_000 });
  return JSON.parse(new TextDecoder().decode(reply.data)) as Record<string, unknown>;
}

async function get(port: number, route: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, { method });
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') ?? '' };
}

/** The value of one sample line of a Prometheus text page (`name{labels} value`). */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Backends of the running test: a failed test must not leave one behind to answer the next test's requests. */
const started: Backend[] = [];

/** `source`: `--config-dir <dir>` by default, or other flags saying where the config comes from. */
async function startBackend(dir: string, logs: string, url: string, extra: string[] = [], source = ['--config-dir', dir]): Promise<{ backend: Backend; port: number }> {
  const port = await freePort();
  const backend = await Backend.start([...source, '--msq', url, '-l', '1000000000', '-j', '--address', '127.0.0.1', '--port', String(port), ...extra], logs);
  started.push(backend);
  return { backend, port };
}

async function stopStarted(): Promise<void> {
  for (const backend of started.splice(0)) {
    backend.proc.signal('SIGKILL');
    await backend.proc.exited;
  }
}

describe('serve: hot reload', () => {
  const nats = useNats();

  it('SIGHUP reopens the alarm files and reloads: half of the events, the reload, the rest', async () => {
    const dir = await tempDir('dsiem-live-config-');
    const logs = await tempDir('dsiem-live-logs-');
    const { first, second } = scenarioEvents();
    try {
      await writeConfig(dir, 1);
      const { backend } = await startBackend(dir, logs, nats.server.url);
      await publishEvents(nats.nc, first);
      await backend.settled(nats.nc, first.length);
      await writeConfig(dir, 2);
      backend.proc.signal('SIGHUP');
      const reloaded = await nth(backend.proc, 'config reloaded', 1);
      assert.equal(reloaded['trigger'], 'SIGHUP');
      assert.deepEqual(reloaded['directives'], { added: 1, changed: 1, renamed: 1, removed: 1, unchanged: 1 });
      assert.deepEqual(reloaded['directiveIds'], { added: [5], changed: [2], renamed: [3], removed: [4] });
      assert.equal(reloaded['droppedBacklogs'], 6);
      assert.ok(logged(backend.proc, 'reopening the alarm files').some((l) => l['signal'] === 'SIGHUP'), 'SIGHUP still reopens the alarm files');
      assert.equal(logged(backend.proc, 'live backlogs dropped: the directive was renamed by a config reload').length, 1);
      assert.equal(logged(backend.proc, 'live backlogs dropped: the directive was removed by a config reload').length, 1);

      await publishEvents(nats.nc, second);
      const stats = await backend.settled(nats.nc, first.length + second.length);
      assert.equal((stats as unknown as Record<string, number>)['directives'], 4);
      assert.equal((stats as unknown as Record<string, number>)['backlogs_dropped_by_reload'], 6);
      // A, B, C and E handle their events once each; D's last three reach nobody.
      assert.equal(stats.handled, first.length + second.length - 3);
      const exit = await backend.stop();
      assert.equal(exit.code, 0, backend.proc.output());
      const alarms = (await readFile(path.join(logs, 'siem_alarms.json'), 'utf8')).split('\n').filter((l) => l !== '');
      const titles = new Set(alarms.map((l) => (JSON.parse(l) as { title: string }).title));
      assert.ok(titles.has(NAMES.e.replace('SRC_IP', '172.16.0.51')), 'the new directive raised alarms');
      assert.ok(titles.has(NAMES.cRenamed.replace('SRC_IP', '10.0.0.31')), 'the renamed directive raised alarms under its new name');
    } finally {
      await stopStarted();
      await cleanup(dir, logs);
    }
  });

  it('a dsiem_backend_reload request replies what changed; an invalid config changes nothing and every error is replied and counted', async () => {
    const dir = await tempDir('dsiem-live-config-');
    const logs = await tempDir('dsiem-live-logs-');
    const { first } = scenarioEvents();
    try {
      await writeConfig(dir, 1);
      const { backend, port } = await startBackend(dir, logs, nats.server.url);
      const same = await requestReload(nats.nc);
      assert.equal(same['ok'], true, JSON.stringify(same));
      assert.equal((same['changes'] as { directives: { unchanged: number } }).directives.unchanged, 4);

      // Two errors in two files: both replied with file:line:column; nothing changes.
      await writeFile(path.join(dir, 'directives_n1_bad.json'), '{"directives": [{"id": 9, "name": "x", "priority": 99, "kingdom": "k", "category": "c", "rules": []}]}');
      await writeFile(path.join(dir, 'assets_bad.json'), '{"assets": [{"name": "n", "cidr": "10.0.0", "value": 3}]}');
      const refused = await requestReload(nats.nc);
      assert.equal(refused['ok'], false);
      const errors = refused['errors'] as string[];
      assert.ok(errors.some((e) => /directives_n1_bad\.json:1:\d+: error: .*priority/.test(e)), errors.join('\n'));
      assert.ok(errors.some((e) => /assets_bad\.json:1:\d+: error: .*cidr/.test(e)), errors.join('\n'));
      assert.ok(logged(backend.proc, 'config reload error').length >= 2);
      assert.equal(refused['directives'], 4);

      // The running config goes on: the first half is correlated by v1's four directives.
      await publishEvents(nats.nc, first);
      const stats = await backend.settled(nats.nc, first.length);
      assert.equal(stats.handled, first.length);
      const page = (await get(port, '/metrics')).body;
      assert.equal(sample(page, 'dsiem_config_reloads_total{result="ok"}'), 1);
      assert.equal(sample(page, 'dsiem_config_reloads_total{result="failed"}'), 1);
      assert.equal(sample(page, 'dsiem_directives'), 4);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
    } finally {
      await stopStarted();
      await cleanup(dir, logs);
    }
  });

  it("reloads from the frontend with the same node's files; a frontend that fails keeps the running config", async () => {
    const dir = await tempDir('dsiem-live-frontend-');
    const logs = await tempDir('dsiem-live-logs-');
    const frontend = await startConfigFrontend(dir);
    try {
      await writeConfig(dir, 1);
      // Another node's file, which this node must not take (it would make the config invalid: id 1 twice).
      await writeFile(path.join(dir, 'directives_n2_other.json'), JSON.stringify({ directives: [{ id: 1, name: 'other node', priority: 1, kingdom: 'k', category: 'c', rules: [] }] }));
      const { backend } = await startBackend(dir, logs, nats.server.url, [], ['--frontend', frontend.url, '--node', 'n1', '--frontend-retries', '0']);
      await writeConfig(dir, 2);
      const reply = await requestReload(nats.nc);
      assert.equal(reply['ok'], true, JSON.stringify(reply));
      assert.deepEqual((reply['changes'] as { directive_ids: unknown }).directive_ids, { added: [5], changed: [2], renamed: [3], removed: [4] });
      const requestsBefore = frontend.requests.length;
      await frontend.close();
      const refused = await requestReload(nats.nc);
      assert.equal(refused['ok'], false);
      assert.match((refused['errors'] as string[]).join('\n'), new RegExp(`${frontend.url.replace(/[.]/g, '\\.')}/config/`));
      assert.equal(refused['directives'], 4);
      assert.ok(requestsBefore >= 6, 'two downloads of listing and files');
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
    } finally {
      await stopStarted();
      await frontend.close();
      await cleanup(dir, logs);
    }
  });

  it('--watch reloads when a config file changes, once for a burst of writes', async () => {
    const dir = await tempDir('dsiem-live-config-');
    const logs = await tempDir('dsiem-live-logs-');
    try {
      await writeConfig(dir, 1);
      const { backend } = await startBackend(dir, logs, nats.server.url, ['--watch']);
      await writeConfig(dir, 2);
      const reloaded = await nth(backend.proc, 'config reloaded', 1);
      assert.equal(reloaded['trigger'], 'watch');
      assert.deepEqual(reloaded['directiveIds'], { added: [5], changed: [2], renamed: [3], removed: [4] });
      // Requests are taken in turn: this one comes after the watch reload, and finds nothing more to change.
      const after = await requestReload(nats.nc);
      assert.equal((after['changes'] as { directives: { unchanged: number } }).directives.unchanged, 4);
      assert.equal(logged(backend.proc, 'config reloaded').filter((l) => l['trigger'] === 'watch').length, 1);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
    } finally {
      await stopStarted();
      await cleanup(dir, logs);
    }
  });
});

describe('serve: HTTP server, health check, stats command', () => {
  const nats = useNats();

  it('serves /metrics in Prometheus text format, /healthz, and /readyz following the NATS connection', async () => {
    const dir = await tempDir('dsiem-live-config-');
    const logs = await tempDir('dsiem-live-logs-');
    const { first } = scenarioEvents();
    try {
      await writeConfig(dir, 1);
      const { backend, port } = await startBackend(dir, logs, nats.server.url, ['--metrics-directives']);
      await publishEvents(nats.nc, first);
      nats.nc.publish('dsiem_events', encoder.encode('not json'));
      const stats = await backend.settled(nats.nc, first.length + 1);
      const metrics = await get(port, '/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
      const page = metrics.body;
      for (const name of [
        'dsiem_events_received_total', 'dsiem_events_invalid_total', 'dsiem_events_whitelisted_total', 'dsiem_events_dropped_total', 'dsiem_queue_length',
        'dsiem_backlogs_active', 'dsiem_backlogs_created_total', 'dsiem_backlogs_expired_total', 'dsiem_alarms_total', 'dsiem_alarm_lines_written_total',
        'dsiem_alarm_lines_unwritten', 'dsiem_alarm_write_errors_total', 'dsiem_event_processing_latency_seconds', 'dsiem_enrichment_lookups_total',
        'dsiem_enrichment_lookup_duration_seconds', 'dsiem_config_reloads_total', 'dsiem_nats_reconnects_total', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes',
      ]) {
        assert.ok(page.includes(`# TYPE ${name} `), `${name} missing from /metrics`);
      }
      assert.doesNotMatch(page, /^dsiem_(jetstream|checkpoint)\w*(\{.*\})? /m, 'no JetStream sample in core NATS mode');
      assert.equal(sample(page, 'dsiem_events_received_total'), first.length + 1);
      assert.equal(sample(page, 'dsiem_events_invalid_total{reason="not-json"}'), 1);
      assert.equal(sample(page, 'dsiem_backlogs_active'), stats.backlogs);
      assert.equal(sample(page, 'dsiem_alarms_total'), stats.alarms);
      // Every accepted event is in the latency histogram once.
      assert.equal(sample(page, 'dsiem_event_processing_latency_seconds_count'), first.length);
      assert.equal(sample(page, 'dsiem_event_processing_latency_seconds_bucket{le="+Inf"}'), first.length);
      assert.equal(sample(page, 'dsiem_directive_events_total{directive_id="1",directive="A flood from SRC_IP"}'), 9);

      assert.deepEqual(await get(port, '/healthz'), { status: 200, body: 'ok\n', type: 'text/plain; charset=utf-8' });
      assert.equal((await get(port, '/readyz')).status, 200);
      assert.equal((await get(port, '/nope')).status, 404);
      assert.equal((await get(port, '/metrics', 'POST')).status, 405);

      await nats.server.stop();
      const down = await waitFor(async () => {
        const r = await get(port, '/readyz');
        return r.status === 503 ? r : undefined;
      }, { timeoutMs: 15_000, what: '/readyz to answer 503 without NATS' });
      assert.match(down.body, /NATS not connected/);
      assert.equal((await get(port, '/healthz')).status, 200, 'alive while NATS is down');
      await nats.server.restart();
      await waitFor(async () => (await get(port, '/readyz')).status === 200, { timeoutMs: 15_000, what: '/readyz to answer 200 again' });
      const again = (await get(port, '/metrics')).body;
      assert.ok((sample(again, 'dsiem_nats_reconnects_total') ?? 0) >= 1);
      assert.equal(sample(again, 'dsiem_nats_connected'), 1);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
    } finally {
      await stopStarted();
      await cleanup(dir, logs);
    }
  });

  it("the Dockerfile's HEALTHCHECK command passes against a running serve and fails when nothing answers", async () => {
    const dockerfile = await readFile(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const match = /^HEALTHCHECK .*?CMD (\[.*\])\s*$/m.exec(dockerfile);
    assert.ok(match?.[1] !== undefined, 'no exec-form HEALTHCHECK in the Dockerfile');
    const [command, ...args] = JSON.parse(match[1]) as string[];
    assert.equal(command, 'node', 'the slim image has node, not curl');
    const dir = await tempDir('dsiem-live-config-');
    const logs = await tempDir('dsiem-live-logs-');
    try {
      await writeConfig(dir, 1);
      const { backend, port } = await startBackend(dir, logs, nats.server.url);
      // As in the container: the image's working directory holds bin/, the port comes from DSIEM_PORT.
      const check = (p: number) => run(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, DSIEM_PORT: String(p), DSIEM_ADDRESS: '0.0.0.0' } });
      await check(port);
      await assert.rejects(check(await freePort()), (err: { code?: number }) => err.code === 1);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
    } finally {
      await stopStarted();
      await cleanup(dir, logs);
    }
  });

  it('dsiem-backend stats prints the counters of a running backend, as text or JSON; without a backend it fails', async () => {
    const dir = await tempDir('dsiem-live-config-');
    const logs = await tempDir('dsiem-live-logs-');
    const { first } = scenarioEvents();
    try {
      await writeConfig(dir, 1);
      const { backend } = await startBackend(dir, logs, nats.server.url);
      await publishEvents(nats.nc, first);
      await backend.settled(nats.nc, first.length);
      const text = await run(process.execPath, [CLI_PATH, 'stats', '--msq', nats.server.url]);
      assert.ok(text.stdout.split('\n').includes(`received: ${first.length}`), text.stdout);
      assert.ok(text.stdout.split('\n').includes('directives: 4'), text.stdout);
      const json = await run(process.execPath, [CLI_PATH, 'stats', '-j'], { env: { ...process.env, DSIEM_MSQ: nats.server.url } });
      assert.equal((JSON.parse(json.stdout) as { received: number }).received, first.length);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
      await assert.rejects(run(process.execPath, [CLI_PATH, 'stats', '--msq', nats.server.url]), (err: { code?: number; stderr?: string }) => err.code === 1 && /no backend answer/.test(err.stderr ?? ''));
    } finally {
      await stopStarted();
      await cleanup(dir, logs);
    }
  });
});
