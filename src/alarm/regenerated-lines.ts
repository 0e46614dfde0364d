/**
 * After a crash, the backend restores its last checkpoint and correlates again the events that came after it:
 * it makes again the alarm lines it had already written between the checkpoint and the crash. Those lines are
 * in the file past the position the checkpoint recorded; this is the list of them, so that each one is skipped
 * when it is made again (Logstash indexes alarm-event lines without a document id: a line written twice is a
 * duplicate document). A last line the crash cut short is completed by the first line made again that starts
 * with it; until then no other line may be appended (it would be merged into the cut one), so they wait.
 */

export type LineDecision =
  /** On disk already: do not write it. */
  | { readonly kind: 'skip' }
  /** Write these lines (each without its newline), in order: the rest of a cut line, then lines that waited. */
  | { readonly kind: 'write'; readonly lines: readonly string[] }
  /** Keep it back: a cut line is still waiting for its completion. */
  | { readonly kind: 'hold' };

export class RegeneratedLines {
  private readonly remaining = new Map<string, number>();
  private cut: string | undefined;
  private held: string[] = [];
  /** Lines skipped so far. */
  skipped = 0;

  /** `tail`: the file's bytes past the checkpoint's position. */
  constructor(tail: Buffer) {
    const text = tail.toString('utf8');
    const lines = text.split('\n');
    const last = lines.pop() ?? '';
    for (const line of lines) if (line !== '') this.remaining.set(line, (this.remaining.get(line) ?? 0) + 1);
    this.cut = last === '' ? undefined : last;
  }

  /** Lines on disk that were not made again yet (and a cut line that was not completed). */
  get pending(): number {
    let n = 0;
    for (const count of this.remaining.values()) n += count;
    return n + (this.cut === undefined ? 0 : 1);
  }

  /** The cut line waiting for its completion, if any. */
  get cutLine(): string | undefined {
    return this.cut;
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
    if (this.cut === undefined) return { kind: 'write', lines: [line] };
    if (line.startsWith(this.cut) && line.length > this.cut.length) {
      const rest = line.slice(this.cut.length);
      this.cut = undefined;
      const lines = [rest, ...this.held];
      this.held = [];
      return { kind: 'write', lines };
    }
    this.held.push(line);
    return { kind: 'hold' };
  }

  /**
   * Correlation has caught up: nothing more will be made again. A cut line still waiting is ended as it is (an
   * empty rest: the newline alone, so readers skip that one line), and the lines that waited are released.
   */
  finish(): { readonly endedCutLine: boolean; readonly lines: readonly string[]; readonly neverMadeAgain: number } {
    const endedCutLine = this.cut !== undefined;
    const lines = endedCutLine ? ['', ...this.held] : [...this.held];
    const neverMadeAgain = this.pending - (endedCutLine ? 1 : 0);
    this.cut = undefined;
    this.held = [];
    this.remaining.clear();
    return { endedCutLine, lines, neverMadeAgain };
  }
}
