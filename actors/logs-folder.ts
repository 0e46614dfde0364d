/**
 * The start-up check of the logs folder: it exists or can be made, and this process can create files in it and
 * append to the alarm files already there. Without it a backend that cannot write would correlate for hours,
 * keeping every line in memory (a volume of the Go image holds root-owned files).
 */

import { existsSync } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fail, ok, type Result } from '../src/shared/result.js';

export class LogsFolderError extends Error {
  override readonly name = 'LogsFolderError';
}

/** The files the backend appends to. */
const KEPT = ['siem_alarms.json', 'siem_alarm_events.json'];

function who(): string {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  return uid === undefined ? 'this user' : `uid ${uid}${gid !== undefined ? ` (gid ${gid})` : ''}`;
}

async function probe(dir: string): Promise<void> {
  const file = path.join(dir, `.dsiem-write-check-${process.pid}`);
  const handle = await open(file, 'wx');
  await handle.close();
  await unlink(file);
}

/** Opens an existing file for appending without writing; a missing file is fine (it will be created). */
async function appendable(file: string): Promise<void> {
  try {
    await (await open(file, 'r+')).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export async function checkLogsFolder(dir: string): Promise<Result<void, LogsFolderError>> {
  const target = path.resolve(dir);
  try {
    await mkdir(target, { recursive: true });
    await probe(target);
    for (const name of KEPT) await appendable(path.join(target, name));
    // Saved backlogs are written there on SIGTERM: finding out then would lose them.
    if (existsSync(path.join(target, 'backlogs'))) await probe(path.join(target, 'backlogs'));
    return ok(undefined);
  } catch (err) {
    const reason = (err as Error).message;
    return fail(new LogsFolderError(`logs folder ${target} is not writable by ${who()}: ${reason}`, { cause: err }));
  }
}
