// Lines made again after a crash: those already on disk past the checkpoint are skipped, a cut last line is
// completed by the line that starts with it, nothing is appended to a cut line before that, and the lines held
// meanwhile are bounded (the cut line is ended at the bound) and released whenever it ends.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegeneratedLines } from '../../../src/alarm/regenerated-lines.js';

describe('RegeneratedLines', () => {
  it('skips each line on disk once, and writes the others', () => {
    const g = new RegeneratedLines(Buffer.from('a\nb\na\n'));
    assert.equal(g.pending, 3);
    assert.deepEqual(g.decide('a'), { kind: 'skip' });
    assert.deepEqual(g.decide('c'), { kind: 'write' });
    assert.deepEqual(g.decide('a'), { kind: 'skip' });
    assert.deepEqual(g.decide('a'), { kind: 'write' }, 'a third "a" was not on disk');
    assert.deepEqual(g.decide('b'), { kind: 'skip' });
    assert.equal(g.pending, 0);
    assert.equal(g.skipped, 3);
  });

  it('completes a cut last line with the line that starts with it, holding back the lines made before it', () => {
    const g = new RegeneratedLines(Buffer.from('x\n{"alarm_id":"a1","sta'));
    assert.equal(g.cutLine, '{"alarm_id":"a1","sta');
    assert.deepEqual(g.decide('{"alarm_id":"a2","stage":1}'), { kind: 'hold' });
    assert.equal(g.heldLines, 1);
    assert.equal(g.heldBytes, '{"alarm_id":"a2","stage":1}\n'.length);
    assert.deepEqual(g.decide('x'), { kind: 'skip' });
    assert.deepEqual(g.decide('{"alarm_id":"a1","stage":1}'), { kind: 'complete', cut: '{"alarm_id":"a1","sta', cutBytes: 21, held: ['{"alarm_id":"a2","stage":1}'] });
    assert.equal(g.pending, 0);
    assert.equal(g.heldLines, 0);
    assert.equal(g.heldBytes, 0);
    assert.deepEqual(g.decide('y'), { kind: 'write' });
  });

  it('completes a line the crash cut inside a character (compared as bytes, the rest written from the byte after the cut)', () => {
    const line = '{"title":"Zugriff verweigert für Müller"}';
    const whole = Buffer.from(line);
    const at = whole.indexOf(Buffer.from('ü')) + 1;
    const g = new RegeneratedLines(Buffer.concat([Buffer.from('x\n'), whole.subarray(0, at)]));
    assert.equal(g.cutLineBytes, at);
    assert.deepEqual(g.decide(line), { kind: 'complete', cut: whole.subarray(0, at).toString('utf8'), cutBytes: at, held: [] });
    const ended = new RegeneratedLines(whole.subarray(0, at)).endCut();
    assert.deepEqual(ended?.raw, whole.subarray(0, at), 'a cut line ended keeps its bytes as on disk');
  });

  it('ends a cut line that is never made again when correlation has caught up, and releases what waited', () => {
    const g = new RegeneratedLines(Buffer.from('only\n{"cut'));
    assert.deepEqual(g.decide('later'), { kind: 'hold' });
    assert.deepEqual(g.finish(), { end: { cut: '{"cut', raw: Buffer.from('{"cut'), held: ['later'], heldBytes: 6 }, neverMadeAgain: 1 });
    assert.deepEqual(g.decide('only'), { kind: 'write' }, 'after finish nothing is skipped');
  });

  it('ends a cut line on request (a stop), releasing the held lines, and goes on skipping the lines on disk', () => {
    const g = new RegeneratedLines(Buffer.from('a\n{"cut'));
    assert.deepEqual(g.decide('b'), { kind: 'hold' });
    assert.deepEqual(g.endCut(), { cut: '{"cut', raw: Buffer.from('{"cut'), held: ['b'], heldBytes: 2 });
    assert.equal(g.endCut(), undefined, 'once');
    assert.equal(g.cutLine, undefined);
    assert.equal(g.heldLines, 0);
    assert.deepEqual(g.decide('a'), { kind: 'skip' });
    assert.deepEqual(g.decide('{"cut":1}'), { kind: 'write' }, 'the line that would have completed it is written whole');
  });

  it('gives up on a cut line when the held lines reach their count', () => {
    const g = new RegeneratedLines(Buffer.from('{"cut'), { lines: 3, bytes: 1 << 20 });
    assert.deepEqual(g.decide('l1'), { kind: 'hold' });
    assert.deepEqual(g.decide('l2'), { kind: 'hold' });
    assert.deepEqual(g.decide('l3'), { kind: 'give-up', end: { cut: '{"cut', raw: Buffer.from('{"cut'), held: ['l1', 'l2', 'l3'], heldBytes: 9 } });
    assert.equal(g.heldLines, 0);
    assert.deepEqual(g.decide('l4'), { kind: 'write' });
  });

  it('gives up on a cut line when the held lines reach their bytes (UTF-8, newlines counted)', () => {
    const g = new RegeneratedLines(Buffer.from('{"cut'), { lines: 1000, bytes: 10 });
    assert.deepEqual(g.decide('é'.repeat(2)), { kind: 'hold' });
    assert.equal(g.heldBytes, 5);
    assert.deepEqual(g.decide('abcd'), { kind: 'give-up', end: { cut: '{"cut', raw: Buffer.from('{"cut'), held: ['éé', 'abcd'], heldBytes: 10 } });
  });

  it('has nothing to do for an empty tail', () => {
    const g = new RegeneratedLines(Buffer.alloc(0));
    assert.equal(g.pending, 0);
    assert.equal(g.cutLine, undefined);
    assert.deepEqual(g.decide('a'), { kind: 'write' });
    assert.equal(g.endCut(), undefined);
  });
});
