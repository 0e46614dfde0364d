/**
 * Checkpoints on disk (edge module: file I/O), in `<logs>/backlogs/`:
 *
 * - Written whole or not at all: to a temp file, fsynced, then renamed over `checkpoint.jsonl` (the one before
 *   it is kept as `checkpoint.previous.jsonl`), and the folder fsynced. A kill at any moment leaves either the
 *   previous checkpoint or the new one, never a mix; a temp file left by a kill is removed at the next start.
 * - Read newest first, in chunks and decoded line by line (a checkpoint can be bigger than the longest string): a
 *   checkpoint that is refused (truncated, damaged, another version, unreadable) is reported and the previous
 *   one is used; only a folder that cannot be listed refuses the start.
 * - Files of the earlier format (one `{directive_id}.json` per directive, version 1) are still read, so an
 *   upgrade keeps its saved backlogs.
 */

import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RestoreTarget } from '../backlog/backlog-json.js';
import { fail, ok, type Result } from '../shared/result.js';
import { CheckpointDecoder, DECODE_LIMITS, type DecodedCheckpoint, type DecodeLimits } from './checkpoint.js';
import { decodeLegacySnapshot, LEGACY_FILE } from './legacy-snapshot.js';

export const CHECKPOINT_FILE = 'checkpoint.jsonl';
export const PREVIOUS_CHECKPOINT_FILE = 'checkpoint.previous.jsonl';
const TEMP_FILE = /^checkpoint\.jsonl\.\d+\.tmp$/;
/** Pieces are written in buffers of about this size (one write per buffer, not per backlog). */
const WRITE_BUFFER = 1 << 20;
/** A checkpoint is read in chunks of this size, and decoded line by line: never one string nor one buffer. */
const READ_CHUNK = 1 << 20;

export function checkpointDir(logsDir: string): string {
  return path.join(logsDir, 'backlogs');
}

export interface WrittenCheckpoint {
  readonly file: string;
  readonly bytes: number;
}

/** Writes a checkpoint atomically (see the module comment); `pid` names the temp file. */
export async function writeCheckpoint(dir: string, pieces: Iterable<string>, pid: number): Promise<Result<WrittenCheckpoint>> {
  const file = path.join(dir, CHECKPOINT_FILE);
  const temp = path.join(dir, `${CHECKPOINT_FILE}.${pid}.tmp`);
  let bytes = 0;
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(temp, 'w');
    try {
      let buffered: string[] = [];
      let size = 0;
      const flush = async () => {
        if (buffered.length === 0) return;
        const chunk = Buffer.from(buffered.join(''), 'utf8');
        buffered = [];
        size = 0;
        await handle.write(chunk, 0, chunk.length);
        bytes += chunk.length;
      };
      for (const piece of pieces) {
        buffered.push(piece);
        size += piece.length;
        if (size >= WRITE_BUFFER) await flush();
      }
      await flush();
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(file, path.join(dir, PREVIOUS_CHECKPOINT_FILE)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(temp, file);
    await syncFolder(dir);
    return ok({ file, bytes });
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    return fail(`cannot write the checkpoint ${file}: ${(err as Error).message}`);
  }
}

/** Makes the renames in a folder durable (Linux: fsync on the folder). */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A file that could not be used, and why. */
export interface RefusedFile {
  readonly file: string;
  readonly reason: string;
}

export interface ReadCheckpoints {
  /** The checkpoint restored, if one could be. */
  readonly restored: { readonly file: string; readonly value: DecodedCheckpoint } | undefined;
  /** Newer checkpoints that were refused (the restored one is the previous), and legacy files that were. */
  readonly refused: readonly RefusedFile[];
  /** Temp files of a save that did not finish, removed. */
  readonly removedTemp: readonly string[];
  /** Files of the earlier format that were read (to delete once the state is held). */
  readonly legacyFiles: readonly string[];
}

async function readIfThere(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The newest usable checkpoint for the directives loaded now: `checkpoint.jsonl`, else the previous one; when
 * there is neither, the files of the earlier format. Never throws for bad content; an unreadable folder is an
 * error (the caller must not start and then overwrite what it could not read).
 */
export async function readCheckpoints(dir: string, directives: readonly RestoreTarget[], limits: DecodeLimits = DECODE_LIMITS): Promise<Result<ReadCheckpoints>> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ok({ restored: undefined, refused: [], removedTemp: [], legacyFiles: [] });
    return fail(`cannot read the saved backlogs folder ${dir}: ${(err as Error).message}`);
  }
  const removedTemp: string[] = [];
  try {
    for (const name of names.filter((n) => TEMP_FILE.test(n))) {
      await rm(path.join(dir, name), { force: true });
      removedTemp.push(path.join(dir, name));
    }
  } catch (err) {
    return fail(`cannot remove the temp file of an unfinished save in ${dir}: ${(err as Error).message}`);
  }
  const refused: RefusedFile[] = [];
  for (const name of [CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE]) {
    const file = path.join(dir, name);
    // Whatever goes wrong with one file refuses that file only: the previous one is used.
    const decoded = await readCheckpointFile(file, directives, limits).catch((err: unknown) => fail(`cannot be read: ${(err as Error).message}`));
    if (decoded === undefined) continue;
    if (decoded.ok) return ok({ restored: { file, value: decoded.value }, refused, removedTemp, legacyFiles: [] });
    refused.push({ file, reason: decoded.error });
  }
  if (refused.length > 0) return ok({ restored: undefined, refused, removedTemp, legacyFiles: [] });
  try {
    return ok(await readLegacy(dir, names, directives, removedTemp));
  } catch (err) {
    return fail(`cannot read the saved backlogs in ${dir}: ${(err as Error).message}`);
  }
}

