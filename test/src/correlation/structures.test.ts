// The directive runtime's data structures on their own: its work queue, routing index, event-id index and
// backlog entries.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startBacklog, step, UNKNOWN_MATCH } from '../../../src/backlog/transitions.js';
import { BacklogEntry } from '../../../src/correlation/backlog-entry.js';
import { EventIdIndex } from '../../../src/correlation/event-id-index.js';
import type { BacklogItem, TimedEvent } from '../../../src/correlation/items.js';
import { otherPair, RoutingIndex, type Routable } from '../../../src/correlation/routing-index.js';
import { WorkQueue } from '../../../src/correlation/work-queue.js';
import { aContext, aDirective, anEvent, at, T0 } from '../helpers.js';

const timed = (id: string, now = 0): TimedEvent => ({ event: anEvent({ event_id: id }), now });

describe('WorkQueue', () => {
  it('gives batches event by event and ticks in between, in the order they came', () => {
    const q = new WorkQueue();
    assert.equal(q.empty, true);
    q.pushBatch([timed('a'), timed('b')]);
    q.pushTick(5);
    q.pushBatch([timed('c')]);
    const out: Array<string | number> = [];
    while (!q.empty) {
      const next = q.next();
      out.push(typeof next === 'number' ? next : next.event.event_id);
    }
    assert.deepEqual(out, ['a', 'b', 5, 'c']);
  });

  it('calls a batch\'s done when its last event is taken, and at once for an empty batch', () => {
    const q = new WorkQueue();
    const done: string[] = [];
    q.pushBatch([], () => done.push('empty'));
    q.pushBatch([timed('a'), timed('b')], () => done.push('ab'));
    assert.deepEqual(done, ['empty']);
    q.next();
    assert.deepEqual(done, ['empty']);
    q.next();
    assert.deepEqual(done, ['empty', 'ab']);
    assert.equal(q.empty, true);
  });

  it('keeps the order over any interleaving of pushes and takes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(3).map((n) => ({ push: n })), fc.constant({ take: true }))), (ops) => {
        const q = new WorkQueue();
        const pushed: string[] = [];
        const taken: string[] = [];
        let n = 0;
        for (const op of ops) {
          if ('push' in op) {
            const batch = Array.from({ length: op.push }, () => timed(`e${n++}`));
            pushed.push(...batch.map((t) => t.event.event_id));
            q.pushBatch(batch);
          } else if (!q.empty) {
            taken.push((q.next() as TimedEvent).event.event_id);
          }
        }
        while (!q.empty) taken.push((q.next() as TimedEvent).event.event_id);
        assert.deepEqual(taken, pushed);
      }),
    );
  });
});

interface Item extends Routable {
  readonly name: string;
}
const item = (name: string): Item => ({ name, key: undefined, bucket: undefined, slot: -1 });
const names = (list: readonly Item[] | undefined) => (list ?? []).map((i) => i.name).sort();

