// Checkpoints on disk, in real temp folders: written whole or not at all, the previous one kept and used when
// the newest is refused, temp files of an unfinished save removed, the earlier per-directive format still read.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toBacklogJson } from '../../../src/backlog/backlog-json.js';
import type { BacklogState } from '../../../src/backlog/state.js';
import { startBacklog } from '../../../src/backlog/transitions.js';
import { encodeCheckpoint, type CheckpointContent } from '../../../src/state/checkpoint.js';
import { CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE, readCheckpoints, retireCheckpoints, setAside, writeCheckpoint } from '../../../src/state/checkpoint-files.js';
import { aContext, aDirective, anEvent, at, T0 } from '../helpers.js';

const ctx = aContext();
const directive = aDirective([{ plugin_sid: [1], from: 'HOME_NET' }, { plugin_sid: [2], from: ':1', occurrence: 2, timeout: 60 }], { id: 7, name: 'Seven' });
const target = { id: 7, name: 'Seven' };
const backlog = (id: string): BacklogState => startBacklog(directive, anEvent({ event_id: `${id}-1`, plugin_sid: 1, timestamp: at(0) }), ctx, id, T0 * 1000).state;
const content = (ids: readonly string[]): CheckpointContent => ({
  header: { saved_at: new Date(0).toISOString(), reason: 'shutdown', node: 'n', stream: null, alarm_files: null },
  directives: [{ ...target, backlogs: ids.map(backlog) }],
});

