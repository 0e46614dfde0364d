// Saved backlogs in core NATS mode, under the faults a hostile run found: a stop during start-up keeps them,
// crafted or broken saved backlogs never stop a start (each is dropped with its reason, the others restored),
// a save that cannot be written says where and exits 1 leaving no temp file, a kill during the save leaves a
// whole save or none (never a fraction, always said), and backlogs of directives that are gone are reported.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnCli } from '../helpers/process.js';
import { startHttpServer } from '../helpers/http-server.js';
import { Backend, cleanup, eventLines, publishEvents, tempDir, useNats } from './harness.js';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'example');
const checkpoint = (logs: string) => path.join(logs, 'backlogs', 'checkpoint.jsonl');

/** Runs the example events through serve and stops it: a checkpoint with live backlogs. */
async function savedRun(nats: { server: { url: string }; nc: Parameters<typeof publishEvents>[0] }, logs: string): Promise<void> {
  const backend = await Backend.start(['--config', example, '--msq', nats.server.url, '-l', '1000000'], logs);
  const lines = await eventLines(example);
  await publishEvents(nats.nc, lines);
  await backend.settled(nats.nc, lines.length);
  const exit = await backend.stop();
  assert.equal(exit.code, 0, backend.proc.output());
}

function restoredCount(output: string): number {
  const m = /saved backlogs restored .*backlogs=(\d+)/.exec(output);
  return m === null ? 0 : Number(m[1]);
}

