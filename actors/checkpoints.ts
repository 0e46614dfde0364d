/**
 * Saving and restoring live backlogs, the same mechanism for both modes: a checkpoint file (src/state) written
 * at SIGTERM/SIGINT and, in JetStream mode, every `--checkpoint-interval` seconds; read at start.
 *
 * Core NATS (D9): the checkpoint restored at start is retired only once the running backend holds it and would
 * save it again on stop, so a start that fails before that keeps it. JetStream: checkpoints are never retired,
 * each is replaced by the next; the stream is acknowledged up to a checkpoint's sequence only once it is on disk.
 */

import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { RegeneratedLines } from '../src/alarm/regenerated-lines.js';
import type { BacklogState } from '../src/backlog/state.js';
import type { Directive } from '../src/directive/directive.js';
import { encodeCheckpoint, type CheckpointHeader } from '../src/state/checkpoint.js';
import { CHECKPOINT_FILE, checkpointDir, readCheckpoints, retireCheckpoints, setAside, writeCheckpoint } from '../src/state/checkpoint-files.js';
import { ALARM_EVENTS_FILE, ALARMS_FILE, type OnDisk } from './alarm-writer-actor.js';
import type { Engine } from './engine.js';
import type { Logger } from './logger.js';
import { settleWithin, valueWithin } from './settle-within.js';

