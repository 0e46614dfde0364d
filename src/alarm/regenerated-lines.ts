/**
 * After a crash, the backend restores its last checkpoint and correlates again the events that came after it:
 * it makes again the alarm lines it had already written between the checkpoint and the crash. Those lines are
 * in the file past the position the checkpoint recorded; this is the list of them, so that each one is skipped
 * when it is made again (Logstash indexes alarm-event lines without a document id: a line written twice is a
 * duplicate document). A last line the crash cut short is completed by the first line made again that starts
 * with it; until then no other line may be appended (it would be merged into the cut one), so they are held.
 * Held lines are not on disk: a cut line that is not completed soon (the same alarm can be made again with other
 * content, e.g. other intel results) is ended with a newline after a bounded number of held lines or bytes.
 */

/** How many lines, and how many of their bytes, may wait for a cut line's completion before it is ended. */
export interface HeldLimits {
  readonly lines: number;
  readonly bytes: number;
}

export const DEFAULT_HELD_LIMITS: HeldLimits = { lines: 10_000, bytes: 16 * 1024 * 1024 };

/**
 * A waiting cut line ended: the newline goes after it, then the held lines (each without its newline), in order.
 * `cut` is the cut line as text (for the log: a character the crash cut shows as U+FFFD), `raw` its bytes on disk.
 */
export interface CutEnd {
  readonly cut: string;
  readonly raw: Buffer;
  readonly held: readonly string[];
  readonly heldBytes: number;
}

export type LineDecision =
  /** On disk already: do not write it. */
  | { readonly kind: 'skip' }
  /** Write it. */
  | { readonly kind: 'write' }
  /** Keep it back: a cut line is still waiting for its completion. */
  | { readonly kind: 'hold' }
  /** It completes the cut line (its first `cutBytes` bytes are on disk: write the rest), then the held lines are written. */
  | { readonly kind: 'complete'; readonly cut: string; readonly cutBytes: number; readonly held: readonly string[] }
  /** Held lines reached their limits (this line is the last of them): the cut line is ended. */
  | { readonly kind: 'give-up'; readonly end: CutEnd };

/** Bytes of a line on disk, its newline included. */
const lineBytes = (line: string) => Buffer.byteLength(line, 'utf8') + 1;

export class RegeneratedLines {
  private readonly remaining = new Map<string, number>();
  /** The cut line's bytes: a crash may cut a line inside a character, so it is compared as bytes. */
  private cut: Buffer | undefined;
  private held: string[] = [];
  private heldSize = 0;
  /** Lines skipped so far. */
  skipped = 0;

  /** `tail`: the file's bytes past the checkpoint's position. */
  constructor(
    tail: Buffer,
    private readonly limits: HeldLimits = DEFAULT_HELD_LIMITS,
  ) {
    const lastNewline = tail.lastIndexOf(0x0a);
    const lines = tail.subarray(0, lastNewline + 1).toString('utf8').split('\n');
    for (const line of lines) if (line !== '') this.remaining.set(line, (this.remaining.get(line) ?? 0) + 1);
    const last = tail.subarray(lastNewline + 1);
    this.cut = last.length === 0 ? undefined : Buffer.from(last);
  }

  /** Lines on disk that were not made again yet (and a cut line that was not completed). */
  get pending(): number {
    let n = 0;
    for (const count of this.remaining.values()) n += count;
    return n + (this.cut === undefined ? 0 : 1);
  }

  /** The cut line waiting for its completion, if any (as text: a character the crash cut shows as U+FFFD). */
  get cutLine(): string | undefined {
    return this.cut?.toString('utf8');
  }

  /** Bytes of the cut line waiting for its completion (0: none). */
  get cutLineBytes(): number {
    return this.cut?.length ?? 0;
  }

  /** Lines held back (not on disk), and their bytes with newlines. */
  get heldLines(): number {
    return this.held.length;
  }

  get heldBytes(): number {
    return this.heldSize;
  }

  /** What to do with a line made again (without its newline). */
  decide(line: string): LineDecision {
    const count = this.remaining.get(line);
    if (count !== undefined) {
      if (count <= 1) this.remaining.delete(line);
      else this.remaining.set(line, count - 1);
      this.skipped++;
      return { kind: 'skip' };
    }
    const cut = this.cut;
    if (cut === undefined) return { kind: 'write' };
    const bytes = Buffer.from(line, 'utf8');
    if (bytes.length > cut.length && bytes.subarray(0, cut.length).equals(cut)) {
      const held = this.held;
      this.release();
      return { kind: 'complete', cut: cut.toString('utf8'), cutBytes: cut.length, held };
    }
    this.held.push(line);
    this.heldSize += lineBytes(line);
    if (this.held.length < this.limits.lines && this.heldSize < this.limits.bytes) return { kind: 'hold' };
    const end = { cut: cut.toString('utf8'), raw: cut, held: this.held, heldBytes: this.heldSize };
    this.release();
    return { kind: 'give-up', end };
  }

  /**
   * Ends a waiting cut line now (a stop, held lines at a bound, a file no longer ending with it): the held lines
   * are released; lines on disk are still skipped. Undefined when no cut line waits.
   */
  endCut(): CutEnd | undefined {
    const cut = this.cut;
    if (cut === undefined) return undefined;
    const end = { cut: cut.toString('utf8'), raw: cut, held: this.held, heldBytes: this.heldSize };
    this.release();
    return end;
  }

  /**
   * Correlation has caught up: nothing more will be made again. A cut line still waiting is ended as it is (the
   * newline alone, so readers skip that one line), and the lines that waited are released.
   */
  finish(): { readonly end: CutEnd | undefined; readonly neverMadeAgain: number } {
    const end = this.endCut();
    const neverMadeAgain = this.pending;
    this.remaining.clear();
    return { end, neverMadeAgain };
  }

  private release(): void {
    this.cut = undefined;
    this.held = [];
    this.heldSize = 0;
  }
}
