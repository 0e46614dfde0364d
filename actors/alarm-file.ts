/**
 * One alarm file as the writer appends to it: opened at its path, followed across rotation (renamed, deleted,
 * truncated: checked before each flush, one `stat` per file, not one per line), its cut last line ended when
 * another run left one, and what of it is on disk known exactly (whole lines, bytes, the part of a cut line).
 */

import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { alignCutLine, type Chunk } from '../src/alarm/line-queue.js';

/** What the writer needs of an open file (a `FileHandle` opened with 'a+'; tests may give another). */
export interface AppendFile {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ dev: number; ino: number; size: number; nlink: number }>;
  /** Makes what was written durable (fsync); absent in test doubles that keep nothing. */
  sync?(): Promise<void>;
  close(): Promise<void>;
}

export type OpenForAppend = (file: string) => Promise<AppendFile>;

/** Writes always go to the end ('a'); reading ('+') is only for the end of a file an earlier run left. */
export const openForAppend: OpenForAppend = (file) => open(file, 'a+');

/** What is on disk of one of the two line streams, as far as the writer knows. */
export interface FilePosition {
  readonly file: string;
  /** Device and inode of the file written to ('' before the first open). */
  readonly identity: string;
  /** Size of that file after the writer's last write. */
  readonly bytes: number;
  /** Whole lines this writer has put on disk since it started, over every file it wrote to (rotations included). */
  readonly lines: number;
  /** Bytes of the next line already on disk (a write that stopped part-way); 0 when the file ends with a line. */
  readonly partial: number;
}

/** Why the file is (re)opened before a write. */
export type Reopen = 'first' | 'signal' | 'after-failure' | ChangeOnDisk;
/** The path names another file (rotated), no file (moved away: still linked elsewhere; or deleted), or the same
 * file with another size than the writer left (truncated: copytruncate; grown: another writer appended). */
export type ChangeOnDisk = 'rotated' | 'moved' | 'deleted' | 'truncated' | 'grown';

export interface Prepared {
  readonly reopened?: Reopen;
  readonly endedCutLine?: EndedCutLine;
}

/** A cut line found at the end of a file and ended with a newline: its first byte (unknown when it is longer
 * than the part read) and its length (then: at least). */
export interface EndedCutLine {
  readonly at?: number;
  readonly bytes: number;
}

/** How far back a cut line is looked for, to say where it starts (a longer one is reported without its start). */
const TAIL_BYTES = 1 << 20;

export class AlarmFile {
  private handle: AppendFile | undefined;
  private identity = '';
  private size = 0;
  private lines = 0;
  private partial = 0;
  private wanted: Reopen | undefined = 'first';
  /** Bytes of a cut last line that lines made again will complete (JetStream recovery): kept at the first open. */
  private cutLineExpected = 0;

  constructor(
    readonly file: string,
    private readonly openFile: OpenForAppend,
  ) {}

  /**
   * At the first open, leave a cut last line of `bytes` as it is: the lines that follow complete it (see
   * regenerated-lines.ts). It counts as this writer's own cut line from then on (`partial`): a reopen onto the
   * same file keeps it, one onto another file (rotated, truncated) drops it.
   */
  expectCutLine(bytes: number): void {
    this.cutLineExpected = bytes;
  }

  /** True when the next flush must open the file even with nothing to write. */
  get wantsOpen(): boolean {
    return this.wanted !== undefined;
  }

  /** Closes the handle and opens the path again at the next flush (a reopen signal, a failed write). */
  reopen(why: Reopen): void {
    this.wanted = why;
  }