export interface Restoration {
  readonly backlogs: ReadonlyMap<number, readonly BacklogState[]>;
  /** The header of the checkpoint restored (its stream position and alarm file positions), if one was. */
  readonly header: CheckpointHeader | undefined;
  /** The checkpoint file restored (undefined for the files of the earlier format). */
  readonly file: string | undefined;
  /** Directives of the checkpoint that are not loaded now, and how many backlogs each had (not restored). */
  readonly unknownDirectives: ReadonlyArray<{ readonly id: number; readonly backlogs: number }>;
  /** Files of the earlier format that were read (retired with the checkpoint). */
  readonly legacyFiles: readonly string[];
  readonly count: number;
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

const NOTHING: Restoration = { backlogs: new Map(), header: undefined, file: undefined, unknownDirectives: [], legacyFiles: [], count: 0 };

/** Reads the newest usable checkpoint for the directives loaded now and says in the log what was kept, dropped and why. */
export async function restoreCheckpoint(logsDir: string, directives: readonly Directive[], log: Logger): Promise<Restoration> {
  const dir = checkpointDir(logsDir);
  const read = await readCheckpoints(dir, directives);
  // A folder that cannot be read must not be overwritten by the next save: refuse to start.
  if (!read.ok) throw new CheckpointError(read.error);
  const r = read.value;
  for (const file of r.removedTemp) log.warn('removed the temp file of a save that did not finish (the previous save is used)', { file });
  for (const f of r.refused) log.error('saved backlogs refused', { file: f.file, reason: f.reason });
  if (r.restored === undefined) {
    if (r.refused.length > 0) log.error('no saved backlogs could be restored: starting without them', { dir });
    return NOTHING;
  }
  const c = r.restored.value;
  for (const d of c.dropped) log.error('saved backlog not restored', { file: r.restored.file, line: d.line, directiveId: d.directiveId, backlogId: d.backlogId, reason: d.reason });
  for (const u of c.unknownDirectives) {
    log.warn('saved backlogs of a directive that is not loaded now, not restored', { directiveId: u.id, directiveName: u.name, backlogs: u.backlogs });
  }
  const count = [...c.backlogs.values()].reduce((n, list) => n + list.length, 0);
  log.info('saved backlogs restored', {
    file: r.restored.file,
    savedAt: c.header.saved_at,
    backlogs: count,
    directives: c.backlogs.size,
    dropped: c.dropped.length,
    ofUnknownDirectives: c.unknownDirectives.reduce((n, u) => n + u.backlogs, 0),
    ...(c.header.stream !== null ? { streamSeq: c.header.stream.seq } : {}),
  });
  const file = r.legacyFiles.length > 0 ? undefined : r.restored.file;
  return { backlogs: c.backlogs, header: c.header, file, unknownDirectives: c.unknownDirectives, legacyFiles: r.legacyFiles, count };
}

/** Core NATS: the restored state is held by the running backend now; the files go (D9), but backlogs of directives not loaded now are kept aside. */
export async function retireRestored(logsDir: string, restored: Restoration, log: Logger, now: number): Promise<void> {
  if (restored.count === 0 && restored.header === undefined && restored.legacyFiles.length === 0) return;
  if (!(await keepUnrestored(restored, log, now, false))) return;
  try {
    await retireCheckpoints(checkpointDir(logsDir), restored.legacyFiles);
  } catch (err) {
    log.warn('could not remove the restored checkpoint; it is replaced at the next save', { dir: checkpointDir(logsDir), error: (err as Error).message });
  }
}

/**
 * A checkpoint that held backlogs of directives not loaded now (a wrong `--node`, a wrong directives folder) is
 * kept under a name no save overwrites, so the operator can bring them back: moved in core NATS mode (where the
 * restored file would be removed), linked in JetStream mode (where the next checkpoints replace it). Returns false
 * when it could not be kept aside (the caller must then not remove it).
 */
export async function keepUnrestored(restored: Restoration, log: Logger, now: number, keepOriginal: boolean): Promise<boolean> {
  if (restored.file === undefined || restored.unknownDirectives.length === 0) return true;
  const directiveIds = restored.unknownDirectives.map((u) => u.id);
  const backlogs = restored.unknownDirectives.reduce((n, u) => n + u.backlogs, 0);
  try {
    const aside = await setAside(restored.file, now, keepOriginal);
    log.error('saved backlogs of directives that are not loaded now were kept aside', {
      file: aside,
      directiveIds,
      backlogs,
      savedByNode: restored.header?.node,
      toRestore: `stop the backend, rename ${aside} to ${path.join(path.dirname(restored.file), CHECKPOINT_FILE)} and start it with the directives (and --node) these backlogs belong to`,
      ...(restored.count > 0 ? { alsoHolds: `the ${restored.count} backlogs restored now, as they were then` } : {}),
    });
    return true;
  } catch (err) {
    const then = keepOriginal ? 'they are lost when the next checkpoints replace it' : 'the checkpoint is left in place (the next save keeps it as the previous one)';
    log.error(`cannot keep aside the saved backlogs of directives that are not loaded now: ${then}`, { file: restored.file, directiveIds, backlogs, error: (err as Error).message });
    return false;
  }
}

export interface SaveOptions {
  readonly logsDir: string;
  readonly engine: Engine;
  readonly directives: readonly Directive[];
  readonly node: string;
  readonly reason: CheckpointHeader['reason'];
  readonly stream: CheckpointHeader['stream'];
  readonly log: Logger;
  readonly now: number;
}

/** Bound of the wait for the engine's snapshot (a stuck actor must not hold a save for ever). */
const SNAPSHOT_WAIT_MS = 10_000;

/** The engine's live backlogs, or undefined (logged) when it gives none in time (a stuck actor). */
export async function liveBacklogs(engine: Engine, log: Logger): Promise<ReadonlyMap<number, readonly BacklogState[]> | undefined> {
  const snapshot = await valueWithin(engine.snapshot(), SNAPSHOT_WAIT_MS);
  if (snapshot === 'timeout' || snapshot instanceof Error) {
    log.error('the engine gave no snapshot of its backlogs', { waitedMs: SNAPSHOT_WAIT_MS, error: snapshot instanceof Error ? snapshot.message : snapshot });
    return undefined;
  }
  return snapshot.value;
}

/**
 * Writes a checkpoint: the live backlogs (taken after a barrier: those of every event taken) and the alarm files'
 * positions taken with them (`files`: what was on disk then). Returns the bytes written, or undefined when it could
 * not be written (logged with the path).
 */
export async function saveCheckpoint(o: SaveOptions, backlogs: ReadonlyMap<number, readonly BacklogState[]>, files: OnDisk | undefined): Promise<number | undefined> {
  if (o.stream !== null && files === undefined) {
    // JetStream: a checkpoint that does not say how far the files were written must not replace one that does.
    o.log.error('checkpoint skipped: the alarm files\' positions are not known (the previous checkpoint stays)', { reason: o.reason });
    return undefined;
  }
  const started = Date.now();
  const written = await writeCheckpoint(
    checkpointDir(o.logsDir),
    encodeCheckpoint({
      header: {
        saved_at: new Date(o.now).toISOString(),
        reason: o.reason,
        node: o.node,
        stream: o.stream,
        alarm_files: files === undefined ? null : { alarms: { identity: files.alarms.identity, bytes: files.alarms.bytes }, events: { identity: files.events.identity, bytes: files.events.bytes } },
      },
      directives: o.directives.map((d) => ({ id: d.id, name: d.name, backlogs: backlogs.get(d.id) ?? [] })),
    }),
    process.pid,
  );
  const count = [...backlogs.values()].reduce((n, list) => n + list.length, 0);
  if (!written.ok) {
    o.log.error(o.reason === 'shutdown' ? 'cannot save backlogs: they are lost' : 'cannot write a checkpoint: the previous one stays', { backlogs: count, error: written.error });
    return undefined;
  }
  const fields = { backlogs: count, file: written.value.file, bytes: written.value.bytes, ms: Date.now() - started, ...(o.stream !== null ? { streamSeq: o.stream.seq } : {}) };
  if (o.reason === 'shutdown') o.log.info('backlogs saved', fields);
  else o.log.debug('checkpoint written', fields);
  return written.value.bytes;
}

/**
 * Most bytes of alarm lines held to be skipped after a crash. They stay in memory until made again (a line is
 * compared whole), so reading them in pieces would not bound anything: a longer tail (checkpoints failing for a
 * long time) is not matched at all, and said so.
 */
export const MAX_TAIL_BYTES = 256 * 1024 * 1024;

/** Compressed files are not read: the rotated file is looked for among plain ones. */
const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|lzma|z|zip|br)$/i;

