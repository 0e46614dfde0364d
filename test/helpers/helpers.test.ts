// Tests of the integration-test helpers: private nats-server, HTTP servers,
// CLI child processes and waiting.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, StringCodec } from 'nats';
import type { NatsConnection } from 'nats';
import { findNatsServer, killAllStarted, startNatsServer } from './nats-server.js';
import { startConfigFrontend, startHttpServer } from './http-server.js';
import { spawnCli } from './process.js';
import { Latch, waitFor } from './wait.js';

const sc = StringCodec();

/** Subscribes, publishes one message and returns what arrived. */
async function roundTrip(nc: NatsConnection, subject: string, text: string): Promise<string> {
  const sub = nc.subscribe(subject, { max: 1 });
  const received = (async () => {
    for await (const msg of sub) return sc.decode(msg.data);
    return undefined;
  })();
  await nc.flush();
  nc.publish(subject, sc.encode(text));
  const value = await Promise.race([
    received,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no message within 5 s')), 5000).unref()),
  ]);
  return value ?? '';
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True when nothing accepts connections on the port. */
async function refusesConnections(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, reconnect: false, timeout: 1000 });
    await nc.close();
    return false;
  } catch {
    return true;
  }
}

describe('nats-server helper', () => {
  it('finds the binary', () => {
    assert.match(findNatsServer(), /nats-server$/);
  });

  it('starts a server on a free port, survives restart() on the same port, and stops', async (t) => {
    const server = await startNatsServer();
    t.after(() => server.stop());
    assert.notEqual(server.port, 4222);
    assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
    const firstPid = server.pid;

    const nc = await connect({ servers: server.url });
    assert.equal(await roundTrip(nc, 'helpers.test', 'hello'), 'hello');
    await nc.close();

    await server.restart();
    assert.notEqual(server.pid, firstPid);
    assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
    const nc2 = await connect({ servers: server.url, reconnect: false });
    assert.equal(await roundTrip(nc2, 'helpers.test', 'again'), 'again');
    await nc2.close();

    await server.stop();
    assert.equal(server.pid, undefined);
    assert.equal(await refusesConnections(server.url), true);
    await server.stop(); // idempotent
  });

  it('lets a connected client reconnect across restart()', async (t) => {
    const server = await startNatsServer();
    t.after(() => server.stop());
    const nc = await connect({ servers: server.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    t.after(() => nc.close());
    const reconnected = new Latch(1, { timeoutMs: 10_000, what: 'the client to reconnect' });
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'reconnect') reconnected.count();
    })();
    await server.restart();
    await reconnected;
    assert.equal(await roundTrip(nc, 'helpers.reconnect', 'back'), 'back');
  });

  it('starts on a given port', async (t) => {
    const port = await freePort();
    const server = await startNatsServer({ port });
    t.after(() => server.stop());
    assert.equal(server.port, port);
    const nc = await connect({ servers: server.url, reconnect: false });
    await nc.close();
  });

  it('fails clearly when the port is taken, quoting the server log', async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as AddressInfo;
    await assert.rejects(startNatsServer({ port }), /exited .* before it was ready[\s\S]*address already in use/);
  });
});

