// The runtime changes to nact 7.6.2 (actors/nact-patch.ts) keep nact's behaviour: children are tracked once an
// actor has some, removed when they stop, and handlers still get a context with self, sender and children.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch, spawn, start, stop, type Ref } from 'nact';
import { applyNactPatch, nactMismatches, PATCHED_NACT_VERSION } from '../../actors/nact-patch.js';
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

  it('keeps every message of a busy actor, in order (the mailbox is made when one has to wait)', async () => {
    applyNactPatch();
    const system = start();
    try {
      const handled: number[] = [];
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const busy: Ref<number> = spawn(
        system,
        async (state: number, msg: number) => {
          if (msg === 0) await gate; // the first message holds the actor: the others must queue
          handled.push(msg);
          return state + 1;
        },
        'busy',
        { initialState: 0 },
      );
      for (let i = 0; i < 500; i++) dispatch(busy, i);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(handled, []);
      release();
      await waitFor(() => handled.length === 500 || undefined, { timeoutMs: 5000, what: '500 messages' });
      assert.deepEqual(handled, Array.from({ length: 500 }, (_, i) => i));
    } finally {
      stop(system);
    }
  });

  it('gives onCrash a context with the failing actor\'s children, and the messages waiting in its mailbox', async () => {
    applyNactPatch();
    const system = start();
    try {
      const seen: Array<{ children: string[]; mailbox: number; hasResume: boolean }> = [];
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const parent: Ref<string> = spawn(
        system,
        async (state: number, msg: string) => {
          if (msg === 'fail') {
            await gate;
            throw new Error('injected');
          }
          return state + 1;
        },
        'crashing',
        {
          initialState: 0,
          onCrash: (_msg: unknown, _err: unknown, ctx: { children: Map<string, unknown>; mailbox: unknown[]; resume: unknown }) => {
            seen.push({ children: [...ctx.children.keys()].sort(), mailbox: ctx.mailbox.length, hasResume: ctx.resume !== undefined });
            return ctx.resume as never;
          },
        },
      );
      spawn(parent, (s: number) => s + 1, 'kid-1', { initialState: 0 });
      spawn(parent, (s: number) => s + 1, 'kid-2', { initialState: 0 });
      dispatch(parent, 'fail');
      dispatch(parent, 'after');
      await new Promise((resolve) => setImmediate(resolve));
      release();
      await waitFor(() => seen.length === 1 || undefined, { timeoutMs: 2000, what: 'onCrash' });
      assert.deepEqual(seen[0], { children: ['kid-1', 'kid-2'], mailbox: 1, hasResume: true });
    } finally {
      stop(system);
    }
  });

  it('finds the nact it was written for, and names every difference of another one', () => {
    const Actor = { prototype: Object.fromEntries(['createContext', 'createContextWithMailbox', 'createSupervisionContext', 'dispatch', 'childSpawned', 'childStopped', 'handleMessage', 'handleFault', 'afterMessage', 'processNext', 'assertNotStopped', 'clearTimeout'].map((n) => [n, () => undefined])) };
    const ActorPath = { prototype: { createChildPath: () => undefined } };
    const good = { version: PATCHED_NACT_VERSION, Actor, ActorPath, hasQueue: true, Nobody: class {} };
    assert.deepEqual(nactMismatches(good), []);
    const { dispatch: _gone, ...rest } = Actor.prototype;
    assert.deepEqual(nactMismatches({ ...good, version: '8.0.0', Actor: { prototype: rest }, hasQueue: false }), [
      'nact version is 8.0.0, the patch was written for 7.6.2',
      'Actor.prototype.dispatch is not a function',
      "nact's mailbox queue (denque) cannot be loaded",
    ]);
  });
});
