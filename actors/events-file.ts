/** The events file given to `replay` and `publish`: checked before use, so that a bad path is named, not a stack trace. */

import { open } from 'node:fs/promises';
import { fail, ok, type Result } from '../src/shared/result.js';

export class EventsFileError extends Error {
  override readonly name = 'EventsFileError';
}

/** Whether the events file can be read, with a message naming the path when it cannot. */
export async function checkEventsFile(file: string): Promise<Result<void, EventsFileError>> {
  const problem = (why: string, cause?: unknown) => fail(new EventsFileError(`cannot read the events file ${file}: ${why}`, { cause }));
  try {
    const handle = await open(file, 'r');
    try {
      const st = await handle.stat();
      if (st.isDirectory()) return problem('it is a folder (give a JSON-lines file of events)');
      return ok(undefined);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return problem('no such file', err);
    if (code === 'EACCES' || code === 'EPERM') return problem(`permission denied for user id ${process.getuid?.() ?? '?'}`, err);
    if (code === 'ENOTDIR') return problem('a part of the path is not a folder', err);
    return problem((err as Error).message, err);
  }
}
