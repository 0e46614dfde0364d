// The directive runtime and intel/vulnerability lookups: a barrier for checkpoints (lookups: false) does not wait
// for a lookup that has not answered (a dead Wise/Nesd server must not hold intake paused), the full barrier
// does; a snapshot says of each backlog whether its lookup is running or due (`lookupOwed`), and a restored backlog
// is looked up again when it was, or, saved by an earlier version that did not say, when it has an alarm and no
// lookup result.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BacklogState } from '../../../src/backlog/state.js';
import type { TimedEvent } from '../../../src/correlation/items.js';
import { aContext, aDirective, anEvent, at } from '../helpers.js';
import { runtimeWorld } from './runtime-world.js';

const directive = aDirective(
  [
    { plugin_sid: [1], from: 'ANY', to: 'ANY', reliability: 10 },
    { plugin_sid: [1], from: ':1', to: ':1', occurrence: 3, reliability: 10, timeout: 600 },
  ],
  { name: 'Flood from SRC_IP', priority: 5 },
);
const ctx = aContext();

const world = () => runtimeWorld(directive, ctx, { enriches: true });

const event = (id: string, t: number): TimedEvent => ({ event: anEvent({ event_id: id, src_ip: '192.168.0.9', timestamp: at(t) }), now: 0 });

describe('directive runtime: lookups', () => {
  it('a barrier without lookups answers while a lookup runs; the full barrier waits for its result', () => {
    const w = world();
    w.runtime.events([event('e1', 0)]);
    assert.equal(w.ports.length, 1);
    assert.ok(w.ports[0]?.lookedUp, 'a backlog made with an alarm starts a lookup');
    const answered: string[] = [];
    w.runtime.barrier(() => answered.push('full'));
    w.runtime.barrier(() => answered.push('no lookups'), false);
    assert.deepEqual(answered, ['no lookups'], 'nothing is in flight: only the lookup is outstanding');
    w.runtime.events([event('e2', 1)]);
    w.runtime.barrier(() => answered.push('no lookups, after e2'), false);
    assert.deepEqual(answered, ['no lookups'], 'e2 is in flight');
    w.answerAll(true);
    assert.deepEqual(answered, ['no lookups', 'no lookups, after e2']);
    // The lookup answers (its results applied: the backlog says it has no lookup running any more).
    w.ports[0]?.mailbox.push([]);
    w.answerAll(false);
    assert.deepEqual(answered, ['no lookups', 'no lookups, after e2', 'full']);
  });

  it('a snapshot says which backlogs have a lookup running or due', () => {
    const w = world();
    w.runtime.events([event('e1', 0), { event: anEvent({ event_id: 'e2', src_ip: '192.168.0.10', timestamp: at(1) }), now: 0 }]);
    w.answerAll(true);
    assert.equal(w.ports.length, 2);
    assert.deepEqual(
      w.runtime.snapshot().map((b) => b.lookupOwed),
      [true, true],
    );
    // The first backlog's lookup answers (nothing found): it owes none any more; the second's is still running.
    w.ports[0]?.mailbox.push([]);
    w.answerAll(false);
    w.ports[1]?.mailbox.push([]);
    w.answerAll(true);
    const saved = w.runtime.snapshot();
    assert.deepEqual(
      saved.map((b) => [b.id, b.lookupOwed]),
      [
        [w.ports[0]?.state.id, false],
        [w.ports[1]?.state.id, true],
      ],
    );
    const again = world();
    assert.deepEqual(again.runtime.restore(saved), []);
    assert.deepEqual(
      again.ports.map((p) => p.lookedUp),
      [false, true],
      'only the backlog whose lookup had not answered is looked up after a restart',
    );
  });

  it('a lookup that failed (its source down) is still owed: a restart makes it again', () => {
    const w = world();
    w.runtime.events([event('e1', 0)]);
    w.answerAll(true);
    const port = w.ports[0];
    assert.ok(port !== undefined);
    w.runtime.answers([{ backlogId: port.state.id, consumed: [], state: port.state, enriching: false, lookupFailed: true }]);
    assert.deepEqual(w.runtime.snapshot().map((b) => b.lookupOwed), [true]);
    // A later lookup that succeeds settles it.
    w.runtime.answers([{ backlogId: port.state.id, consumed: [], state: port.state, enriching: false, lookupFailed: false }]);
    assert.deepEqual(w.runtime.snapshot().map((b) => b.lookupOwed), [false]);
  });

  it('without lookups enabled, a snapshot keeps what each state said: unknown for a backlog made then', () => {
    const off = runtimeWorld(directive, ctx, { enriches: false });
    off.runtime.events([event('e1', 0)]);
    off.answerAll();
    const saved = off.runtime.snapshot();
    assert.deepEqual(saved.map((b) => b.lookupOwed), [undefined]);
    // Restarted with lookups enabled: an alarm without results, never looked up, is looked up.
    const on = world();
    assert.deepEqual(on.runtime.restore(saved), []);
    assert.deepEqual(on.ports.map((p) => p.lookedUp), [true]);
    // A state that said it owed a lookup keeps saying so while lookups are off.
    const owed = runtimeWorld(directive, ctx, { enriches: false });
    assert.deepEqual(owed.runtime.restore([{ ...(saved[0] as BacklogState), lookupOwed: true }]), []);
    assert.deepEqual(owed.runtime.snapshot().map((b) => b.lookupOwed), [true]);
  });

  it('a backlog started while no source was enabled still says "unknown" after a reload enabled one', () => {
    let enabled = false;
    const w = runtimeWorld(directive, ctx, { enriches: () => enabled });
    w.runtime.events([event('e1', 0)]);
    w.answerAll();
    enabled = true;
    w.runtime.events([{ event: anEvent({ event_id: 'e2', src_ip: '192.168.0.10', timestamp: at(1) }), now: 0 }]);
    w.answerAll(true);
    // The second backlog's lookup answers.
    w.ports[1]?.mailbox.push([]);
    w.answerAll(false);
    // The first backlog's actor makes no lookups (it started without a source); the second one does, and its lookup answered.
    assert.deepEqual(
      w.runtime.snapshot().map((b) => b.lookupOwed),
      [undefined, false],
    );
  });

  it('a restored backlog saved without the flag, with an alarm and no lookup result, is looked up again; one with results or without an alarm is not', () => {
    const first = world();
    first.runtime.events([event('e1', 0)]);
    first.answerAll(false);
    const alarmed = first.ports[0]?.state;
    assert.ok(alarmed !== undefined && alarmed.risk >= 1, `risk ${alarmed?.risk}`);
    const withHits: BacklogState = { ...alarmed, id: 'with-hits', intelHits: [{ provider: 'Wise', term: '8.8.8.8', result: 'bad' }] };
    const noAlarm: BacklogState = { ...alarmed, id: 'no-alarm', risk: 0 };
    const w = world();
    assert.deepEqual(w.runtime.restore([alarmed, withHits, noAlarm]), []);
    assert.deepEqual(
      w.ports.map((p) => [p.state.id, p.lookedUp]),
      [
        [alarmed.id, true],
        ['with-hits', false],
        ['no-alarm', false],
      ],
    );
  });
});