/** One checkpoint file decoded as it is read, or undefined when there is none. */
async function readCheckpointFile(file: string, directives: readonly RestoreTarget[], limits: DecodeLimits): Promise<Result<DecodedCheckpoint> | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const decoder = new CheckpointDecoder(directives, limits);
    for (;;) {
      // A fresh buffer each time: the decoder keeps the pieces of a line it has not seen the end of.
      const chunk = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      decoder.push(chunk.subarray(0, bytesRead));
    }
    return decoder.end();
  } finally {
    await handle.close();
  }
}

async function readLegacy(dir: string, names: readonly string[], directives: readonly RestoreTarget[], removedTemp: string[]): Promise<ReadCheckpoints> {
  const legacy = names.filter((n) => LEGACY_FILE.test(n));
  if (legacy.length === 0) return { restored: undefined, refused: [], removedTemp, legacyFiles: [] };
  const files: Array<{ file: string; bytes: Buffer }> = [];
  const unreadable: RefusedFile[] = [];
  for (const name of legacy) {
    const file = path.join(dir, name);
    try {
      const bytes = await readIfThere(file);
      if (bytes !== undefined) files.push({ file, bytes });
    } catch (err) {
      unreadable.push({ file, reason: `cannot be read: ${(err as Error).message}` });
    }
  }
  const decoded = decodeLegacySnapshot(files, directives);
  return {
    restored: { file: dir, value: decoded.checkpoint },
    refused: [...unreadable, ...decoded.refused],
    removedTemp,
    legacyFiles: files.map((f) => f.file),
  };
}

/**
 * Removes the saved state once the running backend holds it (D9: a restart that fails before that keeps it), so
 * that a later crash does not bring back backlogs the backend has moved on from. JetStream checkpoints are not
 * retired: they are replaced by the next one.
 */
export async function retireCheckpoints(dir: string, legacyFiles: readonly string[]): Promise<void> {
  for (const file of [path.join(dir, CHECKPOINT_FILE), path.join(dir, PREVIOUS_CHECKPOINT_FILE), ...legacyFiles]) await rm(file, { force: true });
}

const UNRESTORED_PREFIX = 'checkpoint.unrestored-';

/** `checkpoint.unrestored-2026-12-01T10-00-00.000Z.jsonl`: a name no save writes over (and no start reads). */
export function unrestoredName(now: number): string {
  return `${UNRESTORED_PREFIX}${new Date(now).toISOString().replace(/:/g, '-')}.jsonl`;
}

/**
 * Keeps a checkpoint under `unrestoredName(now)` in its folder: moved (core NATS, where it would be retired) or
 * linked (JetStream, where it stays the one a crash restores until the next checkpoint replaces it). Returns the
 * new path.
 */
export async function setAside(file: string, now: number, keepOriginal: boolean): Promise<string> {
  const dir = path.dirname(file);
  if (keepOriginal) {
    // Started again with the same wrong directives before a checkpoint replaced the file: it is kept aside already.
    const same = await linkedAside(file);
    if (same !== undefined) return same;
  }
  const aside = path.join(dir, unrestoredName(now));
  if (!keepOriginal) await rename(file, aside);
  else await link(file, aside).catch(() => copyFile(file, aside, constants.COPYFILE_EXCL));
  await syncFolder(dir);
  return aside;
}

/** A checkpoint kept aside that is the same file as `file` (a hard link to it), if any. */
async function linkedAside(file: string): Promise<string | undefined> {
  const dir = path.dirname(file);
  const target = await stat(file);
  for (const name of await readdir(dir)) {
    if (!name.startsWith(UNRESTORED_PREFIX)) continue;
    const other = await stat(path.join(dir, name)).catch(() => undefined);
    if (other !== undefined && other.ino === target.ino && other.dev === target.dev) return path.join(dir, name);
  }
  return undefined;
}
