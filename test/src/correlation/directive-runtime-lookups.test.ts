// The directive runtime and intel/vulnerability lookups: a barrier for checkpoints (lookups: false) does not wait
// for a lookup that has not answered (a dead Wise/Nesd server must not hold intake paused), the full barrier
// does; a restored backlog with an alarm and no lookup result is looked up again (its lookup may have been
// running when it was saved).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stepBatch } from '../../../src/backlog/batch.js';
import type { BacklogState } from '../../../src/backlog/state.js';
import { DirectiveRuntime, type DirectiveStats } from '../../../src/correlation/directive-runtime.js';
import type { BacklogAck, BacklogItem, TimedEvent } from '../../../src/correlation/items.js';
import { sequentialIds } from '../../../src/shared/ids.js';
import { aContext, aDirective, anEvent, at } from '../helpers.js';

interface Port {
  state: BacklogState;
  readonly lookedUp: boolean;
  readonly mailbox: Array<readonly BacklogItem[]>;
}

const directive = aDirective(
  [
    { plugin_sid: [1], from: 'ANY', to: 'ANY', reliability: 10 },
    { plugin_sid: [1], from: ':1', to: ':1', occurrence: 3, reliability: 10, timeout: 600 },
  ],
  { name: 'Flood from SRC_IP', priority: 5 },
);
const ctx = aContext();

function world() {
  const ports: Port[] = [];
  const stats: DirectiveStats = { backlogsCreated: 0, activeBacklogs: 0, handled: 0, latencyMsSum: 0, inFlightItems: 0, waits: 0, backlogsExpired: 0, backlogsCompleted: 0 };
  const runtime = new DirectiveRuntime<Port>(
    directive,
    ctx,
    {
      spawn: (state, enrichNow) => {
        const p: Port = { state, lookedUp: enrichNow, mailbox: [] };
        ports.push(p);
        return p;
      },
      send: (p, items) => p.mailbox.push(items),
      stop: () => undefined,
      write: () => undefined,
      newId: sequentialIds('b'),
      now: () => 0,
      maxDelaySec: 0,
      onLate: () => undefined,
      enriches: true,
      reconfigured: () => undefined,
    },
    stats,
  );
  /** Every waiting message is stepped and answered; `enriching`: the backlog's lookup has not answered yet. */
  const answerAll = (enriching: boolean) => {
    const acks: BacklogAck[] = [];
    for (const p of ports) {
      for (let items = p.mailbox.shift(); items !== undefined; items = p.mailbox.shift()) {
        const r = stepBatch(p.state, items, ctx);
        p.state = r.state;
        acks.push({ backlogId: p.state.id, consumed: r.consumed, state: r.state, enriching });
      }
    }
    runtime.answers(acks);
  };
  return { runtime, ports, answerAll };
}

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

  it('a restored backlog with an alarm and no lookup result is looked up again; one with results or without an alarm is not', () => {
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
