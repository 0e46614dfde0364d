// Runs a command to its end and collects its exit status and output (for commands that stop by themselves;
// test/helpers/process.ts is for long-running ones). The child gets the test's environment without its
// DSIEM_* variables (a developer's shell may set some), plus the ones given.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCommand(argv: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<Finished> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSIEM_') && k !== 'MAX_EPS'));
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { cwd: options.cwd, env: { ...inherited, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function showFinished(run: Finished): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
}

/** A loopback port nobody listens on (bound, then released): connecting to it is refused at once. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
