// Restart after a crash and restore at start, on real files in temp folders: the alarm lines written after a
// checkpoint are found (in the rotated file too), a position past the end or a tail too long is refused with a
// warning, and a checkpoint holding backlogs of directives not loaded now is kept aside, never deleted.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, link, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keepUnrestored, regeneratedLines, restoreCheckpoint, retireRestored } from '../../actors/checkpoints.js';
import { ALARM_EVENTS_FILE, ALARMS_FILE } from '../../actors/alarm-writer-actor.js';
import type { CheckpointHeader } from '../../src/state/checkpoint.js';
import { startBacklog } from '../../src/backlog/transitions.js';
import { encodeCheckpoint } from '../../src/state/checkpoint.js';
import { CHECKPOINT_FILE, checkpointDir, writeCheckpoint } from '../../src/state/checkpoint-files.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { aContext, aDirective, anEvent, at, T0 } from '../src/helpers.js';

async function withDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-ckpt-actor-'));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const identity = async (file: string) => {
  const st = await stat(file);
  return { identity: `${st.dev}:${st.ino}`, bytes: st.size };
};

/** A header with the alarm files' positions as they are now. */
async function headerNow(logs: string): Promise<CheckpointHeader> {
  return {
    format: 'dsiem-backend-checkpoint',
    version: 2,
    saved_at: '',
    reason: 'interval',
    node: 'n',
    stream: { name: 'S', created: 'c', seq: 1 },
    alarm_files: { events: await identity(path.join(logs, ALARM_EVENTS_FILE)), alarms: await identity(path.join(logs, ALARMS_FILE)) },
    directives: [],
  };
}

const skips = (lines: { decide(l: string): { kind: string } } | undefined, l: string) => lines?.decide(l).kind === 'skip';

describe('lines written after the last checkpoint', () => {
  it('are those past its position when the file is the same', () =>
    withDir(async (logs) => {
      await writeFile(path.join(logs, ALARM_EVENTS_FILE), 'old\n');
      await writeFile(path.join(logs, ALARMS_FILE), '');
      const h = await headerNow(logs);
      await appendFile(path.join(logs, ALARM_EVENTS_FILE), 'new\n');
      const { log } = captureLogger();
      const r = await regeneratedLines(logs, h, log);
      assert.equal(r.events?.pending, 1);
      assert.ok(skips(r.events, 'new'));
      assert.ok(!skips(r.events, 'old'));
    }));

  it('after a rotation, are the rotated file past the position and the whole new file (not compressed ones)', () =>
    withDir(async (logs) => {
      const file = path.join(logs, ALARM_EVENTS_FILE);
      await writeFile(file, 'before\n');
      await writeFile(path.join(logs, ALARMS_FILE), '');
      const h = await headerNow(logs);
      // Written after the checkpoint, then rotated (its last line cut: the writer wrote it again in the new file).
      await appendFile(file, 'after-1\nafter-2\nnew-');
      await rename(file, `${file}.1`);
      // A compressed copy that shares the inode must not be taken for it (a link stands for a reused inode).
      await link(`${file}.1`, `${file}.2.gz`);
      await writeFile(file, 'new-1\nafter-3\ncut');
      const { log, lines } = captureLogger();
      const r = await regeneratedLines(logs, h, log);
      assert.equal(r.events?.pending, 5, JSON.stringify(lines));
      for (const l of ['after-1', 'after-2', 'new-1', 'after-3']) assert.ok(skips(r.events, l), l);
      assert.ok(!skips(r.events, 'before'));
      assert.equal(r.events?.cutLine, 'cut');
      const said = lines.find((l) => /rotated since the last checkpoint/.test(l.message));
      assert.equal(said?.fields['rotated'], `${file}.1`);
    }));

  it('after a rotation whose file is not in the folder, nothing is skipped, with a warning', () =>
    withDir(async (logs) => {
      const file = path.join(logs, ALARM_EVENTS_FILE);
      await writeFile(file, 'before\n');
      await writeFile(path.join(logs, ALARMS_FILE), '');
      const h = await headerNow(logs);
      // Moved to another folder (logrotate's olddir): not found, and its inode is not reused by the new file.
      await mkdir(path.join(logs, 'old'));
      await rename(file, path.join(logs, 'old', ALARM_EVENTS_FILE));
      await writeFile(file, 'x\n');
      const { log, lines } = captureLogger();
      const r = await regeneratedLines(logs, h, log);
      assert.equal(r.events, undefined);
      assert.ok(lines.some((l) => l.level === 'warn' && /not in its folder: lines written between the checkpoint and the stop may be written again/.test(l.message)));
    }));

  it('refuses a position past the end of the file, and a tail longer than the bound, with a warning', () =>
    withDir(async (logs) => {
      await writeFile(path.join(logs, ALARM_EVENTS_FILE), 'a\n');
      await writeFile(path.join(logs, ALARMS_FILE), `${'b'.repeat(100)}\n`);
      const h = await headerNow(logs);
      const events = h.alarm_files?.events;
      assert.ok(events !== undefined);
      const past = { ...h, alarm_files: { alarms: { ...events, identity: h.alarm_files?.alarms.identity ?? '', bytes: 0 }, events: { ...events, bytes: 1e15 } } };
      const { log, lines } = captureLogger();
      const r = await regeneratedLines(logs, past, log, 50);
      assert.equal(r.events, undefined);
      assert.equal(r.alarms, undefined);
      assert.ok(lines.some((l) => /shorter than at the last checkpoint/.test(l.message) && l.fields['checkpointBytes'] === 1e15));
      assert.ok(lines.some((l) => /too many to be matched: they may be written again/.test(l.message) && l.fields['bytes'] === 101 && l.fields['maxBytes'] === 50));
    }));
});

