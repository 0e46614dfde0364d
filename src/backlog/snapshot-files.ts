/**
 * Saved-backlog files on disk (edge module: file I/O). Written atomically (temp file + rename) on shutdown;
 * at boot each directive's file is read and then deleted whatever happens (D9), so a bad file cannot block
 * a restart twice.
 */

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Directive } from '../directive/directive.js';
import type { BacklogState } from './state.js';
import { restoreSnapshot, toSnapshotFile, type Restored } from './backlog-snapshot.js';

export function snapshotDir(logsDir: string): string {
  return path.join(logsDir, 'backlogs');
}

export function snapshotPath(logsDir: string, directiveId: number): string {
  return path.join(snapshotDir(logsDir), `${directiveId}.json`);
}

/** Writes one file per directive that has live backlogs; returns the files written. */
export async function writeSnapshots(
  logsDir: string,
  directives: readonly Directive[],
  live: ReadonlyMap<number, readonly BacklogState[]>,
  nowMs: number,
): Promise<string[]> {
  const written: string[] = [];
  await mkdir(snapshotDir(logsDir), { recursive: true });
  for (const d of directives) {
    const backlogs = live.get(d.id) ?? [];
    if (backlogs.length === 0) continue;
    const file = snapshotPath(logsDir, d.id);
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(toSnapshotFile(d, backlogs, nowMs), null, 2) + '\n');
    await rename(temp, file);
    written.push(file);
  }
  return written;
}

export type ReadSnapshot =
  | { readonly kind: 'none' }
  | { readonly kind: 'restored'; readonly file: string; readonly value: Restored }
  | { readonly kind: 'unreadable'; readonly file: string; readonly error: string };

/** Reads and deletes the directive's saved file, if there is one. */
export async function takeSnapshot(logsDir: string, directive: Directive): Promise<ReadSnapshot> {
  const file = snapshotPath(logsDir, directive.id);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    await rm(file, { force: true }).catch(() => undefined);
    return { kind: 'unreadable', file, error: (err as Error).message };
  }
  await rm(file, { force: true });
  const restored = restoreSnapshot(text, directive);
  return restored.ok ? { kind: 'restored', file, value: restored.value } : { kind: 'unreadable', file, error: restored.error };
}
