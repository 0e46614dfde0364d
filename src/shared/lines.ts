/**
 * Splitting bytes that arrive in chunks into lines, the way `node:readline` does with `crlfDelay: Infinity` (a
 * line ends at "\n", "\r\n" or a lone "\r"), without its per-line promise and without decoding: the replay and
 * publish readers hand over a chunk at a time and get back the chunk's complete lines as bytes, so that each
 * line can be checked as UTF-8 on its own (as a NATS payload is) and a file without line breaks never has to
 * be held whole.
 */

const LF = 10;
const CR = 13;

export class LineSplitter {
  /** The unfinished last line so far (at most `maxLineBytes + 1` bytes of it). */
  private rest: Uint8Array = new Uint8Array(0);
  /** The last chunk ended with "\r": a "\n" opening the next one belongs to that line break. */
  private afterCr = false;

  /**
   * @param maxLineBytes a longer line is cut to its first `maxLineBytes + 1` bytes: enough for the reader to
   *   know it is too long, and the rest of it is never held in memory.
   */
  constructor(private readonly maxLineBytes = Number.MAX_SAFE_INTEGER) {}

  /** The lines the chunk completes, in order (views into the chunk where they lie inside it). */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let start = 0;
    if (this.afterCr && chunk[0] === LF) start = 1;
    this.afterCr = false;
    // The next "\r" at or after `start` (-1: none left), looked up again only once passed: one scan per chunk.
    let cr = chunk.indexOf(CR, start);
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      const end = nl < 0 ? chunk.length : nl;
      if (cr >= 0 && cr < start) cr = chunk.indexOf(CR, start);
      const atCr = cr >= 0 && cr < end;
      if (!atCr && nl < 0) break;
      out.push(this.line(chunk, start, atCr ? cr : nl));
      if (atCr) {
        // A "\r" before the next "\n": a line break of its own, or the first half of "\r\n".
        if (cr + 1 === chunk.length) {
          this.afterCr = true;
          start = cr + 1;
          break;
        }
        start = chunk[cr + 1] === LF ? cr + 2 : cr + 1;
        continue;
      }
      start = nl + 1;
    }
    this.keep(chunk, start);
    return out;
  }

  /** The last line when the input does not end with a line break (readline's last line). */
  end(): Uint8Array[] {
    const last = this.rest;
    this.rest = new Uint8Array(0);
    this.afterCr = false;
    return last.length === 0 ? [] : [last];
  }

  /** The line made of what was kept from earlier chunks and chunk[from, to). */
  private line(chunk: Uint8Array, from: number, to: number): Uint8Array {
    const kept = this.rest;
    if (kept.length === 0) return this.capped(chunk.subarray(from, to));
    this.rest = new Uint8Array(0);
    return this.capped(concat(kept, chunk.subarray(from, Math.min(to, from + this.maxLineBytes + 1 - kept.length))));
  }

  private keep(chunk: Uint8Array, from: number): void {
    if (from >= chunk.length) return;
    const room = this.maxLineBytes + 1 - this.rest.length;
    if (room <= 0) return;
    const tail = chunk.subarray(from, from + room);
    // Copied: a view would keep the whole chunk alive for the sake of its last line.
    this.rest = this.rest.length === 0 ? tail.slice() : concat(this.rest, tail);
  }

  private capped(line: Uint8Array): Uint8Array {
    return line.length > this.maxLineBytes + 1 ? line.subarray(0, this.maxLineBytes + 1) : line;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Whether a line holds nothing but spaces and tabs (such lines are not events). */
export function isBlankLine(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}
