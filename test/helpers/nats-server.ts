// Starts a private nats-server (the Debian package's binary) for one test, on
// 127.0.0.1 and a port of its own (never the system server's 4222).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { onTestProcessExit } from './process.js';

export interface NatsTestServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The pid of the current server process (undefined while stopped). */
  readonly pid: number | undefined;
  /** What the current (or last) server process wrote to stderr (its log). */
  log(): string;
  /** SIGTERM, wait for exit (SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
  /** Stops the server, then starts a new one on the SAME port and waits until it accepts connections. */
  restart(): Promise<void>;
}

export interface StartNatsServerOptions {
  /** Listen on this port (default: a free port chosen by the server, `-p -1`). */
  readonly port?: number;
  /** How long to wait for the server to come up (default 10 s). */
  readonly startTimeoutMs?: number;
  /** More nats-server arguments (for example `--user u --pass p`). */
  readonly extraArgs?: readonly string[];
}

const DEBIAN_PATH = '/usr/sbin/nats-server';
const STOP_GRACE_MS = 3000;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nats-server binary: `nats-server` on PATH, else /usr/sbin/nats-server. Throws when there is none. */
export function findNatsServer(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'nats-server');
    if (isExecutable(candidate)) return candidate;
  }
  if (isExecutable(DEBIAN_PATH)) return DEBIAN_PATH;
  throw new Error(`nats-server not found: install the Debian package nats-server (looked on PATH and at ${DEBIAN_PATH})`);
}

// ---------------------------------------------------------------------------
// Every server process started, so that none outlives the tests.

interface Started {
  readonly child: ChildProcess;
  readonly dir: string;
}

const started = new Set<Started>();

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Kills (SIGKILL) every nats-server started by this module that is still running. Returns how many were killed. */
export function killAllStarted(): number {
  let killed = 0;
  for (const entry of started) {
    if (isRunning(entry.child)) {
      entry.child.kill('SIGKILL');
      killed += 1;
    }
    rmSync(entry.dir, { recursive: true, force: true });
  }
  started.clear();
  return killed;
}

onTestProcessExit(() => {
  killAllStarted();
});

// ---------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Reads the port from `nats-server_<pid>.ports` (`{"nats":["nats://127.0.0.1:PORT"]}`), undefined while absent or incomplete. */
function readPortsFile(dir: string, pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, `nats-server_${pid}.ports`), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as { nats?: unknown };
    const first = Array.isArray(parsed.nats) ? parsed.nats[0] : undefined;
    const match = typeof first === 'string' ? /:(\d+)$/.exec(first) : null;
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // written but not yet complete
  }
}

interface Running {
  readonly entry: Started;
  readonly port: number;
  readonly stderr: () => string;
  readonly exited: Promise<void>;
}

class StartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

/** Starts one server process and waits until it has written its ports file and accepts TCP connections. */
async function launch(bin: string, port: number | undefined, timeoutMs: number, extraArgs: readonly string[] = []): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'nats-test-'));
  const args = ['-a', '127.0.0.1', '-p', String(port ?? -1), '--ports_file_dir', dir, ...extraArgs];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const entry: Started = { child, dir };
  started.add(entry);
  // A server a test forgot to stop must not keep the test process alive: the 'exit' hook kills it.
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
  });
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  exited.then(() => {
    rmSync(dir, { recursive: true, force: true });
    started.delete(entry);
  });

  const command = `${bin} ${args.join(' ')}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError !== undefined) {
      throw new StartError(`cannot run ${command}: ${spawnError.message}`, false);
    }
    if (!isRunning(child)) {
      await sleep(20); // let the rest of stderr arrive
      throw new StartError(
        `nats-server exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready: ${command}\nstderr:\n${stderr}`,
        /address already in use/i.test(stderr),
      );
    }
    const actual = child.pid === undefined ? undefined : readPortsFile(dir, child.pid);
    if (actual !== undefined) {
      if (port !== undefined && actual !== port) {
        child.kill('SIGKILL');
        throw new StartError(`nats-server listens on port ${actual}, not the requested ${port}\nstderr:\n${stderr}`, false);
      }
      if (await acceptsTcp(actual)) return { entry, port: actual, stderr: () => stderr, exited };
    }
    if (Date.now() >= deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new StartError(
        `timed out after ${timeoutMs}ms waiting for nats-server to accept connections` +
          `${actual === undefined ? ' (no ports file written)' : ` on port ${actual}`}: ${command}\nstderr:\n${stderr}`,
        false,
      );
    }
    await sleep(20);
  }
}

async function stopProcess(running: Running): Promise<void> {
  const { child } = running.entry;
  if (isRunning(child)) {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), STOP_GRACE_MS);
    });
    const timedOut = await Promise.race([running.exited.then(() => false), grace]);
    clearTimeout(timer);
    if (timedOut && isRunning(child)) child.kill('SIGKILL');
  }
  await running.exited;
}

/** Starts a nats-server on 127.0.0.1 for a test; stop it with `stop()` (e.g. in `after`/`t.after`). */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsTestServer> {
  const bin = findNatsServer();
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let current: Running | undefined = await launch(bin, options.port, timeoutMs, options.extraArgs);
  let last: Running = current;
  const port = current.port;

  const stop = async (): Promise<void> => {
    const running = current;
    current = undefined;
    if (running !== undefined) await stopProcess(running);
  };

  const restart = async (): Promise<void> => {
    await stop();
    // The port was just released; retry briefly should another bind still hold it.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        current = await launch(bin, port, Math.max(1000, deadline - Date.now()), options.extraArgs);
        last = current;
        return;
      } catch (error) {
        if (!(error instanceof StartError && error.addressInUse) || Date.now() >= deadline) throw error;
        await sleep(100);
      }
    }
  };

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return current?.entry.child.pid;
    },
    log: () => last.stderr(),
    stop,
    restart,
  };
}
