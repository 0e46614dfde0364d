/**
 * What the command does when the reader of its stdout goes away (`dsiem-backend validate | head`, a `tee` that
 * dies): an offline command ends quietly with its exit code so far (no EPIPE stack trace); `serve`, whose log goes
 * to stdout, says so once on stderr and goes on correlating: alarms go to files, and a closed log reader must not
 * cost the live backlogs.
 */

export class StdoutGuard {
  private serving = false;
  private said = false;

  constructor(
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  /** Call once, before any output. */
  install(): void {
    this.stdout.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
  }

  /** From now on the command is `serve`. */
  serve(): void {
    this.serving = true;
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.serving) {
      if (this.said) return;
      this.said = true;
      this.stderr.write(`dsiem-backend: stdout can no longer be written (${err.code ?? err.message}): log lines are lost from now on; correlation goes on\n`);
      return;
    }
    if (err.code !== 'EPIPE') throw err;
    this.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  }
}
