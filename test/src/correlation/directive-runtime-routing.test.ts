// The directive runtime's routing of an event to the backlogs it can touch, with backlogs keyed on a host pair
// (`:1 -> :1`): an event of the same source to another destination is not offered to them, and still expires them
// when their deadline has passed, as it did when they were keyed on their source alone.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { routingKey } from '../../../src/backlog/routing-key.js';
import type { TimedEvent } from '../../../src/correlation/items.js';
import { T0, aContext, aDirective, anEvent, at } from '../helpers.js';
import { runtimeWorld, type Port } from './runtime-world.js';

const ctx = aContext(undefined, { minLifetimeSec: 0 });
const directive = aDirective(
  [
    { plugin_sid: [1], from: 'ANY', to: 'ANY' },
    { plugin_sid: [1], from: ':1', to: ':1', occurrence: 3, reliability: 5, timeout: 10 },
  ],
  { name: 'Pair SRC_IP to DST_IP' },
);

const world = () => runtimeWorld(directive, ctx);

const event = (id: string, dst: string, t: number): TimedEvent => ({
  event: anEvent({ event_id: id, src_ip: '10.0.0.1', dst_ip: dst, timestamp: at(t) }),
  now: (T0 + t) * 1000,
});

describe('directive runtime: pair-keyed backlogs', () => {
  it('are keyed on their pair once past stage 1', () => {
    const w = world();
    w.runtime.events([event('e1', '192.168.1.1', 0)]);
    assert.equal(w.ports.length, 1);
    assert.deepEqual(routingKey((w.ports[0] as Port).state), { side: 'pair', key: 0x0a000001, dst: 0xc0a80101 | 0 });
  });

  it('are not offered an event of their source to another destination, which starts a backlog of its own', () => {
    const w = world();
    w.runtime.events([event('e1', '192.168.1.1', 0)]);
    w.runtime.events([event('e2', '192.168.1.2', 1), event('e3', '192.168.1.1', 2)]);
    const [first, second] = w.ports as [Port, Port];
    assert.equal(w.ports.length, 2);
    assert.deepEqual(first.mailbox.flat().map((i) => (i.type === 'event' ? i.event.event_id : i.type)), ['e3']);
    assert.equal(second.state.srcIps[0], '10.0.0.1');
    assert.equal(second.state.dstIps[0], '192.168.1.2');
  });

  it('are expired by an event of their source to another destination once their deadline has passed', () => {
    const w = world();
    w.runtime.events([event('e1', '192.168.1.1', 0)]);
    // The batch starts at t = 1 (its expiry check expires nothing); the event at t = 30 is past both deadlines.
    w.runtime.events([event('e2', '192.168.1.3', 1), event('e3', '192.168.1.2', 30)]);
    assert.equal(w.ports.length, 3);
    const [first, second] = w.ports as [Port, Port, Port];
    assert.deepEqual(first.mailbox.flat().map((i) => i.type), ['expire']);
    assert.deepEqual(second.mailbox.flat().map((i) => i.type), ['expire']);
    w.answerAll();
    assert.equal(first.state.ended, 'expired');
    assert.equal(w.stats.backlogsExpired, 2);
  });
});