describe('RoutingIndex', () => {
  it('files entries under their source host, destination host, or unkeyed', () => {
    const index = new RoutingIndex<Item>();
    const [a, b, c, d] = [item('a'), item('b'), item('c'), item('d')];
    index.add(a, { side: 'src', key: 1 });
    index.add(b, { side: 'src', key: 1 });
    index.add(c, { side: 'dst', key: 1 });
    index.add(d, undefined);
    assert.deepEqual(names(index.bySource(1)), ['a', 'b']);
    assert.deepEqual(names(index.byDestination(1)), ['c']);
    assert.deepEqual(names(index.unkeyed), ['d']);
    assert.equal(index.bySource(2), undefined);
    assert.equal(index.size, 4);
  });

  it('files entries keyed on a host pair under their source, and tells the pairs of other destinations', () => {
    const index = new RoutingIndex<Item>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    index.add(a, { side: 'pair', key: 1, dst: 2 });
    index.add(b, { side: 'pair', key: 1, dst: 3 });
    index.add(c, { side: 'src', key: 1 });
    assert.deepEqual(names(index.bySource(1)), ['a', 'b', 'c']);
    assert.equal(index.byDestination(2), undefined);
    assert.deepEqual(names(index.bySource(1)?.filter((x) => !otherPair(x, 2))), ['a', 'c']);
    index.rekey(a, { side: 'pair', key: 1, dst: 2 });
    assert.equal(a.key?.side, 'pair');
    index.rekey(a, { side: 'pair', key: 1, dst: 3 });
    assert.deepEqual(names(index.bySource(1)?.filter((x) => !otherPair(x, 2))), ['c']);
    index.remove(a);
    index.remove(b);
    index.remove(c);
    assert.equal(index.bySource(1), undefined);
    assert.equal(index.size, 0);
  });

  it('removes by swapping the last entry into the slot, and drops empty buckets', () => {
    const index = new RoutingIndex<Item>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    for (const x of [a, b, c]) index.add(x, { side: 'src', key: 7 });
    index.remove(a);
    assert.deepEqual(names(index.bySource(7)), ['b', 'c']);
    assert.equal(c.slot, 0);
    index.remove(a); // twice: nothing happens
    index.remove(b);
    index.remove(c);
    assert.equal(index.bySource(7), undefined);
    assert.equal(index.size, 0);
  });

  it('moves an entry when its key changes, and refuses one added twice', () => {
    const index = new RoutingIndex<Item>();
    const a = item('a');
    index.add(a, { side: 'src', key: 1 });
    index.rekey(a, { side: 'dst', key: '6:1' });
    assert.equal(index.bySource(1), undefined);
    assert.deepEqual(names(index.byDestination('6:1')), ['a']);
    index.rekey(a, undefined);
    assert.deepEqual(names(index.unkeyed), ['a']);
    assert.throws(() => index.add(a, undefined), /added twice/);
  });

  it('holds exactly the entries added and not removed, under any sequence (property)', () => {
    const key = fc.oneof(
      fc.constant(undefined),
      fc.record({ side: fc.constantFrom('src' as const, 'dst' as const), key: fc.nat(2) }),
      fc.record({ side: fc.constant('pair' as const), key: fc.nat(2), dst: fc.nat(2) }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5), fc.constantFrom('add', 'remove', 'rekey'), key)), (ops) => {
        const index = new RoutingIndex<Item>();
        const items = Array.from({ length: 6 }, (_, i) => item(`i${i}`));
        const where = new Map<Item, string>();
        const label = (k: typeof ops[number][2]) => (k === undefined ? 'unkeyed' : k.side === 'pair' ? `pair:${k.key}:${k.dst}` : `${k.side}:${k.key}`);
        const bucketOf = (expected: string) => {
          const [side, a] = expected.split(':');
          if (side === 'unkeyed') return index.unkeyed;
          if (side === 'pair') return index.bySource(Number(a));
          return side === 'src' ? index.bySource(Number(a)) : index.byDestination(Number(a));
        };
        // A pair-keyed entry is in its source's bucket, and told apart from other destinations' by `otherPair`.
        const pairOk = (x: Item, expected: string) => {
          const [side, , b] = expected.split(':');
          return side !== 'pair' || (!otherPair(x, Number(b)) && otherPair(x, Number(b) + 1));
        };
        for (const [i, op, k] of ops) {
          const x = items[i] as Item;
          if (op === 'add' && !where.has(x)) {
            index.add(x, k);
            where.set(x, label(k));
          } else if (op === 'remove') {
            index.remove(x);
            where.delete(x);
          } else if (op === 'rekey' && where.has(x)) {
            index.rekey(x, k);
            where.set(x, label(k));
          }
        }
        for (const x of items) {
          const expected = where.get(x);
          const bucket = expected === undefined ? undefined : bucketOf(expected);
          if (expected === undefined) assert.equal(x.bucket, undefined);
          else {
            assert.equal(bucket?.[x.slot], x, `${x.name} in ${expected}`);
            assert.ok(pairOk(x, expected), `${x.name} keyed ${expected}`);
          }
        }
        assert.equal(index.size, where.size);
      }),
    );
  });
});

const ctx = aContext(undefined, { minLifetimeSec: 0 });
const directive = aDirective([
  { plugin_sid: [1], from: 'HOME_NET', to: 'ANY' },
  { plugin_sid: [2], from: ':1', to: ':1', occurrence: 3, timeout: 60 },
]);
const ev = (id: string, sid: number, offset: number) => anEvent({ event_id: id, plugin_sid: sid, timestamp: at(offset), src_ip: '192.168.0.10' });
const eventItem = (id: string, sid: number, offset: number, seq: number): BacklogItem => ({
  type: 'event',
  event: ev(id, sid, offset),
  now: T0 * 1000,
  maybeCounted: false,
  match: UNKNOWN_MATCH,
  seq,
});