async function statIfThere(file: string) {
  try {
    return await stat(file);
  } catch {
    return undefined;
  }
}

async function readRange(file: string, from: number, to: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const bytes = Buffer.alloc(to - from);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, from + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return bytes.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** The file the checkpoint saw, renamed in the same folder since (logrotate's `siem_alarms.json.1`, `-20261201`). */
async function findRotated(file: string, at: { identity: string; bytes: number }): Promise<{ file: string; size: number } | undefined> {
  if (at.identity === '') return undefined;
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n !== base && n.startsWith(base) && !COMPRESSED.test(n)).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const st = await statIfThere(path.join(dir, name));
    if (st !== undefined && st.isFile() && `${st.dev}:${st.ino}` === at.identity && st.size >= at.bytes) return { file: path.join(dir, name), size: st.size };
  }
  return undefined;
}

/** `bytes` up to its last newline: the cut end of a rotated file is never appended to again. */
function wholeLines(bytes: Buffer): Buffer {
  return bytes.subarray(0, bytes.lastIndexOf(10) + 1);
}

/**
 * The lines an alarm file holds past the checkpoint's position. When the file was rotated since, those are the
 * rotated file's past that position and all of the new file's (written after the rotation, so after the checkpoint).
 */
async function tailSince(file: string, at: { identity: string; bytes: number }, log: Logger, maxBytes: number): Promise<RegeneratedLines | undefined> {
  const now = await statIfThere(file);
  const tooLong = (bytes: number, fields: Record<string, unknown>) => {
    if (bytes <= maxBytes) return false;
    log.warn('alarm lines written after the last checkpoint are too many to be matched: they may be written again', { file, bytes, maxBytes, ...fields });
    return true;
  };
  if (now !== undefined && `${now.dev}:${now.ino}` === at.identity) {
    if (now.size < at.bytes) {
      log.warn('alarm file shorter than at the last checkpoint (truncated?): lines written between the checkpoint and the stop may be written again', { file, checkpointBytes: at.bytes, size: now.size });
      return undefined;
    }
    if (now.size === at.bytes || tooLong(now.size - at.bytes, { checkpointBytes: at.bytes, size: now.size })) return undefined;
    return new RegeneratedLines(await readRange(file, at.bytes, now.size));
  }
  const rotated = await findRotated(file, at);
  if (rotated === undefined) {
    if (now !== undefined) log.warn('alarm file replaced since the last checkpoint, and the file it was is not in its folder: lines written between the checkpoint and the stop may be written again', { file, checkpointBytes: at.bytes, size: now.size });
    return undefined;
  }
  const newSize = now?.isFile() === true ? now.size : 0;
  if (tooLong(rotated.size - at.bytes + newSize, { rotated: rotated.file })) return undefined;
  const before = wholeLines(await readRange(rotated.file, at.bytes, rotated.size));
  const after = newSize === 0 ? Buffer.alloc(0) : await readRange(file, 0, newSize);
  log.info('alarm file rotated since the last checkpoint: the lines written since are taken from the rotated file and the new one', { file, rotated: rotated.file, checkpointBytes: at.bytes });
  return new RegeneratedLines(Buffer.concat([before, after]));
}

