/**
 * What the command does when the reader of its output goes away (`dsiem-backend validate | head`, a `tee` that
 * dies): nothing is written there any more, without an EPIPE stack trace, and the command goes on to its end and
 * exits with its own status (a `test` run whose reader stopped early still fails when a case fails). `serve`,
 * whose log goes to stdout, says so once on stderr, if it still can, and goes on correlating: alarms go to
 * files, and a closed log reader must not cost the live backlogs. A closed stderr is never fatal either.
 */

import type { Writable } from 'node:stream';

export class StdoutGuard {
  private serving = false;
  private said = false;
  /** A failure of stdout other than its reader going away (a full disk): the command then fails. */
  failure: Error | undefined;

  constructor(
    private readonly stdout: Writable = process.stdout,
    private readonly stderr: Writable = process.stderr,
  ) {}

  /** Call once, before any output. */
  install(): void {
    this.stdout.on('error', (err: NodeJS.ErrnoException) => this.onStdoutError(err));
    // Nowhere is left to tell of a failing stderr.
    this.stderr.on('error', () => undefined);
  }

  /**
   * Resolves once what was written to stdout is out, or has failed (a write's error comes a tick after it), so
   * that `failure` is known before the command says how it ended.
   */
  async settled(): Promise<void> {
    if (!this.stdout.destroyed && this.stdout.writableLength > 0) await drainedOrGone(this.stdout);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** From now on the command is `serve`. */
  serve(): void {
    this.serving = true;
  }

  private onStdoutError(err: NodeJS.ErrnoException): void {
    if (!this.serving) {
      if (err.code !== 'EPIPE') this.failure ??= err;
      return;
    }
    if (this.said) return;
    this.said = true;
    this.stderr.write(`dsiem-backend: stdout can no longer be written (${err.code ?? err.message}): log lines are lost from now on; correlation goes on\n`);
  }
}

/** Resolves when a stream that is behind has drained, or is gone (closed, failed: its error is someone else's). */
export function drainedOrGone(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}