const ctx = aContext();
const seven = aDirective([{ plugin_sid: [1], from: 'HOME_NET' }, { plugin_sid: [2], from: ':1', occurrence: 2, timeout: 60 }], { id: 7, name: 'Seven' });
const eight = aDirective([{ plugin_sid: [1], from: 'HOME_NET' }], { id: 8, name: 'Eight' });

/** A checkpoint of backlogs of directive 7, restored with only directive 8 loaded. */
async function unrestored(logs: string) {
  const state = startBacklog(seven, anEvent({ event_id: 'e1', plugin_sid: 1, timestamp: at(0) }), ctx, 'aaaaaaaaa', T0 * 1000).state;
  const header = { saved_at: new Date(0).toISOString(), reason: 'shutdown' as const, node: 'dsiem-backend-0', stream: null, alarm_files: null };
  assert.ok((await writeCheckpoint(checkpointDir(logs), encodeCheckpoint({ header, directives: [{ id: 7, name: 'Seven', backlogs: [state] }] }), 1)).ok);
  const saved = await readFile(path.join(checkpointDir(logs), CHECKPOINT_FILE));
  const { log, lines } = captureLogger();
  const restored = await restoreCheckpoint(logs, [eight], log);
  assert.equal(restored.count, 0);
  return { saved, restored, log, lines };
}

const NOW = Date.parse('2026-12-01T10:00:00.000Z');
const ASIDE = 'checkpoint.unrestored-2026-12-01T10-00-00.000Z.jsonl';

describe('a checkpoint with backlogs of directives not loaded now', () => {
  it('is moved aside, not deleted, in core NATS mode, and the log says how to restore it', () =>
    withDir(async (logs) => {
      const { saved, restored, log, lines } = await unrestored(logs);
      await retireRestored(logs, restored, log, NOW);
      assert.deepEqual(await readdir(checkpointDir(logs)), [ASIDE]);
      assert.deepEqual(await readFile(path.join(checkpointDir(logs), ASIDE)), saved);
      const said = lines.find((l) => l.level === 'error' && /kept aside/.test(l.message));
      assert.deepEqual(said?.fields['directiveIds'], [7]);
      assert.equal(said?.fields['file'], path.join(checkpointDir(logs), ASIDE));
      assert.match(String(said?.fields['toRestore']), new RegExp(`rename .*${ASIDE.replace(/\./g, '\\.')} to .*checkpoint\\.jsonl and start it with the directives \\(and --node\\)`));
      // Renamed back and started with the right directives, its backlogs come back.
      await rename(path.join(checkpointDir(logs), ASIDE), path.join(checkpointDir(logs), CHECKPOINT_FILE));
      assert.equal((await restoreCheckpoint(logs, [seven], captureLogger().log)).count, 1);
    }));

  it('is kept aside as well in JetStream mode, where the checkpoint stays until the next one replaces it', () =>
    withDir(async (logs) => {
      const { saved, restored, log } = await unrestored(logs);
      assert.ok(await keepUnrestored(restored, log, NOW, true));
      assert.deepEqual((await readdir(checkpointDir(logs))).sort(), [CHECKPOINT_FILE, ASIDE].sort());
      assert.deepEqual(await readFile(path.join(checkpointDir(logs), ASIDE)), saved);
      assert.deepEqual(await readFile(path.join(checkpointDir(logs), CHECKPOINT_FILE)), saved);
    }));

  it('is removed as before (D9) when every backlog in it belongs to a directive loaded now', () =>
    withDir(async (logs) => {
      const { restored: _ignored } = await unrestored(logs);
      const { log } = captureLogger();
      const again = await restoreCheckpoint(logs, [seven, eight], log);
      assert.equal(again.count, 1);
      await retireRestored(logs, again, log, NOW);
      assert.deepEqual(await readdir(checkpointDir(logs)), []);
    }));
});
