import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { LineSplitter } from '../../../src/shared/lines.js';

function split(chunks: readonly string[]): string[] {
  const s = new LineSplitter();
  return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
}

async function readlineLines(chunks: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({ input: Readable.from(chunks), crlfDelay: Infinity })) out.push(line);
  return out;
}

describe('LineSplitter', () => {
  it('splits at \\n, \\r\\n and a lone \\r, across chunk boundaries', () => {
    assert.deepEqual(split(['a\nb', 'c\r', '\nd\re\r\n', '\nf']), ['a', 'bc', 'd', 'e', '', 'f']);
    assert.deepEqual(split(['x\n']), ['x']);
    assert.deepEqual(split(['', 'x', '', 'y']), ['xy']);
  });

  it('gives the lines node:readline gives (crlfDelay: Infinity), for any text cut anywhere', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '{', '"', '\n', '\r', ' ', 'é'), maxLength: 40 });
    const cuts = fc.array(fc.nat(40), { maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(text, cuts, async (t, at) => {
        const points = [...new Set(at.map((n) => Math.min(n, t.length)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(t.slice(from, p));
          from = p;
        }
        chunks.push(t.slice(from));
        const nonEmpty = chunks.filter((c) => c !== '');
        assert.deepEqual(split(chunks), await readlineLines(nonEmpty), JSON.stringify(chunks));
      }),
      { numRuns: 2000 },
    );
  });
});
