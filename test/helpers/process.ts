// Runs the built CLI (`node bin/dsiem-backend.js ...`) as a child process for
// integration tests, collecting its output line by line. Also holds the
// clean-up registry that kills children left behind when the test process ends.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/helpers/process.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI entry point and the compiled module it needs. */
export const CLI_PATH = join(REPO_ROOT, 'bin', 'dsiem-backend.js');
const COMPILED_CLI = join(REPO_ROOT, 'dist', 'actors', 'cli.js');

// ---------------------------------------------------------------------------
// Clean-up on exit

const cleanups = new Set<() => void>();
let hooksInstalled = false;
const EXIT_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    try {
      fn();
    } catch {
      // best effort: the process is going away
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runCleanups();
  // Only this module listens: restore the default action (terminate) by re-raising.
  if (process.listenerCount(signal) === 1) {
    for (const s of EXIT_SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, signal);
  }
}

/**
 * Registers a synchronous clean-up run when the test process exits (normally,
 * or on SIGINT/SIGTERM/SIGHUP). Returns a function that unregisters it.
 */
export function onTestProcessExit(fn: () => void): () => void {
  if (!hooksInstalled) {
    hooksInstalled = true;
    process.on('exit', runCleanups);
    for (const s of EXIT_SIGNALS) process.on(s, onSignal);
  }
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}

// ---------------------------------------------------------------------------
// The CLI child process

export interface CliExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** Lines written so far to stdout / stderr (without the newline). */
  readonly stdout: string[];
  readonly stderr: string[];
  /**
   * Resolves with the first line (of stdout or stderr, already written or
   * still to come) matching `re`. Rejects on timeout, or when the process
   * exits without having written such a line.
   */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal (no-op once the process has exited). */
  signal(sig: NodeJS.Signals): void;
  /**
   * Resolves when the process has exited and its output has been read to the
   * end. (The child does not keep the test process alive by itself; reading
   * this property, or a pending `waitForLine`, does until the child has exited.)
   */
  readonly exited: Promise<CliExit>;
  /** stdout and stderr, for assertion messages. */
  output(): string;
}

export interface SpawnCliOptions {
  /** Added to (and overriding) the test process' environment. */
  readonly env?: Record<string, string>;
  /** Working directory (default: the repository root). */
  readonly cwd?: string;
  /** stdin of the child (default "ignore", i.e. /dev/null). */
  readonly stdin?: 'ignore' | 'pipe';
  /** Options for node itself, before the CLI's path (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
}

const running = new Set<ChildProcess>();

function killRunningChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

/** Collects the lines of a stream, emitting `line` for each one. */
function collectLines(stream: NodeJS.ReadableStream | null, sink: string[], events: EventEmitter, done: () => void): void {
  if (stream === null) {
    done();
    return;
  }
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      const line = part.endsWith('\r') ? part.slice(0, -1) : part;
      sink.push(line);
      events.emit('line', line);
    }
  });
  stream.on('end', () => {
    if (partial !== '') {
      sink.push(partial);
      events.emit('line', partial);
      partial = '';
    }
    done();
  });
}

function requireBuild(): void {
  if (!existsSync(COMPILED_CLI)) {
    throw new Error(`the CLI is not built (${COMPILED_CLI} is missing): run \`npm run build\` in ${REPO_ROOT} first`);
  }
}

/** Runs `node bin/dsiem-backend.js ...args` (requires `npm run build`). */
export function spawnCli(args: string[], options: SpawnCliOptions = {}): CliProcess {
  requireBuild();
  onTestProcessExit(killRunningChildren);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI_PATH, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    // No HTTP server unless a test asks for one (DSIEM_PORT or --port): tests run side by side, 8080 is one port.
    env: { DSIEM_PORT: '0', ...process.env, ...options.env },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  // A child a test forgot to stop must not keep the test process alive (the 'exit' hook kills it);
  // whoever waits for it (`exited`, `waitForLine`) keeps the event loop alive instead.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  let keepAlive: NodeJS.Timeout | undefined;

  const stdout: string[] = [];
  const stderr: string[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);

  let exitInfo: CliExit | undefined;
  let openStreams = 2;
  let finished = false;
  let resolveExited!: (exit: CliExit) => void;
  const exited = new Promise<CliExit>((resolve) => {
    resolveExited = resolve;
  });
  const maybeFinish = (): void => {
    if (finished || exitInfo === undefined || openStreams > 0) return;
    finished = true;
    if (keepAlive !== undefined) clearInterval(keepAlive);
    running.delete(child);
    resolveExited(exitInfo);
    events.emit('finished', exitInfo);
  };
  const streamDone = (): void => {
    openStreams -= 1;
    maybeFinish();
  };
  collectLines(child.stdout, stdout, events, streamDone);
  collectLines(child.stderr, stderr, events, streamDone);
  child.on('exit', (code, signal) => {
    exitInfo = { code, signal };
    maybeFinish();
  });
  child.on('error', (error) => {
    // Spawning failed (no 'exit' follows): report it as output and as an exit.
    stderr.push(`spawn error: ${error.message}`);
    if (child.pid === undefined) {
      exitInfo = { code: null, signal: null };
      openStreams = 0;
      maybeFinish();
    }
  });

  const output = (): string =>
    [`--- stdout (${stdout.length} lines)`, ...stdout, `--- stderr (${stderr.length} lines)`, ...stderr].join('\n');

  const waitForLine = (re: RegExp, timeoutMs = 10_000): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const test = (line: string): boolean => {
        re.lastIndex = 0;
        return re.test(line);
      };
      const found = stdout.find(test) ?? stderr.find(test);
      if (found !== undefined) {
        resolve(found);
        return;
      }
      const cleanup = (): void => {
        clearTimeout(timer);
        events.removeListener('line', onLine);
        events.removeListener('finished', onFinished);
      };
      const onLine = (line: string): void => {
        if (test(line)) {
          cleanup();
          resolve(line);
        }
      };
      const onFinished = (exit: CliExit): void => {
        cleanup();
        reject(new Error(`process exited (code ${exit.code}, signal ${exit.signal}) without writing a line matching ${re}\n${output()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for a line matching ${re}\n${output()}`));
      }, timeoutMs);
      events.on('line', onLine);
      if (finished && exitInfo !== undefined) onFinished(exitInfo);
      else events.on('finished', onFinished);
    });

  const signal = (sig: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };

  return {
    child,
    stdout,
    stderr,
    waitForLine,
    signal,
    get exited(): Promise<CliExit> {
      if (!finished && keepAlive === undefined) keepAlive = setInterval(() => undefined, 60_000);
      return exited;
    },
    output,
  };
}
