// Reliability of `serve`: sustained load and SIGTERM, bounded memory under a burst, alarm files that cannot be
// written, and NATS credentials that must never reach the logs. Real nats-server, real files, the CLI process.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'nats';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { runReplay } from '../../actors/replay.js';
import { silentLogger } from '../../actors/logger.js';
import { normaliseAlarmFiles } from '../helpers/normalise.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { spawnCli } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { writeWorkload } from '../bench/workload.js';
import { Backend, cleanup, useNats, eventLines, publishEvents, SCENARIOS, tempDir } from './harness.js';
import { correlation } from '../helpers/correlation.js';

describe('serve reliability', () => {
  const shared = useNats();

  it('SIGTERM under sustained load: every live backlog is saved and restored; alarms equal an uninterrupted run', async () => {
    const work = await tempDir('dsiem-rel-work-');
    const logs = await tempDir('dsiem-rel-logs-');
    const reference = await tempDir('dsiem-rel-ref-');
    try {
      await writeWorkload(work, { profile: 'mixed', events: 6000, directives: 60, churn: true, seed: 11 });
      const loaded = await loadConfigDir(work);
      assert.ok(loaded.ok);
      await runReplay({
        config: loaded.value,
        eventsFile: path.join(work, 'events.jsonl'),
        logsDir: reference,
        drain: false,
        correlation: correlation(1_000_000_000),
        log: silentLogger(),
      });
      const lines = await eventLines(work);
      const half = lines.length / 2;
      const args = ['--config-dir', work, '--msq', shared.server.url, '-l', '1000000000', '--max_queue', '0'];
      const first = await Backend.start(args, logs);
      await publishEvents(shared.nc, lines.slice(0, half));
      // No waiting: the backend is still busy with the burst when the signal arrives.
      const exit = await first.stop();
      assert.equal(exit.code, 0, first.proc.output());
      const saved = first.proc.stdout.find((l) => l.includes('backlogs saved')) ?? '';
      assert.match(saved, /backlogs=\d+/);

      const second = await Backend.start(args, logs);
      const restored = Number(/restoredBacklogs=(\d+)/.exec(second.proc.stdout.join('\n'))?.[1] ?? -1);
      assert.equal(restored, Number(/backlogs=(\d+)/.exec(saved)?.[1]));
      await publishEvents(shared.nc, lines.slice(half));
      await second.settled(shared.nc, half, 60_000);
      assert.equal((await second.stop()).code, 0);
      const files = (dir: string) => [path.join(dir, 'siem_alarms.json'), path.join(dir, 'siem_alarm_events.json')];
      assert.deepEqual(await normaliseAlarmFiles(files(logs)), await normaliseAlarmFiles(files(reference)));
    } finally {
      await cleanup(work, logs, reference);
    }
  });

  it('a burst beyond --max_queue is dropped and counted, overload is signalled, and the process keeps working', async () => {
    const work = await tempDir('dsiem-rel-burst-');
    const logs = await tempDir('dsiem-rel-burst-logs-');
    const signals: string[] = [];
    const sub = shared.nc.subscribe('dsiem_overload_signals', { callback: (_e, m) => signals.push(new TextDecoder().decode(m.data)) });
    try {
      await writeWorkload(work, { profile: 'go-configs', events: 30000, directives: 2, churn: false, seed: 5 });
      const backend = await Backend.start(['--config-dir', work, '--msq', shared.server.url, '-l', '1000000000', '--max_queue', '50', '--hold_duration', '1'], logs);
      const lines = await eventLines(work);
      await publishEvents(shared.nc, lines);
      const stats = await backend.settled(shared.nc, lines.length, 60_000);
      assert.ok(stats.dropped > 0, `nothing dropped: ${JSON.stringify(stats)}`);
      assert.equal(stats.received, lines.length);
      assert.equal(stats.accepted + stats.dropped, stats.received);
      await waitFor(() => signals.includes('true') || undefined, { timeoutMs: 5000, what: 'overload=true' });
      await backend.proc.waitForLine(/event queue full, dropping events/, 1000);
      assert.equal((await backend.stop()).code, 0);
    } finally {
      sub.unsubscribe();
      await cleanup(work, logs);
    }
  });

  it('a full disk: the alarm lines are kept and reported, not silently dropped, and the exit status says so', async () => {
    const scenario = path.join(SCENARIOS, 'core', '04-two-stage-complete-then-new');
    const logs = await tempDir('dsiem-rel-full-');
    try {
      await mkdir(logs, { recursive: true });
      await symlink('/dev/full', path.join(logs, 'siem_alarms.json'));
      const backend = await Backend.start(['--config-dir', scenario, '--msq', shared.server.url, '-l', '1000000000', '--reload-backlogs', 'false'], logs);
      const lines = await eventLines(scenario);
      await publishEvents(shared.nc, lines);
      const stats = await waitFor(
        async () => {
          const s = (await backend.stats(shared.nc)) as unknown as Record<string, number>;
          return (s['alarm_write_errors'] ?? 0) > 0 && s['received'] === lines.length ? s : undefined;
        },
        { timeoutMs: 20_000, what: 'a failed alarm write' },
      );
      assert.ok((stats['unwritten_lines'] ?? 0) > 0);
      await backend.proc.waitForLine(/cannot write alarm files, lines kept in memory/, 1000);
      const exit = await backend.stop();
      assert.equal(exit.code, 1);
      assert.match(backend.proc.output(), /alarm lines could not be written before exit/);
    } finally {
      await cleanup(logs);
    }
  });

  it('NATS credentials in --msq work and never appear in the logs', async () => {
    const secured = await startNatsServer({ extraArgs: ['--user', 'dsiem', '--pass', 's3cr3t-Pa55'] });
    const scenario = path.join(SCENARIOS, 'core', '01-ping-flood-from-src');
    const logs = await tempDir('dsiem-rel-creds-');
    try {
      const url = `nats://dsiem:s3cr3t-Pa55@127.0.0.1:${secured.port}`;
      const backend = await Backend.start(['--config-dir', scenario, '--msq', url, '-v'], logs);
      const client = await connect({ servers: `127.0.0.1:${secured.port}`, user: 'dsiem', pass: 's3cr3t-Pa55' });
      try {
        await publishEvents(client, await eventLines(scenario));
        await backend.settled(client, 6);
      } finally {
        await client.close();
      }
      await backend.stop();
      assert.ok(!backend.proc.output().includes('s3cr3t-Pa55'), 'the password is in the logs');
      assert.match(backend.proc.output(), /message queue nats:\/\/\*\*\*@127\.0\.0\.1/);
      // A wrong password is a clear start-up error, without the password either.
      const bad = spawnCli(['serve', '--config-dir', scenario, '--msq', `nats://dsiem:wr0ng-Pa55@127.0.0.1:${secured.port}`, '--logs', logs]);
      const exit = await bad.exited;
      assert.equal(exit.code, 1);
      assert.match(bad.output(), /cannot connect to NATS at nats:\/\/\*\*\*@127\.0\.0\.1/);
      assert.ok(!bad.output().includes('wr0ng-Pa55'));
    } finally {
      await secured.stop();
      await cleanup(logs);
    }
  });

  it('NATS over TLS with a private CA (tls:// URL and --nats-tls-ca)', async () => {
    const pki = await tempDir('dsiem-rel-tls-');
    const logs = await tempDir('dsiem-rel-tls-logs-');
    const scenario = path.join(SCENARIOS, 'core', '01-ping-flood-from-src');
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=dsiem-test-ca');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    await writeFile(path.join(pki, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    const secured = await startNatsServer({ extraArgs: ['--tls', '--tlscert', path.join(pki, 'server.pem'), '--tlskey', path.join(pki, 'server.key')] });
    try {
      const backend = await Backend.start(['--config-dir', scenario, '--msq', `tls://127.0.0.1:${secured.port}`, '--nats-tls-ca', path.join(pki, 'ca.pem'), '-l', '1000000000'], logs);
      const client = await connect({ servers: `127.0.0.1:${secured.port}`, tls: { caFile: path.join(pki, 'ca.pem') } });
      try {
        const lines = await eventLines(scenario);
        await publishEvents(client, lines);
        const stats = await backend.settled(client, lines.length);
        assert.equal(stats.alarms, 1);
      } finally {
        await client.close();
      }
      assert.equal((await backend.stop()).code, 0);
      // Without the CA the server's certificate is refused: a clear start-up error.
      const bad = spawnCli(['serve', '--config-dir', scenario, '--msq', `tls://127.0.0.1:${secured.port}`, '--logs', logs]);
      assert.equal((await bad.exited).code, 1);
      assert.match(bad.output(), /cannot connect to NATS at tls:\/\/127\.0\.0\.1/);
    } finally {
      await secured.stop();
      await cleanup(pki, logs);
    }
  });
});
