// The reader of stdout goes away (`dsiem-backend --help | head`, a log `tee` that dies): offline commands go on
// quietly, without an EPIPE stack trace, and exit with their own status; `serve` says so once on stderr and goes
// on correlating, even when stderr is gone too.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import { CLI_PATH, REPO_ROOT } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { eventLines, publishEvents, statsReply, type BackendStats } from '../e2e/harness.js';

const PING = path.join(REPO_ROOT, 'test/fixtures/conformance/core/02-ping-flood-to-dst');

/** The CLI with its stdout pipe (and with `stderrToo`, its stderr pipe) closed by the reader before the command writes anything. */
function withStdoutClosed(args: readonly string[], stderrToo = false): { child: ChildProcessWithoutNullStreams; stderr: () => string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSIEM_')));
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: REPO_ROOT, env: { ...env, DSIEM_PORT: '0' }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.destroy();
  if (stderrToo) child.stderr.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return { child, stderr: () => stderr };
}

async function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const [code] = (await once(child, 'close')) as [number | null];
  return code;
}

describe('stdout closed by its reader', () => {
  for (const args of [['--help'], ['replay', '--help'], ['validate', '--config', PING]]) {
    it(`${args.join(' ')} ends quietly`, async () => {
      const run = withStdoutClosed(args);
      const code = await exitOf(run.child);
      assert.equal(run.stderr(), '', 'no EPIPE stack trace');
      assert.equal(code, 0);
    });
  }

  it('a `test` run with a failing case still exits 1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-stdout-case-'));
    try {
      await cp(path.join(REPO_ROOT, 'test/directive-cases/port-scan'), dir, { recursive: true });
      const expected = path.join(dir, 'expected.json');
      await writeFile(expected, (await readFile(expected, 'utf8')).replace('"risk": 3', '"risk": 4'));
      // A passing case first: its line is written (and fails) before the failing case runs.
      const run = withStdoutClosed(['test', path.join(REPO_ROOT, 'test/directive-cases/ssh-brute-force'), dir]);
      assert.equal(await exitOf(run.child), 1, run.stderr());
      assert.equal(run.stderr(), '');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('explain goes through the whole file and ends', async () => {
    const run = withStdoutClosed(['explain', '--config', PING, '--events', path.join(PING, 'events.jsonl')]);
    assert.equal(await exitOf(run.child), 0, run.stderr());
  });

  for (const command of [['explain'], ['replay', '--explain', '--logs']] as const) {
    it(`${command[0]}${command.length > 1 ? ' --explain' : ''} whose reader stops after the first lines (| head) ends quietly`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-stdout-head-'));
      try {
        // Enough explanations to fill the pipe, so that the command waits for its reader when it goes away.
        const lines = await eventLines(PING);
        const many = Array.from({ length: 400 }, (_, k) => lines.map((l) => l.replace(/"event_id":\s*"([^"]*)"/, `"event_id":"$1-${k}"`))).flat();
        const events = path.join(dir, 'events.jsonl');
        await writeFile(events, `${many.join('\n')}\n`);
        const args = command.length > 1 ? ['replay', '--explain', '--logs', path.join(dir, 'logs')] : ['explain'];
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSIEM_')));
        const child = spawn(process.execPath, [CLI_PATH, ...args, '--config', PING, '--events', events], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        child.stdout.once('data', () => child.stdout.destroy());
        const [code] = (await once(child, 'close')) as [number | null];
        assert.equal(stderr.includes('EPIPE'), false, stderr);
        assert.equal(code, 0, stderr);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('a full disk under stdout fails the command, naming it', { skip: !existsSync('/dev/full') && 'no /dev/full here' }, async () => {
    for (const args of [['validate', '--config', PING], ['--help']]) {
      const out = openSync('/dev/full', 'w');
      try {
        const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: REPO_ROOT, stdio: ['ignore', out, 'pipe'] });
        let stderr = '';
        child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        const [code] = (await once(child, 'close')) as [number | null];
        assert.equal(code, 1, `${args.join(' ')}: ${stderr}`);
        assert.match(stderr, /stdout could not be written: .*ENOSPC/);
      } finally {
        closeSync(out);
      }
    }
  });

  describe('serve', () => {
    let nats: NatsTestServer;
    let logs: string;
    before(async () => {
      nats = await startNatsServer();
      logs = await mkdtemp(path.join(tmpdir(), 'dsiem-stdout-'));
    });
    after(async () => {
      await nats.stop();
      await rm(logs, { recursive: true, force: true });
    });

    /** Once the backend answers, publishes the ping scenario and waits until the backend has taken every event. */
    async function correlateThePing(): Promise<void> {
      const nc = await connect({ servers: nats.url });
      try {
        await waitFor(async () => (await statsReply<BackendStats>(nc)) !== undefined, { timeoutMs: 20_000, what: 'the stats reply' });
        const lines = await eventLines(PING);
        await publishEvents(nc, lines);
        await waitFor(async () => (await statsReply<BackendStats>(nc))?.accepted === lines.length, { timeoutMs: 20_000, what: 'every event taken' });
      } finally {
        await nc.close();
      }
    }

    it('says so once on stderr, goes on correlating and stops cleanly', async () => {
      const run = withStdoutClosed(['serve', '--config-dir', PING, '--msq', nats.url, '--logs', logs]);
      const exited = exitOf(run.child);
      await waitFor(() => run.stderr().includes('stdout can no longer be written'), { timeoutMs: 20_000, what: 'the note on stderr' });
      await correlateThePing();
      run.child.kill('SIGTERM');
      assert.equal(await exited, 0, run.stderr());
      assert.equal(run.stderr().split('stdout can no longer be written').length - 1, 1, run.stderr());
    });

    it('goes on and stops cleanly, saving its backlogs, when stderr is gone too', async () => {
      const own = await mkdtemp(path.join(tmpdir(), 'dsiem-stdout-'));
      const run = withStdoutClosed(['serve', '--config-dir', PING, '--msq', nats.url, '--logs', own], true);
      const exited = exitOf(run.child);
      // Still there after its log lines of those events failed to be written.
      await correlateThePing();
      run.child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok((await readdir(path.join(own, 'backlogs'))).length > 0, 'the backlogs were saved');
      await rm(own, { recursive: true, force: true });
    });
  });
});
