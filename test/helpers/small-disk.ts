// A real small filesystem for full-disk tests: a tmpfs mounted on a temp folder (needs root; `mountSmallDisk`
// answers undefined where mounting is not allowed, and the test says it skipped). `fill` takes every free byte
// with a filler file, as a disk that filled up; `free` deletes it.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestProcessExit } from './process.js';

export interface SmallDisk {
  readonly dir: string;
  /** Writes a filler file until the filesystem refuses more (ENOSPC). Files keep the free part of their last page. */
  fill(): Promise<void>;
  /** Deletes the filler. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

const FILLER = '.filler';

export async function mountSmallDisk(bytes = 4 << 20): Promise<SmallDisk | undefined> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    await rmdir(dir);
    return undefined;
  }
  const unregister = onTestProcessExit(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  });
  return {
    dir,
    fill: async () => {
      const filler = await open(path.join(dir, FILLER), 'a');
      const block = Buffer.alloc(64 * 1024);
      try {
        for (;;) await filler.write(block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        await filler.close();
      }
    },
    free: () => rm(path.join(dir, FILLER), { force: true }),
    unmount: async () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      unregister();
      await rmdir(dir);
    },
  };
}

export const NO_MOUNT = 'cannot mount a tmpfs here (needs root): the full-disk path is covered by the AppendFile seam tests';
