// The runtime changes to nact 7.6.2 (actors/nact-patch.ts) keep nact's behaviour: children are tracked once an
// actor has some, removed when they stop, and handlers still get a context with self, sender and children.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch, spawn, start, stop, type Ref } from 'nact';
import { applyNactPatch } from '../../actors/nact-patch.js';
import { waitFor } from '../helpers/wait.js';

interface Seen {
  self: unknown;
  children: string[];
}

describe('nact patch', () => {
  it('tracks children lazily, forgets stopped ones, and gives handlers a working context', async () => {
    applyNactPatch();
    const system = start();
    try {
      const seen: Seen[] = [];
      const parent: Ref<string> = spawn(
        system,
        (state: number, _msg: string, ctx: { self: unknown; children: Map<string, unknown> }) => {
          seen.push({ self: ctx.self, children: [...ctx.children.keys()].sort() });
          return state + 1;
        },
        'parent',
        { initialState: 0 },
      );
      dispatch(parent, 'before');
      await waitFor(() => seen.length === 1 || undefined, { timeoutMs: 2000, what: 'first message' });
      assert.deepEqual(seen[0]?.children, []);
      assert.equal(seen[0]?.self, parent);

      const answers: string[] = [];
      const childA = spawn(parent, (s: number, msg: string) => (answers.push(`a:${msg}`), s + 1), 'a', { initialState: 0 });
      const childB = spawn(parent, (s: number, msg: string) => (answers.push(`b:${msg}`), s + 1), 'b', { initialState: 0 });
      dispatch(parent, 'with children');
      dispatch(childA, 'hello');
      await waitFor(() => (seen.length === 2 && answers.length === 1) || undefined, { timeoutMs: 2000, what: 'second message' });
      assert.deepEqual(seen[1]?.children, ['a', 'b']);
      assert.deepEqual(answers, ['a:hello']);

      stop(childA);
      dispatch(parent, 'after stop');
      await waitFor(() => seen.length === 3 || undefined, { timeoutMs: 2000, what: 'third message' });
      assert.deepEqual(seen[2]?.children, ['b']);
      // An actor without children still gets one: its own maps are made then (the shared empty map refuses adds).
      const grandchild = spawn(childB, (s: number) => s + 1, 'c', { initialState: 0 });
      dispatch(grandchild, 'hi');
      dispatch(childB, 'still there');
      await waitFor(() => answers.length === 2 || undefined, { timeoutMs: 2000, what: 'b answers' });
      assert.deepEqual(answers, ['a:hello', 'b:still there']);
    } finally {
      stop(system);
    }
  });
});
