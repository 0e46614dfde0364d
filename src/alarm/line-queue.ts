/**
 * Alarm lines waiting for the writer, as UTF-8 bytes in chunks, with the count of lines and of bytes not on disk.
 *
 * A line is encoded as soon as it is made, so its string dies young (no string per line lives until the next
 * flush, which would cost the garbage collector copying and promoting it), and a flush appends the chunks as they
 * are (no join, no encoding then). The byte count is what bounds the memory kept when the disk fails.
 */

/** Whole lines, encoded; the first `written` bytes are on disk already (a write that stopped part-way). */
export interface Chunk {
  readonly bytes: Buffer;
  readonly lines: number;
  written: number;
  /** Only the newline that ends a cut line (its `written` bytes): nothing of it goes to a file without that line. */
  readonly endsCutLine?: true;
}

export const linesIn = (chunks: readonly Chunk[]): number => chunks.reduce((n, c) => n + c.lines, 0);

/** Bytes of the chunks that are not on disk yet. */
export const bytesLeftIn = (chunks: readonly Chunk[]): number => chunks.reduce((n, c) => n + c.bytes.length - c.written, 0);

export class LineQueue {
  private static readonly CHUNK = 256 * 1024;
  private full: Chunk[] = [];
  private current: Buffer | undefined;
  private usedBytes = 0;
  private linesInCurrent = 0;
  /** Lines queued. */
  count = 0;
  /** Bytes queued (of restored chunks, only the part not on disk). */
  bytes = 0;

  add(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the newline is one more.
    const worst = line.length * 3 + 1;
    if (this.current === undefined || this.usedBytes + worst > this.current.length) this.startChunk(worst);
    const buf = this.current as Buffer;
    const start = this.usedBytes;
    this.usedBytes += buf.write(line, this.usedBytes, 'utf8');
    buf[this.usedBytes++] = 10;
    this.endLine(this.usedBytes - start);
  }

  /**
   * For a writer that encodes a line itself: a buffer with `maxBytes` free from `used` on (see `commit`).
   * The newline is added by `commit`.
   */
  room(maxBytes: number): Buffer {
    if (this.current === undefined || this.usedBytes + maxBytes + 1 > this.current.length) this.startChunk(maxBytes + 1);
    return this.current as Buffer;
  }

  get used(): number {
    return this.usedBytes;
  }

  /** Ends a line written into `room()`'s buffer, which now holds bytes up to `end`. */
  commit(end: number): void {
    const buf = this.current as Buffer;
    buf[end] = 10;
    const start = this.usedBytes;
    this.usedBytes = end + 1;
    this.endLine(this.usedBytes - start);
  }

  /**
   * A line whose first `onDisk` bytes a file already ends with (a cut line left by a crash), as a chunk of its
   * own: the rest is written after them, or the whole line to a file that does not end with them. `endsOnly`: the
   * line is the cut part alone (its bytes as on disk: a crash may have cut a character), and only its newline is
   * written (nothing to a file without it).
   */
  addContinuation(line: string | Buffer, onDisk: number, endsOnly: boolean): void {
    this.seal();
    const bytes = typeof line === 'string' ? Buffer.from(`${line}\n`, 'utf8') : Buffer.concat([line, Buffer.from('\n')]);
    this.full.push(endsOnly ? { bytes, lines: 1, written: onDisk, endsCutLine: true } : { bytes, lines: 1, written: onDisk });
    this.count++;
    this.bytes += bytes.length - onDisk;
  }

  /** Everything queued, oldest first (emptied: later lines start a new chunk). */
  take(): Chunk[] {
    this.seal();
    const taken = this.full;
    this.full = [];
    this.count = 0;
    this.bytes = 0;
    return taken;
  }

  /** Puts chunks that were taken and not written back in front, so they are written first next time. */
  restore(chunks: readonly Chunk[]): void {
    this.seal();
    this.full = chunks.concat(this.full);
    this.count += linesIn(chunks);
    this.bytes += bytesLeftIn(chunks);
  }

  private endLine(bytes: number): void {
    this.linesInCurrent++;
    this.count++;
    this.bytes += bytes;
  }

  private seal(): void {
    if (this.current !== undefined && this.usedBytes > 0) this.full.push({ bytes: this.current.subarray(0, this.usedBytes), lines: this.linesInCurrent, written: 0 });
    this.current = undefined;
    this.usedBytes = 0;
    this.linesInCurrent = 0;
  }

  private startChunk(atLeast: number): void {
    this.seal();
    this.current = Buffer.allocUnsafe(Math.max(LineQueue.CHUNK, atLeast));
  }
}

/**
 * The file a chunk was being written to was replaced (rotated, recreated, truncated) before the rest could
 * follow: the new file gets the chunk from the start of the line that was cut, so it holds only whole lines.
 */
export function restartCutLine(chunks: readonly Chunk[]): void {
  const first = chunks[0];
  if (first === undefined || first.written === 0) return;
  if (first.endsCutLine === true) first.written = first.bytes.length;
  else first.written = first.bytes.lastIndexOf(10, first.written - 1) + 1;
}

/** Bytes of the chunk's first line not ended yet that are on disk already (0: it starts at a line's start). */
export function cutBytesOnDisk(chunk: Chunk): number {
  return chunk.written - (chunk.bytes.lastIndexOf(10, chunk.written - 1) + 1);
}

/**
 * The first chunk goes on with a line cut on disk: unless the file ends with exactly that part (`partial`: the
 * bytes after the file's last newline), the line is restarted from its start (or, the end of a cut line alone,
 * dropped), so that nothing is appended to a part that is not there.
 */
export function alignCutLine(chunks: readonly Chunk[], partial: number): void {
  const first = chunks[0];
  if (first !== undefined && first.written > 0 && first.written < first.bytes.length && cutBytesOnDisk(first) !== partial) restartCutLine(chunks);
}
