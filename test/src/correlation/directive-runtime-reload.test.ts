// The directive runtime under a hot reload, step by step with a host whose backlogs answer only when the test says
// so: a change waits for the answers in flight, and a retiring directive drops its backlogs only after them.
// (The property test in determinism.property.test.ts checks changes against the sequential fold.)

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sizeOf } from '../../../src/backlog/event-ids.js';
import type { BacklogContext, BacklogState } from '../../../src/backlog/state.js';
import type { TimedEvent } from '../../../src/correlation/items.js';
import type { Directive } from '../../../src/directive/directive.js';
import { aContext, aDirective, anEvent, at } from '../helpers.js';
import { runtimeWorld } from './runtime-world.js';

const world = (directive: Directive, ctx: BacklogContext) => runtimeWorld(directive, ctx);

const directive = aDirective(
  [
    { plugin_sid: [1], from: 'ANY', to: 'ANY' },
    { plugin_sid: [1], from: ':1', to: ':1', occurrence: 3, reliability: 5, timeout: 600 },
  ],
  { name: 'Flood from SRC_IP' },
);
const event = (id: string, src: string, t: number): TimedEvent => ({ event: anEvent({ event_id: id, src_ip: src, timestamp: at(t) }), now: 0 });

describe('directive runtime: reload', () => {
  it('retires only once every item sent before is answered, then drops the live backlogs and stops their actors', () => {
    const w = world(directive, aContext());
    w.runtime.events([event('e1', '10.0.0.1', 0), event('e2', '10.0.0.2', 1)]);
    w.answerAll();
    w.runtime.events([event('e3', '10.0.0.1', 2)]);
    assert.equal(w.stats.inFlightItems, 1, 'e3 is in flight to the first backlog');
    const retired: Array<readonly BacklogState[]> = [];
    w.runtime.retire((d) => retired.push(d));
    assert.equal(retired.length, 0, 'retired before the answer in flight');
    w.answerAll();
    assert.equal(retired.length, 1);
    assert.deepEqual(retired[0]?.map((s) => [s.id, sizeOf(s.stages[1]?.event_ids)]).sort(), [['b-1', 1], ['b-2', 0]].sort());
    assert.deepEqual(w.ports.map((p) => p.stopped), [true, true]);
    assert.equal(w.stats.activeBacklogs, 0);
    assert.equal(w.runtime.backlogs, 0);
  });

  it('takes a new version once the answers in flight are in: old backlogs keep their rules, new backlogs get the new ones', () => {
    const w = world(directive, aContext());
    const v2 = aDirective(
      [
        { plugin_sid: [1], from: 'ANY', to: 'ANY' },
        { plugin_sid: [1], from: ':1', to: ':1', occurrence: 2, reliability: 7, timeout: 600 },
      ],
      { name: 'Flood from SRC_IP' },
    );
    const ctx2 = aContext();
    w.runtime.events([event('e1', '10.0.0.1', 0)]);
    w.answerAll();
    w.runtime.events([event('e2', '10.0.0.1', 1)]);
    w.runtime.reconfigure(v2, ctx2);
    w.runtime.events([event('e3', '10.0.0.9', 2)]);
    assert.deepEqual(w.changes, [], 'the change took effect with an item in flight');
    assert.equal(w.ports.length, 1, 'an event after the change was decided before it took effect');
    w.answerAll();
    assert.deepEqual(w.changes, [v2]);
    assert.equal(w.ports.length, 2);
    assert.deepEqual(w.ports.map((p) => p.state.rules[1]?.occurrence), [3, 2]);
    assert.equal(w.runtime.directive, v2);
  });
});
