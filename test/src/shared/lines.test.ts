import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { isBlankLine, LineSplitter } from '../../../src/shared/lines.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function split(chunks: readonly (string | Uint8Array)[], maxLineBytes?: number): string[] {
  const s = new LineSplitter(maxLineBytes);
  return [...chunks.flatMap((c) => s.push(typeof c === 'string' ? bytes(c) : c)), ...s.end()].map(text);
}

async function readlineLines(input: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({ input: Readable.from([input]), crlfDelay: Infinity })) out.push(line);
  return out;
}

describe('LineSplitter', () => {
  it('splits at \\n, \\r\\n and a lone \\r, across chunk boundaries', () => {
    assert.deepEqual(split(['a\nb', 'c\r', '\nd\re\r\n', '\nf']), ['a', 'bc', 'd', 'e', '', 'f']);
    assert.deepEqual(split(['x\n']), ['x']);
    assert.deepEqual(split(['', 'x', '', 'y']), ['xy']);
  });

  it('gives the lines node:readline gives (crlfDelay: Infinity), for any bytes cut anywhere', async () => {
    const input = fc.string({ unit: fc.constantFrom('a', 'b', '{', '"', '\n', '\r', ' ', 'é', '€'), maxLength: 40 });
    const cuts = fc.array(fc.nat(80), { maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(input, cuts, async (t, at) => {
        const all = bytes(t);
        const points = [...new Set(at.map((n) => Math.min(n, all.length)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(all.subarray(from, p));
          from = p;
        }
        chunks.push(all.subarray(from));
        assert.deepEqual(split(chunks), await readlineLines(t), JSON.stringify(t));
      }),
      { numRuns: 2000 },
    );
  });

  it('cuts a line longer than the bound to bound + 1 bytes and keeps the lines after it whole', () => {
    const long = 'x'.repeat(50);
    assert.deepEqual(split([`ab\n${long.slice(0, 20)}`, long.slice(20, 35), `${long.slice(35)}\ncd\n`], 10), ['ab', 'x'.repeat(11), 'cd']);
    assert.deepEqual(split([long], 10), ['x'.repeat(11)]);
    assert.deepEqual(split([`${long}\r\nok`], 10), ['x'.repeat(11), 'ok']);
  });

  it('never holds more than bound + 1 bytes of a line without a break, whatever arrives', () => {
    const s = new LineSplitter(1000);
    const chunk = new Uint8Array(1 << 16).fill(0x41);
    for (let i = 0; i < 64; i++) assert.deepEqual(s.push(chunk), []);
    const [last] = s.end();
    assert.equal(last?.length, 1001);
  });
});

describe('isBlankLine', () => {
  it('is true for empty lines and lines of spaces and tabs only', () => {
    assert.equal(isBlankLine(bytes('')), true);
    assert.equal(isBlankLine(bytes(' \t ')), true);
    assert.equal(isBlankLine(bytes(' {}')), false);
  });
});