describe('EventIdIndex', () => {
  it('counts holders of an id and forgets it with the last one', () => {
    const ids = new EventIdIndex();
    ids.add('a');
    ids.add('a');
    ids.remove('a');
    assert.equal(ids.has('a'), true);
    ids.remove('a');
    assert.equal(ids.has('a'), false);
    assert.equal(ids.size, 0);
  });

  it('settles an answer: ids in flight become counted ids, ids not counted are released', () => {
    const before = startBacklog(directive, ev('e1', 1, 0), ctx, 'b', T0 * 1000).state;
    const ids = new EventIdIndex();
    ids.addCounted(before);
    const sent = [eventItem('e2', 2, 1, 1), eventItem('e9', 9, 2, 2), eventItem('e3', 2, 3, 3)];
    for (const i of sent) if (i.type === 'event') ids.add(i.event.event_id);
    let after = before;
    for (const i of sent) after = step(after, i, ctx).state;
    ids.settle(sent, before, after);
    assert.equal(ids.has('e1'), true);
    assert.equal(ids.has('e2'), true);
    assert.equal(ids.has('e3'), true);
    assert.equal(ids.has('e9'), false, 'not counted: released');
    ids.removeCounted(after);
    assert.equal(ids.size, 0);
  });

  it('after any answer, holds exactly the ids the new state counted (property)', () => {
    const pool = ['e1', 'e2', 'e3', 'e4'];
    const anItem = fc.tuple(fc.constantFrom(...pool), fc.constantFrom(1, 2, 9), fc.nat(5), fc.boolean());
    fc.assert(
      fc.property(fc.array(anItem, { maxLength: 8 }), fc.array(anItem, { maxLength: 8 }), (earlier, sent) => {
        const items = (list: typeof sent) =>
          list.map(([id, sid, offset, expire], i): BacklogItem => (expire && sid === 9 ? { type: 'expire', now: T0 * 1000, seq: i } : eventItem(id, sid, offset, i)));
        let before = startBacklog(directive, ev('e0', 1, 0), ctx, 'b', T0 * 1000).state;
        for (const i of items(earlier)) before = step(before, i, ctx).state;
        const answered = items(sent);
        const ids = new EventIdIndex();
        ids.addCounted(before);
        for (const i of answered) if (i.type === 'event') ids.add(i.event.event_id);
        let after = before;
        for (const i of answered) after = step(after, i, ctx).state;
        ids.settle(answered, before, after);
        const expected = new EventIdIndex();
        expected.addCounted(after);
        for (const id of ['e0', ...pool]) assert.equal(ids.has(id), expected.has(id), id);
        assert.equal(ids.size, expected.size);
        ids.removeCounted(after);
        assert.equal(ids.size, 0, 'every count as the new state holds it');
      }),
    );
  });
});

describe('BacklogEntry', () => {
  const state = startBacklog(directive, ev('e1', 1, 0), ctx, 'b', T0 * 1000).state;

  it('keeps items in flight and in its outbox apart, and the earliest time in flight', () => {
    const entry = new BacklogEntry('port', state, false, false);
    entry.push(eventItem('e2', 2, 10, 1));
    entry.push(eventItem('e3', 2, 5, 2));
    entry.push({ type: 'expire', now: 0, seq: 3 });
    assert.equal(entry.count, 3);
    assert.equal(entry.minTime, T0 + 5);
    assert.equal(entry.hasId('e3'), true);
    assert.equal(entry.hasId('e1'), false);
    assert.equal(entry.takeOutbox().length, 3);
    assert.equal(entry.outbox.length, 0);
    assert.equal(entry.count, 3, 'taking the outbox does not answer anything');
    assert.deepEqual(entry.settle(2).map((i) => i.seq), [1, 2]);
    assert.equal(entry.minTime, Infinity);
    assert.deepEqual(entry.settle(5).map((i) => i.seq), [3]);
    assert.equal(entry.count, 0);
  });

  it('keeps the earliest time in flight as items come and go', () => {
    const entry = new BacklogEntry('port', state, false, false);
    assert.equal(entry.minTime, Infinity);
    entry.push(eventItem('e2', 2, 5, 1));
    entry.push(eventItem('e3', 2, 9, 2));
    assert.equal(entry.minTime, T0 + 5);
    entry.push(eventItem('e4', 2, 7, 3));
    assert.equal(entry.minTime, T0 + 5);
    entry.settle(1);
    assert.equal(entry.minTime, T0 + 7);
    entry.push(eventItem('e5', 2, 1, 4));
    assert.equal(entry.minTime, T0 + 1);
    entry.settle(3);
    assert.equal(entry.minTime, Infinity);
    entry.push(eventItem('e6', 2, 3, 5));
    assert.equal(entry.minTime, T0 + 3);
  });

  it('starts closing when its state has ended', () => {
    assert.equal(new BacklogEntry(0, { ...state, ended: 'expired' }, false, false).closing, true);
    assert.equal(new BacklogEntry(0, state, true, true).enriching, true);
  });
});
