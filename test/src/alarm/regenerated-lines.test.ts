// Lines made again after a crash: those already on disk past the checkpoint are skipped, a cut last line is
// completed by the line that starts with it, and nothing is appended to a cut line before that.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegeneratedLines } from '../../../src/alarm/regenerated-lines.js';

describe('RegeneratedLines', () => {
  it('skips each line on disk once, and writes the others', () => {
    const g = new RegeneratedLines(Buffer.from('a\nb\na\n'));
    assert.equal(g.pending, 3);
    assert.deepEqual(g.decide('a'), { kind: 'skip' });
    assert.deepEqual(g.decide('c'), { kind: 'write', lines: ['c'] });
    assert.deepEqual(g.decide('a'), { kind: 'skip' });
    assert.deepEqual(g.decide('a'), { kind: 'write', lines: ['a'] }, 'a third "a" was not on disk');
    assert.deepEqual(g.decide('b'), { kind: 'skip' });
    assert.equal(g.pending, 0);
    assert.equal(g.skipped, 3);
  });

  it('completes a cut last line with the line that starts with it, holding back the lines made before it', () => {
    const g = new RegeneratedLines(Buffer.from('x\n{"alarm_id":"a1","sta'));
    assert.equal(g.cutLine, '{"alarm_id":"a1","sta');
    assert.deepEqual(g.decide('{"alarm_id":"a2","stage":1}'), { kind: 'hold' });
    assert.deepEqual(g.decide('x'), { kind: 'skip' });
    assert.deepEqual(g.decide('{"alarm_id":"a1","stage":1}'), { kind: 'write', lines: ['ge":1}', '{"alarm_id":"a2","stage":1}'] });
    assert.equal(g.pending, 0);
    assert.deepEqual(g.decide('y'), { kind: 'write', lines: ['y'] });
  });

  it('ends a cut line that is never made again when correlation has caught up, and releases what waited', () => {
    const g = new RegeneratedLines(Buffer.from('only\n{"cut'));
    assert.deepEqual(g.decide('later'), { kind: 'hold' });
    assert.deepEqual(g.finish(), { endedCutLine: true, lines: ['', 'later'], neverMadeAgain: 1 });
    assert.deepEqual(g.decide('only'), { kind: 'write', lines: ['only'] }, 'after finish nothing is skipped');
  });

  it('has nothing to do for an empty tail', () => {
    const g = new RegeneratedLines(Buffer.alloc(0));
    assert.equal(g.pending, 0);
    assert.equal(g.cutLine, undefined);
    assert.deepEqual(g.decide('a'), { kind: 'write', lines: ['a'] });
  });
});