describe('saved backlogs (core NATS)', { timeout: 120_000 }, () => {
  const nats = useNats();

  it('keeps them when a stop comes during start-up', async () => {
    const logs = await tempDir('dsiem-saved-startstop-');
    // A frontend that never answers holds the start-up at the config download.
    const frontend = await startHttpServer(() => undefined);
    try {
      await savedRun(nats, logs);
      const before = await readFile(checkpoint(logs));
      const proc = spawnCli(['serve', '--frontend', frontend.url, '--node', 'n1', '--msq', nats.server.url, '--logs', logs]);
      await proc.waitForLine(/downloading configs/, 20_000);
      proc.signal('SIGTERM');
      const exit = await proc.exited;
      assert.equal(exit.code, 0, proc.output());
      assert.match(proc.output(), /stopped during start-up/);
      assert.deepEqual(await readFile(checkpoint(logs)), before, 'the saved backlogs are as they were');
    } finally {
      await frontend.close();
      await cleanup(logs);
    }
  });

  it('restores every good backlog of a crafted file and drops each bad one with its reason', async () => {
    const logs = await tempDir('dsiem-saved-crafted-');
    try {
      await savedRun(nats, logs);
      const text = await readFile(checkpoint(logs), 'utf8');
      const lines = text.split('\n').filter((l) => l !== '');
      const header = JSON.parse(lines[0] as string) as Record<string, unknown>;
      const ruleLists = lines.slice(1, -1).filter((l) => l.startsWith('{"rules":'));
      const good = lines.slice(1, -1).filter((l) => l.startsWith('{"directive_id":'));
      assert.ok(good.length >= 2, `the example run left ${good.length} backlogs`);
      const first = JSON.parse(good[0] as string) as { directive_id: number; backlog: Record<string, unknown> };
      const firstRules = (JSON.parse(ruleLists.find((l) => l.startsWith(`{"rules":${String(first.backlog['rules'])},`)) as string) as { list: Array<Record<string, unknown>> }).list;
      let deep = '0';
      for (let i = 0; i < 50_000; i++) deep = `[${deep}]`;
      const bad = [
        good[0] as string, // the same id twice
        JSON.stringify({ ...first, backlog: { ...first.backlog, id: 'x/../"y"\n' } }),
        JSON.stringify({ ...first, backlog: { ...first.backlog, id: 'zzzzzzzzz', rules: firstRules.map((r, i) => (i === 1 ? { ...r, occurrence: -5 } : r)) } }),
        `{"directive_id":${first.directive_id},"backlog":${deep}}`,
        JSON.stringify({ directive_id: 424242, backlog: first.backlog }),
      ];
      const body = [JSON.stringify(header), ...ruleLists, ...good, ...bad].map((l) => `${l}\n`).join('');
      const sha256 = createHash('sha256').update(body).digest('hex');
      await writeFile(checkpoint(logs), `${body}${JSON.stringify({ end: true, backlogs: good.length + bad.length, rules: ruleLists.length, sha256 })}\n`);

      const backend = await Backend.start(['--config', example, '--msq', nats.server.url, '-l', '1000000'], logs);
      const exit = await backend.stop();
      const out = backend.proc.output();
      assert.equal(exit.code, 0, out);
      assert.equal(restoredCount(out), good.length, out);
      assert.equal((out.match(/saved backlog not restored/g) ?? []).length, 4, out);
      assert.match(out, /the same backlog id is in the file twice/);
      assert.match(out, /is not a backlog id/);
      assert.match(out, /occurrence/);
      assert.match(out, /saved backlogs of a directive that is not loaded now.*directiveId=424242/);
    } finally {
      await cleanup(logs);
    }
  });

  it('keeps them aside when started with the wrong --node, and restores them once renamed back under the right one', async () => {
    const logs = await tempDir('dsiem-saved-wrongnode-');
    try {
      await savedRun(nats, logs);
      const saved = await readFile(checkpoint(logs));
      const first = await Backend.start(['--config', example, '--msq', nats.server.url, '-l', '1000000'], logs);
      const count = restoredCount(first.proc.output());
      assert.equal((await first.stop()).code, 0, first.proc.output());
      assert.ok(count > 0, first.proc.output());
      await writeFile(checkpoint(logs), saved);
      // dsiem-backend-1 loads directive 2 only: the saved backlogs of directives 1, 3 and 4 are not restored.
      const wrong = await Backend.start(['--config', example, '--node', 'dsiem-backend-1', '--msq', nats.server.url, '-l', '1000000'], logs);
      assert.equal((await wrong.stop()).code, 0, wrong.proc.output());
      const out = wrong.proc.output();
      assert.ok(restoredCount(out) < count, out);
      const aside = (await readdir(path.join(logs, 'backlogs'))).filter((n) => /^checkpoint\.unrestored-.*\.jsonl$/.test(n));
      assert.equal(aside.length, 1, out);
      assert.deepEqual(await readFile(path.join(logs, 'backlogs', aside[0] as string)), saved);
      assert.match(out, new RegExp(`saved backlogs of directives that are not loaded now were kept aside.*${(aside[0] as string).replace(/\./g, '\\.')}.*directiveIds=\\[3,4,1\\]`));
      await rm(checkpoint(logs));
      await rename(path.join(logs, 'backlogs', aside[0] as string), checkpoint(logs));
      const right = await Backend.start(['--config', example, '--msq', nats.server.url, '-l', '1000000'], logs);
      assert.equal((await right.stop()).code, 0, right.proc.output());
      assert.equal(restoredCount(right.proc.output()), count, right.proc.output());
    } finally {
      await cleanup(logs);
    }
  });

  it('says where a save cannot be written, exits 1 and leaves no temp file', async () => {
    const logs = await tempDir('dsiem-saved-unwritable-');
    try {
      const backend = await Backend.start(['--config', example, '--msq', nats.server.url, '-l', '1000000'], logs);
      const lines = await eventLines(example);
      await publishEvents(nats.nc, lines);
      await backend.settled(nats.nc, lines.length);
      // The folder's place is taken by a file: nothing can be written there.
      await rm(path.join(logs, 'backlogs'), { recursive: true, force: true });
      await writeFile(path.join(logs, 'backlogs'), 'in the way');
      const exit = await backend.stop();
      assert.equal(exit.code, 1, backend.proc.output());
      assert.match(backend.proc.output(), /cannot save backlogs: they are lost.*checkpoint\.jsonl/);
      assert.deepEqual((await readdir(logs)).filter((n) => n.endsWith('.tmp')), []);
    } finally {
      await cleanup(logs);
    }
  });

  it('after a kill during the save, restores none of it (never a fraction) and says so', async () => {
    const logs = await tempDir('dsiem-saved-killed-');
    try {
      const backend = await Backend.start(['--config', example, '--msq', nats.server.url, '-l', '1000000'], logs);
      const lines = await eventLines(example);
      await publishEvents(nats.nc, lines);
      await backend.settled(nats.nc, lines.length);
      // A save killed part-way leaves its temp file (what a kill -9 during the write leaves).
      await mkdir(path.join(logs, 'backlogs'), { recursive: true });
      await writeFile(path.join(logs, 'backlogs', 'checkpoint.jsonl.99999.tmp'), '{"format":"dsiem-backend-checkpoint","version":2');
      backend.proc.signal('SIGKILL');
      await backend.proc.exited;
      const again = await Backend.start(['--config', example, '--msq', nats.server.url, '-l', '1000000'], logs);
      await again.stop();
      const out = again.proc.output();
      assert.match(out, /removed the temp file of a save that did not finish/);
      assert.equal(restoredCount(out), 0);
      assert.deepEqual((await readdir(path.join(logs, 'backlogs'))).filter((n) => n.endsWith('.tmp')), []);
    } finally {
      await cleanup(logs);
    }
  });
});
