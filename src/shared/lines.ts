/**
 * Splitting text that arrives in chunks into lines, the way `node:readline` does with `crlfDelay: Infinity`
 * (a line ends at "\n", "\r\n" or a lone "\r"), without its per-line promise and regular expression: the
 * replay reader hands over a chunk at a time and gets back the chunk's complete lines.
 */

export class LineSplitter {
  /** The unfinished last line of the text so far. */
  private rest = '';
  /** The last chunk ended with "\r": a "\n" opening the next one belongs to that line break. */
  private afterCr = false;

  /** The lines the chunk completes, in order. */
  push(chunk: string): string[] {
    const out: string[] = [];
    const text = this.rest + chunk;
    let start = 0;
    if (this.afterCr && text.charCodeAt(0) === 10) start = 1;
    this.afterCr = false;
    // The next "\r" at or after `start` (-1: none left), looked up again only once passed: one scan per chunk.
    let cr = text.indexOf('\r', start);
    for (;;) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      if (cr >= 0 && cr < start) cr = text.indexOf('\r', start);
      if (cr >= 0 && cr < end) {
        // A "\r" before the next "\n": a line break of its own, or the first half of "\r\n".
        out.push(text.slice(start, cr));
        if (cr + 1 === text.length) {
          this.afterCr = true;
          start = cr + 1;
          break;
        }
        start = text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        continue;
      }
      if (nl < 0) break;
      out.push(text.slice(start, nl));
      start = nl + 1;
    }
    this.rest = start === 0 ? text : text.slice(start);
    return out;
  }

  /** The last line when the text does not end with a line break (readline's last line). */
  end(): string[] {
    const last = this.rest;
    this.rest = '';
    this.afterCr = false;
    return last === '' ? [] : [last];
  }
}