/**
 * After a stop that was not a clean one (a crash, `kill -9`), the events after the checkpoint are correlated
 * again and make lines the files already hold: those past the checkpoint's positions, read here.
 */
export async function regeneratedLines(logsDir: string, header: CheckpointHeader | undefined, log: Logger, maxTailBytes = MAX_TAIL_BYTES): Promise<{ events?: RegeneratedLines; alarms?: RegeneratedLines }> {
  const at = header?.alarm_files;
  if (at === null || at === undefined) return {};
  const events = await tailSince(path.join(logsDir, ALARM_EVENTS_FILE), at.events, log, maxTailBytes);
  const alarms = await tailSince(path.join(logsDir, ALARMS_FILE), at.alarms, log, maxTailBytes);
  const pending = (events?.pending ?? 0) + (alarms?.pending ?? 0);
  if (pending > 0) log.info('alarm lines written after the last checkpoint: skipped when made again', { alarmEventLines: events?.pending ?? 0, alarmLines: alarms?.pending ?? 0, cutLine: events?.cutLine !== undefined || alarms?.cutLine !== undefined });
  return { ...(events !== undefined ? { events } : {}), ...(alarms !== undefined ? { alarms } : {}) };
}

/** What the periodic checkpoints need of the JetStream intake. */
export interface CheckpointSource {
  pause(): Promise<void>;
  resume(): void;
  position(): { readonly seq: number; readonly ack: () => void };
}

export interface CheckpointStats {
  written: number;
  failed: number;
  /** Checkpoints not taken while a restart was making lines again (see CheckpointOutcome). */
  deferred: number;
  lastMs: number;
  lastBytes: number;
  /** Stream sequence of the last checkpoint on disk (every event up to it fully applied). */
  lastSeq: number;
}

/**
 * What became of a checkpoint: written; skipped (a step failed or did not finish in time: the previous checkpoint
 * stays, the stream keeps the events); deferred (a restart is still making again the alarm lines written after the
 * restored checkpoint: positions taken now would count lines not made again yet as written before the new
 * sequence, so a crash would write them twice; the restored checkpoint stays right until the catch-up).
 */
export type CheckpointOutcome = 'written' | 'skipped' | 'deferred';

export interface Checkpointer {
  readonly stats: CheckpointStats;
  /** One checkpoint now (`resume`: intake goes on after it; false for the one at shutdown). */
  checkpoint(reason: CheckpointHeader['reason'], resume: boolean): Promise<CheckpointOutcome>;
  stop(): Promise<void>;
}

/** Bounds of the waits while intake is paused for a checkpoint (a stuck actor must not stop intake for long). */
const BARRIER_WAIT_MS = 10_000;
const FLUSH_WAIT_MS = 10_000;

/**
 * Checkpoints every `intervalMs` in JetStream mode. Each one: intake paused (the stream holds what comes), every
 * event taken fully correlated (a barrier), the live backlogs taken and the alarm lines of those events written
 * and fsynced, their positions noted; then intake resumes, the checkpoint is written (fsync, rename) and the
 * stream acknowledged up to its sequence. A step that does not finish in time skips this checkpoint (the
 * previous one stays); alarm files that cannot be written skip it too (acknowledging would lose their lines).
 */
