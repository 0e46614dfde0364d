// `serve` when nats-server misbehaves: hung (stopped with SIGSTOP) when SIGTERM arrives, and cutting the
// backend off as a slow consumer. Each test starts its own nats-server, since it stops it.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import type { CliExit } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { Backend, cleanup, eventLines, natsClient, publishEvents, tempDir } from './harness.js';

const EXAMPLE = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'config', 'example');

/** The process' exit, or a rejection once `ms` have passed (a hung process must fail the test, not hang it). */
function exitWithin(exited: Promise<CliExit>, ms: number, what: string): Promise<CliExit> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not exit within ${ms} ms`)), ms);
  });
  return Promise.race([exited, limit]).finally(() => clearTimeout(timer));
}

/** The state letter of a process in /proc (T: stopped by a signal). */
function processState(pid: number): string {
  return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '?';
}

/** SIGSTOP the process and wait until the kernel says it is stopped (a signal is delivered asynchronously). */
async function stopProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await waitFor(() => processState(pid) === 'T', { what: `process ${pid} to stop` });
}

/** SIGSTOP the server for the test; SIGCONT and stop it whatever happens. */
async function withStoppedLater(server: NatsTestServer, body: (stop: () => Promise<void>, resume: () => void) => Promise<void>): Promise<void> {
  const pid = server.pid;
  assert.ok(pid !== undefined);
  let stopped = false;
  const resume = () => {
    if (stopped) process.kill(pid, 'SIGCONT');
    stopped = false;
  };
  try {
    await body(async () => {
      stopped = true;
      await stopProcess(pid);
    }, resume);
  } finally {
    resume();
    await server.stop();
  }
}

describe('serve against a misbehaving nats-server', () => {
  it('SIGTERM while nats-server is hung (SIGSTOP): backlogs are saved within seconds and the process exits 0', async () => {
    const server = await startNatsServer();
    const logs = await tempDir('dsiem-hung-');
    await withStoppedLater(server, async (stopServer) => {
      const backend = await Backend.start(['--config-dir', EXAMPLE, '--msq', server.url, '-l', '1000000000'], logs);
      const nc = await natsClient(server.url);
      const lines = await eventLines(EXAMPLE);
      await publishEvents(nc, lines);
      const stats = await backend.settled(nc, lines.length);
      assert.ok(stats.backlogs > 0);
      await nc.close();
      await stopServer();
      backend.proc.signal('SIGTERM');
      // Docker's default stop timeout is 10 s: the save must be done well before.
      const exit = await exitWithin(backend.proc.exited, 10_000, 'serve');
      assert.equal(exit.code, 0, backend.proc.output());
      await backend.proc.waitForLine(/backlogs saved/, 1);
      assert.ok((await readdir(path.join(logs, 'backlogs'))).length > 0, backend.proc.output());
      await backend.proc.waitForLine(/could not drain the subscription/, 1);
    });
    await cleanup(logs);
  });

  it('a slow-consumer cut by nats-server is logged as such and counted (stats reply and watchdog report)', async () => {
    const dir = await tempDir('dsiem-slow-');
    const logs = path.join(dir, 'logs');
    // The server gives up on a client whose socket takes no data for 200 ms (the default is seconds).
    const conf = path.join(dir, 'nats.conf');
    await writeFile(conf, 'write_deadline: "200ms"\n');
    const server = await startNatsServer({ extraArgs: ['-c', conf] });
    let backendStopped = false;
    const backend = await Backend.start(['--config-dir', EXAMPLE, '--msq', server.url, '-l', '1000000000'], logs);
    const pid = backend.proc.child.pid;
    assert.ok(pid !== undefined);
    const nc = await natsClient(server.url);
    try {
      // A backend that does not read (stopped here; under load, a busy one) while events keep coming.
      backendStopped = true;
      await stopProcess(pid);
      const noise = JSON.stringify({ event_id: 'x', timestamp: '2025-01-01T00:00:00Z', sensor: 's', plugin_id: 9, plugin_sid: 9, src_ip: '10.0.0.1', dst_ip: '10.0.0.2', custom_data1: 'x'.repeat(1000) });
      const payload = new TextEncoder().encode(noise);
      await waitFor(
        async () => {
          for (let i = 0; i < 2000; i++) nc.publish('dsiem_events', payload);
          await nc.flush();
          return /Slow Consumer Detected/.test(server.log()) || undefined;
        },
        { timeoutMs: 20_000, intervalMs: 1, what: 'nats-server to cut the stopped backend as a slow consumer' },
      );
      process.kill(pid, 'SIGCONT');
      backendStopped = false;
      await backend.proc.waitForLine(/nats-server cut the connection: slow consumer/, 20_000);
      const stats = await waitFor(async () => {
        const s = (await backend.stats(nc)) as unknown as Record<string, number>;
        return s['nats_slow_consumer_cuts'] === 1 ? s : undefined;
      }, { timeoutMs: 10_000, what: 'the cut in the stats reply' });
      assert.equal(stats['nats_slow_consumer_cuts'], 1);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
      const reports = backend.proc.stdout.filter((l) => l.includes('watchdog report'));
      assert.match(reports.at(-1) ?? '', /nats_slow_consumer_cuts=1/);
    } finally {
      if (backendStopped) process.kill(pid, 'SIGCONT');
      await nc.close();
      await backend.stop();
      await server.stop();
      await cleanup(dir);
    }
  });

  it('a restarted nats-server is a reconnect, not a slow-consumer cut', async () => {
    const logs = await tempDir('dsiem-restart-');
    const server = await startNatsServer();
    const backend = await Backend.start(['--config-dir', EXAMPLE, '--msq', server.url, '-l', '1000000000'], logs);
    try {
      await server.restart();
      await backend.proc.waitForLine(/nats reconnected/, 20_000);
      const nc = await natsClient(server.url);
      const stats = (await backend.stats(nc)) as unknown as Record<string, number>;
      await nc.close();
      assert.equal(stats['nats_slow_consumer_cuts'], 0);
    } finally {
      await backend.stop();
      await server.stop();
      await cleanup(logs);
    }
  });
});