  /**
   * Makes the handle the file at the path, before `pending` is written to it. A file that is not the one last
   * written (another inode, or a size that is not ours) gets the cut line of `pending` again from its start; a
   * file that ends in a line cut by someone else (an earlier run stopped on a full disk) gets that line ended first.
   */
  async prepare(pending: Chunk[]): Promise<Prepared> {
    const why = this.wanted ?? (this.handle === undefined ? 'after-failure' : await this.changedOnDisk());
    if (why === undefined) return {};
    await this.close();
    await mkdir(path.dirname(this.file), { recursive: true });
    const handle = await this.openFile(this.file);
    try {
      const st = await handle.stat();
      const identity = `${st.dev}:${st.ino}`;
      const ours = identity === this.identity && st.size === this.size;
      if (!ours) this.partial = 0;
      // Until the first open succeeds, the file is the one the cut line was read from at start.
      const expected = this.identity === '' ? this.cutLineExpected : 0;
      if (expected > 0 && st.size >= expected && (await lastByte(handle, st.size)) !== 10) this.partial = expected;
      alignCutLine(pending, this.partial);
      // Our own cut line is completed by the write that follows; any other one is ended here.
      const endedCutLine = this.partial > 0 ? undefined : await endCutLine(handle, st.size);
      this.handle = handle;
      this.identity = identity;
      this.size = st.size + (endedCutLine !== undefined ? 1 : 0);
      this.wanted = undefined;
      return endedCutLine !== undefined ? { reopened: why, endedCutLine } : { reopened: why };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Appends the chunks in order, removing each from the list once it is all on disk and reporting its lines and
   * bytes. A write that stops part-way (a disk filling up) leaves the chunk first in the list with the bytes
   * written counted, so the next attempt goes on from there: no line twice, and no line cut when it goes to the
   * same file.
   */
  async write(chunks: Chunk[], written: (lines: number, bytes: number) => void): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) throw new Error(`${this.file} is not open`);
    while (chunks.length > 0) {
      alignCutLine(chunks, this.partial);
      const chunk = chunks[0] as Chunk;
      while (chunk.written < chunk.bytes.length) {
        const from = chunk.written;
        const { bytesWritten } = await handle.write(chunk.bytes, from, chunk.bytes.length - from);
        if (bytesWritten <= 0) throw new Error(`${this.file} took no bytes`);
        chunk.written += bytesWritten;
        this.size += bytesWritten;
        const whole = from === 0 && chunk.written === chunk.bytes.length ? chunk.lines : newlinesIn(chunk.bytes, from, chunk.written);
        this.lines += whole;
        this.partial = chunk.written - (chunk.bytes.lastIndexOf(10, chunk.written - 1) + 1);
        written(chunk.written === chunk.bytes.length ? chunk.lines : 0, bytesWritten);
      }
      chunks.shift();
    }
  }

  /** Makes what was written durable (a checkpoint records positions only after this). */
  async sync(): Promise<void> {
    await this.handle?.sync?.();
  }

  position(): FilePosition {
    return { file: this.file, identity: this.identity, bytes: this.size, lines: this.lines, partial: this.partial };
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.close().catch(() => undefined);
  }

  /** Whether the path still names the open file with the size written (log rotation, a deletion, copytruncate). */
  private async changedOnDisk(): Promise<ChangeOnDisk | undefined> {
    let st;
    try {
      st = await stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || this.handle === undefined) throw err;
      return (await this.handle.stat()).nlink > 0 ? 'moved' : 'deleted';
    }
    if (`${st.dev}:${st.ino}` !== this.identity) return 'rotated';
    if (st.size < this.size) return 'truncated';
    return st.size > this.size ? 'grown' : undefined;
  }
}

async function lastByte(handle: AppendFile, size: number): Promise<number | undefined> {
  const one = Buffer.alloc(1);
  const { bytesRead } = await handle.read(one, 0, 1, size - 1);
  return bytesRead === 1 ? one[0] : undefined;
}

function newlinesIn(bytes: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = bytes.indexOf(10, from); i !== -1 && i < to; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * A file whose last byte is not a newline ends in a cut line. Appending to it would merge the next line into it
 * (one undecodable line, the new one lost with it); a newline ends it, so readers skip only the cut line (Filebeat
 * reports one JSON decode error). The file is never truncated: a tailer that already read the cut bytes would
 * take a shorter file for a new one and ship it all again.
 */
async function endCutLine(handle: AppendFile, size: number): Promise<EndedCutLine | undefined> {
  if (size === 0) return undefined;
  const tail = Buffer.allocUnsafe(Math.min(size, TAIL_BYTES));
  const from = size - tail.length;
  const { bytesRead } = await handle.read(tail, 0, tail.length, from);
  if (bytesRead === 0 || tail[bytesRead - 1] === 10) return undefined;
  const { bytesWritten } = await handle.write(Buffer.from('\n'), 0, 1);
  if (bytesWritten !== 1) throw new Error('the newline that ends the cut line was not written');
  const newline = tail.lastIndexOf(10, bytesRead - 1);
  if (newline < 0 && from > 0) return { bytes: bytesRead };
  const at = from + newline + 1;
  return { at, bytes: from + bytesRead - at };
}