export function startCheckpoints(o: {
  readonly intervalMs: number;
  readonly source: CheckpointSource;
  readonly save: Omit<SaveOptions, 'reason' | 'stream' | 'now'>;
  readonly stream: { readonly name: string; readonly created: string };
  readonly now: () => number;
}): Checkpointer {
  const stats: CheckpointStats = { written: 0, failed: 0, deferred: 0, lastMs: 0, lastBytes: 0, lastSeq: 0 };
  const log = o.save.log;
  let running: Promise<CheckpointOutcome> | undefined;
  /** What the engine had done at the last checkpoint: an interval with nothing new writes none. */
  let lastWork = '';
  const workDone = () => {
    const e = o.save.engine;
    return `${o.source.position().seq}/${e.stats.handled}/${e.stats.backlogsCreated}/${e.stats.activeBacklogs}/${e.output.stats.alarmLines}/${e.output.stats.alarmEventLines}`;
  };

  const cycle = async (reason: CheckpointHeader['reason'], resume: boolean): Promise<CheckpointOutcome> => {
    const pending = o.save.engine.output.regeneratedPending;
    if (pending > 0) {
      const fields = { reason, linesNotMadeAgainYet: pending };
      if (stats.deferred === 0) log.info('checkpoints wait until the restart has caught up (the restored checkpoint stays; the stream keeps the events)', fields);
      else log.debug('checkpoint deferred until the restart has caught up', fields);
      stats.deferred++;
      return 'deferred';
    }
    const started = Date.now();
    await o.source.pause();
    let resumed = false;
    const goOn = () => {
      if (resume && !resumed) {
        resumed = true;
        o.source.resume();
      }
    };
    try {
      const position = o.source.position();
      // Lookups running are not waited for: a slow Wise/Nesd server must not hold intake paused. Their backlogs
      // are saved without the result and looked up again if restored (wantsLookupAfterRestore).
      const settled = await settleWithin(o.save.engine.barrier({ lookups: false }), BARRIER_WAIT_MS);
      if (settled !== 'done') {
        log.warn('checkpoint skipped: correlation did not settle in time', { waitedMs: BARRIER_WAIT_MS, reason });
        return 'skipped';
      }
      const live = await liveBacklogs(o.save.engine, log);
      if (live === undefined) return 'skipped';
      const flushed = await settleWithin(o.save.engine.flush(), FLUSH_WAIT_MS);
      if (flushed !== 'done') {
        log.error('checkpoint skipped: the alarm lines cannot be made durable (the stream keeps the events)', { error: flushed === 'timeout' ? `no answer within ${FLUSH_WAIT_MS} ms` : flushed.message, reason });
        return 'skipped';
      }
      // No line is held behind a cut one here: a cut line waiting for its completion counts in regeneratedPending,
      // so the checkpoint was deferred above (held lines are only in memory: their events must not be acknowledged).
      const files = o.save.engine.output.onDisk();
      const work = workDone();
      goOn();
      const bytes = await saveCheckpoint({ ...o.save, reason, stream: { ...o.stream, seq: position.seq }, now: o.now() }, live, files);
      if (bytes === undefined) return 'skipped';
      position.ack();
      lastWork = work;
      stats.written++;
      stats.lastMs = Date.now() - started;
      stats.lastBytes = bytes;
      stats.lastSeq = position.seq;
      return 'written';
    } finally {
      goOn();
    }
  };

  const run = (reason: CheckpointHeader['reason'], resume: boolean): Promise<CheckpointOutcome> => {
    const previous = running ?? Promise.resolve<CheckpointOutcome>('written');
    const next = previous.then(() => cycle(reason, resume)).then((outcome) => {
      if (outcome === 'skipped') stats.failed++;
      return outcome;
    });
    const tracked: Promise<CheckpointOutcome> = next.finally(() => {
      if (running === tracked) running = undefined;
    });
    running = tracked;
    return next;
  };

  const timer = setInterval(() => {
    if (running !== undefined || workDone() === lastWork) return;
    void run('interval', true);
  }, o.intervalMs);
  timer.unref();
  return {
    stats,
    checkpoint: run,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