describe('http helpers', () => {
  it('records requests and closes despite a handler that never answers', async () => {
    const server = await startHttpServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.end(`you asked ${req.method} ${req.url}`);
    });
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/a?b=1`);
    assert.equal(await res.text(), 'you asked GET /a?b=1');
    await fetch(`${server.url}/post`, { method: 'POST', body: 'x' }).then((r) => r.text());
    const hanging = fetch(`${server.url}/hang`).catch((error: unknown) => error);
    await waitFor(() => server.requests.length === 3, { what: 'the hanging request' });
    await server.close();
    assert.ok((await hanging) instanceof Error);
    assert.deepEqual(server.requests, [
      { method: 'GET', url: '/a?b=1' },
      { method: 'POST', url: '/post' },
      { method: 'GET', url: '/hang' },
    ]);
  });

  it('answers 500 when the handler throws', async (t) => {
    const server = await startHttpServer(() => {
      throw new Error('boom');
    });
    t.after(() => server.close());
    const res = await fetch(server.url);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /boom/);
  });

  it('serves a config folder like the Dsiem frontend', async (t) => {
    const folder = mkdtempSync(join(tmpdir(), 'config-frontend-'));
    t.after(() => rmSync(folder, { recursive: true, force: true }));
    writeFileSync(join(folder, 'assets_1.json'), '{"assets":[]}');
    writeFileSync(join(folder, 'directives_x.json'), '{"directives":[]}');
    writeFileSync(join(folder, 'intel_y.json'), '{"intel_sources":[]}');
    const server = await startConfigFrontend(folder);
    t.after(() => server.close());

    const list = await fetch(`${server.url}/config/`);
    assert.equal(list.status, 200);
    assert.deepEqual(await list.json(), {
      files: [{ filename: 'assets_1.json' }, { filename: 'directives_x.json' }, { filename: 'intel_y.json' }],
    });
    const file = await fetch(`${server.url}/config/directives_x.json`);
    assert.equal(file.status, 200);
    assert.equal(await file.text(), '{"directives":[]}');
    assert.equal((await fetch(`${server.url}/config/nope.json`)).status, 404);
    assert.equal((await fetch(`${server.url}/config/..%2Fetc%2Fpasswd`)).status, 404);
    assert.equal((await fetch(`${server.url}/other`)).status, 404);
    assert.deepEqual(
      server.requests.map((r) => r.url),
      ['/config/', '/config/directives_x.json', '/config/nope.json', '/config/..%2Fetc%2Fpasswd', '/other'],
    );
  });

  it('renames directive files for a node and lists an empty folder as null', async (t) => {
    const folder = mkdtempSync(join(tmpdir(), 'config-frontend-'));
    t.after(() => rmSync(folder, { recursive: true, force: true }));
    const empty = await startConfigFrontend(folder);
    t.after(() => empty.close());
    assert.deepEqual(await (await fetch(`${empty.url}/config/`)).json(), { files: null });
    const emptyArray = await startConfigFrontend(folder, { emptyListing: 'array' });
    t.after(() => emptyArray.close());
    assert.deepEqual(await (await fetch(`${emptyArray.url}/config/`)).json(), { files: [] });

    writeFileSync(join(folder, 'directives_x.json'), 'X');
    writeFileSync(join(folder, 'directives_be1_y.json'), 'Y');
    writeFileSync(join(folder, 'vuln_z.json'), 'Z');
    const server = await startConfigFrontend(folder, { node: 'be1' });
    t.after(() => server.close());
    assert.deepEqual(await (await fetch(`${server.url}/config/`)).json(), {
      files: [{ filename: 'directives_be1_y.json' }, { filename: 'directives_be1_x.json' }, { filename: 'vuln_z.json' }],
    });
    assert.equal(await (await fetch(`${server.url}/config/directives_be1_x.json`)).text(), 'X');
    assert.equal((await fetch(`${server.url}/config/directives_x.json`)).status, 404);
  });
});

describe('wait helpers', () => {
  it('waitFor resolves with the first ready value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `ready after ${calls}` : undefined), { intervalMs: 5 });
    assert.equal(value, 'ready after 3');
  });

  it('waitFor times out with the message', async () => {
    await assert.rejects(
      waitFor(() => false, { timeoutMs: 100, intervalMs: 10, what: 'godot' }),
      { message: 'timed out after 100ms waiting for godot' },
    );
    await assert.rejects(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 50, what: 'a throwing probe' },
      ),
      { message: 'timed out after 50ms waiting for a throwing probe (last error: not yet)' },
    );
  });

  it('Latch resolves after N counts and rejects on timeout', async () => {
    const latch = new Latch(3, { timeoutMs: 1000 });
    for (let i = 0; i < 3; i += 1) setTimeout(() => latch.count(), 5 * i);
    await latch;
    assert.equal(latch.remaining, 0);

    const stuck = new Latch(2, { timeoutMs: 50, what: 'two messages' });
    stuck.count();
    await assert.rejects(stuck.wait(), { message: 'timed out after 50ms waiting for two messages (1 of 2 counts)' });
  });
});

describe('process helper', () => {
  it('runs the built CLI with --help', async () => {
    const cli = spawnCli(['--help']);
    const line = await cli.waitForLine(/^Usage: dsiem-backend/, 10_000);
    assert.match(line, /Usage: dsiem-backend/);
    const exit = await cli.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, cli.output());
    assert.ok(cli.stdout.some((l) => /Commands:/.test(l)), cli.output());
    // Past lines are found too.
    assert.match(await cli.waitForLine(/Commands:/, 100), /Commands:/);
  });

  it('reports stderr lines and rejects waitForLine once the process exited without a match', async () => {
    const cli = spawnCli(['no-such-command']);
    const exit = await cli.exited;
    assert.notEqual(exit.code, 0, cli.output());
    assert.ok(cli.stderr.length > 0, cli.output());
    await assert.rejects(cli.waitForLine(/never printed/, 1000), /process exited \(code \d+, signal null\) without writing a line matching/);
  });

  it('passes the environment and delivers signals', async (t) => {
    // A preload (through NODE_OPTIONS) that reports and then blocks, so the child is still running when signalled.
    const dir = mkdtempSync(join(tmpdir(), 'spawn-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const preload = join(dir, 'block.cjs');
    writeFileSync(
      preload,
      "require('node:fs').writeSync(2, 'blocking ' + process.env.HELPER_MARK + '\\n');\n" +
        'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000);\n',
    );
    const cli = spawnCli(['--help'], { env: { NODE_OPTIONS: `--require ${preload}`, HELPER_MARK: 'xyz' } });
    assert.equal(await cli.waitForLine(/^blocking/, 10_000), 'blocking xyz');
    cli.signal('SIGTERM');
    assert.deepEqual(await cli.exited, { code: null, signal: 'SIGTERM' });
    cli.signal('SIGTERM'); // no-op after exit
  });
});

after(() => {
  // Every test stopped its servers: nothing is left to kill.
  assert.equal(killAllStarted(), 0);
});