async function withDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-ckpt-'));
  try {
    return await f(path.join(dir, 'backlogs'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const restoredIds = async (dir: string) => {
  const r = await readCheckpoints(dir, [target]);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return { ids: r.value.restored?.value.backlogs.get(7)?.map((s) => s.id) ?? [], read: r.value };
};

describe('checkpoint files', () => {
  it('write a checkpoint whole, keep the one before, and read the newest', () =>
    withDir(async (dir) => {
      assert.ok((await writeCheckpoint(dir, encodeCheckpoint(content(['a1'])), 1)).ok);
      assert.ok((await writeCheckpoint(dir, encodeCheckpoint(content(['b1', 'b2'])), 1)).ok);
      assert.deepEqual((await readdir(dir)).sort(), [CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE].sort());
      assert.deepEqual((await restoredIds(dir)).ids, ['b1', 'b2']);
    }));

  it('use the previous checkpoint when the newest is cut (a kill during the rename window or a damaged disk), and say so', () =>
    withDir(async (dir) => {
      await writeCheckpoint(dir, encodeCheckpoint(content(['a1'])), 1);
      await writeCheckpoint(dir, encodeCheckpoint(content(['b1', 'b2'])), 1);
      const file = path.join(dir, CHECKPOINT_FILE);
      const text = await readFile(file);
      await writeFile(file, text.subarray(0, text.length - 30));
      const { ids, read } = await restoredIds(dir);
      assert.deepEqual(ids, ['a1']);
      assert.equal(read.refused.length, 1);
      assert.equal(read.refused[0]?.file, file);
      assert.match(read.refused[0]?.reason ?? '', /truncated|damaged/);
    }));

  it('remove the temp file of a save that did not finish, and restore the whole previous save', () =>
    withDir(async (dir) => {
      await writeCheckpoint(dir, encodeCheckpoint(content(['a1', 'a2'])), 1);
      const half = [...encodeCheckpoint(content(['b1', 'b2', 'b3']))].slice(0, 2).join('');
      await writeFile(path.join(dir, `${CHECKPOINT_FILE}.4242.tmp`), half);
      const { ids, read } = await restoredIds(dir);
      assert.deepEqual(ids, ['a1', 'a2']);
      assert.deepEqual(read.removedTemp, [path.join(dir, `${CHECKPOINT_FILE}.4242.tmp`)]);
      assert.deepEqual((await readdir(dir)).sort(), [CHECKPOINT_FILE]);
    }));

  it('fail with the path when the checkpoint cannot be written, and leave no temp file', () =>
    withDir(async (dir) => {
      // The folder's place is taken by a file: nothing can be written there.
      await writeFile(dir, 'not a folder');
      const r = await writeCheckpoint(dir, encodeCheckpoint(content(['a1'])), 1);
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(r.error.includes(path.join(dir, CHECKPOINT_FILE)), r.error);
      assert.deepEqual((await readdir(path.dirname(dir))).filter((n) => n.endsWith('.tmp')), []);
    }));

  it('refuse only the newest file when it cannot be read, and restore the previous one (never the whole folder)', () =>
    withDir(async (dir) => {
      await writeCheckpoint(dir, encodeCheckpoint(content(['a1'])), 1);
      await writeCheckpoint(dir, encodeCheckpoint(content(['b1'])), 1);
      const file = path.join(dir, CHECKPOINT_FILE);
      await rm(file);
      await mkdir(file);
      const { ids, read } = await restoredIds(dir);
      assert.deepEqual(ids, ['a1']);
      assert.equal(read.refused[0]?.file, file);
      assert.match(read.refused[0]?.reason ?? '', /cannot be read: .*EISDIR/);
    }));

  it('read a checkpoint bigger than the longest string (512 MiB) and restore it, not refusing the folder', () =>
    withDir(async (dir) => {
      // A real file of 560 MiB: one backlog, then rule lists of 1 MiB each (as many backlogs of distinct rules would be).
      await writeCheckpoint(dir, encodeCheckpoint(content(['a1'])), 1);
      const small = (await readFile(path.join(dir, CHECKPOINT_FILE))).toString().split('\n').filter((l) => l !== '');
      const filler = 'x'.repeat(1 << 20);
      const lists = 560;
      const hash = createHash('sha256');
      const handle = await open(path.join(dir, CHECKPOINT_FILE), 'w');
      const put = async (text: string) => {
        hash.update(text);
        await handle.write(text);
      };
      for (const l of small.slice(0, -1)) await put(`${l}\n`);
      for (let k = 1; k <= lists; k++) await put(`${JSON.stringify({ rules: 1000 + k, list: filler })}\n`);
      await handle.write(`${JSON.stringify({ end: true, backlogs: 1, rules: lists + 1, sha256: hash.digest('hex') })}\n`);
      await handle.close();
      assert.ok((await stat(path.join(dir, CHECKPOINT_FILE))).size > 0x1fffffe8);
      const { ids, read } = await restoredIds(dir);
      assert.deepEqual(ids, ['a1']);
      assert.equal(read.restored?.file, path.join(dir, CHECKPOINT_FILE));
    }));

  it('read a checkpoint in pieces: a line longer than the limit is dropped, the file is not refused for it', () =>
    withDir(async (dir) => {
      await writeCheckpoint(dir, encodeCheckpoint(content(['a1', 'a2'])), 1);
      const r = await readCheckpoints(dir, [target], { maxLineBytes: 400 });
      assert.ok(r.ok, r.ok ? '' : r.error);
      const restored = r.value.restored?.value;
      assert.ok(restored !== undefined, JSON.stringify(r.value.refused));
      assert.ok(restored.dropped.some((d) => /lines longer than 400 bytes are not read/.test(d.reason)), JSON.stringify(restored.dropped));
    }));

  it('replace a checkpoint whose place is taken by a folder, keeping it as the previous one', () =>
    withDir(async (dir) => {
      await mkdir(path.join(dir, CHECKPOINT_FILE, 'something'), { recursive: true });
      assert.ok((await writeCheckpoint(dir, encodeCheckpoint(content(['a1'])), 1)).ok);
      assert.deepEqual((await restoredIds(dir)).ids, ['a1']);
    }));

  it('read the earlier one-file-per-directive format, and report files that cannot be read', () =>
    withDir(async (dir) => {
      await mkdir(dir, { recursive: true });
      const legacy = { version: 1, directive_id: 7, directive_name: 'Seven', saved_at: 'x', backlogs: [toBacklogJson(backlog('old1'))] };
      await writeFile(path.join(dir, '7.json'), JSON.stringify(legacy));
      await mkdir(path.join(dir, '9001.json'));
      const { ids, read } = await restoredIds(dir);
      assert.deepEqual(ids, ['old1']);
      assert.deepEqual(read.legacyFiles, [path.join(dir, '7.json')]);
      assert.equal(read.refused.length, 1);
      assert.match(read.refused[0]?.reason ?? '', /cannot be read/);
      await retireCheckpoints(dir, read.legacyFiles);
      assert.deepEqual(await readdir(dir), ['9001.json']);
    }));

  it('keep a JetStream checkpoint aside once however often it is started with the wrong directives before it is replaced', () =>
    withDir(async (dir) => {
      assert.ok((await writeCheckpoint(dir, encodeCheckpoint(content(['a1'])), 1)).ok);
      const file = path.join(dir, CHECKPOINT_FILE);
      const first = await setAside(file, Date.UTC(2026, 0, 1), true);
      const second = await setAside(file, Date.UTC(2026, 0, 2), true);
      assert.equal(second, first);
      assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('checkpoint.unrestored-')), [path.basename(first)]);
      assert.ok((await writeCheckpoint(dir, encodeCheckpoint(content(['b1'])), 1)).ok);
      const third = await setAside(file, Date.UTC(2026, 0, 3), true);
      assert.notEqual(third, first, 'a checkpoint written since is another one');
    }));

  it('report no checkpoint when the folder does not exist', () =>
    withDir(async (dir) => {
      const { ids, read } = await restoredIds(dir);
      assert.deepEqual(ids, []);
      assert.equal(read.restored, undefined);
    }));
});
