// Running `serve` for real: its own nats-server, a local config frontend or folder, the CLI as a child process.
// Completion is observed through the backend's `dsiem_backend_stats` request/reply subject, never by sleeping.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import { spawnCli, type CliExit, type CliProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { normaliseAlarmFiles } from '../helpers/normalise.js';

export const SCENARIOS = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'conformance');

export interface BackendStats {
  received: number;
  accepted: number;
  invalid: number;
  invalid_by_reason: Record<string, number>;
  whitelisted: number;
  dropped: number;
  queue_length: number;
  backlog_items_in_flight: number;
  lines_not_written: number;
  handled: number;
  backlogs: number;
  alarms: number;
  rss_mb: number;
  heap_used_mb: number;
}

const encoder = new TextEncoder();

/** The backend's stats reply, or undefined when it does not answer in 2 s (starting, stopping, killed). */
export async function statsReply<T>(nc: NatsConnection): Promise<T | undefined> {
  try {
    const reply = await nc.request('dsiem_backend_stats', encoder.encode(''), { timeout: 2_000 });
    return JSON.parse(new TextDecoder().decode(reply.data)) as T;
  } catch {
    return undefined;
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function eventLines(scenario: string): Promise<string[]> {
  return (await readFile(path.join(scenario, 'events.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
}

export async function expectedAlarms(scenario: string): Promise<string[]> {
  return (await readFile(path.join(scenario, 'expected-normalised.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
}

/** Publishes event lines as the frontend does: the event JSON plus `rcvd_time` (ns) = now. */
export async function publishEvents(nc: NatsConnection, lines: readonly string[], rcvdOffsetMs = 0): Promise<void> {
  for (const line of lines) {
    const event = JSON.parse(line) as Record<string, unknown>;
    event['rcvd_time'] = (Date.now() + rcvdOffsetMs) * 1e6;
    nc.publish('dsiem_events', encoder.encode(JSON.stringify(event)));
  }
  await nc.flush();
}

/** Backends started and not exited yet: a test that fails half-way leaves its own, which `useNats` kills after it. */
const running = new Set<Backend>();

export class Backend {
  private constructor(
    readonly proc: CliProcess,
    readonly logs: string,
  ) {}

  static async start(args: string[], logs: string, env: Record<string, string> = {}): Promise<Backend> {
    const proc = spawnCli(['serve', '--logs', logs, ...args], { env: { DSIEM_NODE: '', ...env } });
    const backend = new Backend(proc, logs);
    running.add(backend);
    void proc.exited.then(() => running.delete(backend));
    await proc.waitForLine(/listening for new events/, 20_000);
    return backend;
  }

  async stats(nc: NatsConnection): Promise<BackendStats> {
    const reply = await nc.request('dsiem_backend_stats', encoder.encode(''), { timeout: 5_000 });
    return JSON.parse(new TextDecoder().decode(reply.data)) as BackendStats;
  }

  /** Waits until the backend received `n` events and none is waiting. */
  async settled(nc: NatsConnection, n: number, timeoutMs = 20_000): Promise<BackendStats> {
    return waitFor(
      async () => {
        const s = await this.stats(nc);
        return s.received >= n && s.queue_length === 0 && s.backlog_items_in_flight === 0 && s.lines_not_written === 0 ? s : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `the backend to receive ${n} events` },
    );
  }

  async stop(): Promise<CliExit> {
    this.proc.signal('SIGTERM');
    return this.proc.exited;
  }

  async alarms(): Promise<string[]> {
    return normaliseAlarmFiles([path.join(this.logs, 'siem_alarms.json'), path.join(this.logs, 'siem_alarm_events.json')]);
  }
}

export async function natsClient(url: string): Promise<NatsConnection> {
  return connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
}

/**
 * Registers before/after hooks that start a nats-server for the suite and a client on it; the returned object's
 * fields are set once the suite runs.
 */
export function useNats(): { server: NatsTestServer; nc: NatsConnection } {
  const shared = {} as { server: NatsTestServer; nc: NatsConnection };
  before(async () => {
    shared.server = await startNatsServer();
    shared.nc = await natsClient(shared.server.url);
  });
  // A backend a failed test left behind would still answer the stats requests of the next tests on this server.
  afterEach(async () => {
    for (const backend of [...running]) {
      backend.proc.signal('SIGKILL');
      await backend.proc.exited;
    }
  });
  after(async () => {
    await shared.nc.close();
    await shared.server.stop();
  });
  return shared;
}

export async function cleanup(...dirs: string[]): Promise<void> {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
