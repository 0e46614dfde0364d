// The trace explain and coverage are built on is the sequential meaning of correlation: folding random work
// (events with redeliveries, out-of-order and unusable timestamps, clock ticks) through a DirectiveTrace gives
// exactly correlateSequentially's backlogs and effects, and a ConfigTrace (quick check, a tick before every
// event) gives them too. On the same runs every explanation fits the step it explains (explainAnswer throws
// otherwise), and every kind of answer and reason occurs.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildNetworkAssets } from '../../../src/asset/network-assets.js';
import type { BacklogEffect } from '../../../src/backlog/transitions.js';
import type { TimedEvent } from '../../../src/correlation/items.js';
import { correlateSequentially, type Work } from '../../../src/correlation/sequential.js';
import type { Directive } from '../../../src/directive/directive.js';
import type { RuleSpec } from '../../../src/directive/rule-spec.js';
import { ConfigTrace } from '../../../src/explain/config-trace.js';
import { DirectiveTrace } from '../../../src/explain/directive-trace.js';
import { explainEvent } from '../../../src/explain/explanation.js';
import { sequentialIds } from '../../../src/shared/ids.js';
import { aContext, aDirective, anAsset, anEvent, at } from '../helpers.js';

const HOSTS = ['10.0.0.1', '10.0.0.2', '192.168.1.1', '8.8.8.8'];
const assets = buildNetworkAssets([anAsset('home', '10.0.0.0/8', 4), anAsset('host-a', '10.0.0.1/32', 5)]);

const stageOne = fc.record({
  plugin_sid: fc.subarray([1, 2], { minLength: 1 }),
  from: fc.constantFrom('ANY', 'HOME_NET', '!HOME_NET', '10.0.0.1'),
  to: fc.constantFrom('ANY', 'ANY', 'HOME_NET', '8.8.8.8'),
  reliability: fc.integer({ min: 1, max: 10 }),
});
const laterStage = fc.record({
  plugin_sid: fc.subarray([1, 2, 3], { minLength: 1 }),
  from: fc.constantFrom(':1', ':1', 'ANY', 'HOME_NET'),
  to: fc.constantFrom(':1', 'ANY', '8.8.8.8'),
  port_to: fc.constantFrom('ANY', 'ANY', '80', ':1'),
  occurrence: fc.integer({ min: 1, max: 3 }),
  reliability: fc.integer({ min: 0, max: 10 }),
  timeout: fc.integer({ min: 1, max: 20 }),
  sticky_different: fc.constantFrom('', '', 'DST_PORT', 'SRC_IP', 'PLUGIN_SID'),
});
const directive: fc.Arbitrary<Directive> = fc
  .record({ first: stageOne, later: fc.array(laterStage, { minLength: 1, maxLength: 3 }), allRulesAlwaysActive: fc.boolean() })
  .map(({ first, later, allRulesAlwaysActive }) => aDirective([first, ...later] as Array<Partial<RuleSpec>>, { name: 'Trace from SRC_IP', allRulesAlwaysActive }));

type Item = { tick: number } | { id: number; sid: number; src: string; dst: string; port: number; dt: number; bad: boolean };
const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ id: fc.nat(30), sid: fc.integer({ min: 1, max: 4 }), src: fc.constantFrom(...HOSTS), dst: fc.constantFrom(...HOSTS), port: fc.constantFrom(22, 80, 443), dt: fc.integer({ min: -8, max: 8 }), bad: fc.integer({ min: 0, max: 15 }).map((n) => n === 0) }) },
  { weight: 1, arbitrary: fc.record({ tick: fc.integer({ min: 0, max: 40 }) }) },
);

/** Events stamped with replay's clock (the latest valid time), ticks moving it on; a last tick expires everything. */
function workOf(items: readonly Item[]): Work[] {
  const work: Work[] = [];
  let time = 0;
  let clock = 0;
  for (const it of items) {
    if ('tick' in it) {
      clock += it.tick * 1000;
      work.push(clock);
      continue;
    }
    time = Math.max(0, time + it.dt);
    const event = anEvent({ event_id: `e${it.id}`, plugin_sid: it.sid, src_ip: it.src, dst_ip: it.dst, dst_port: it.port, timestamp: it.bad ? 'yesterday' : at(time) });
    if (!Number.isNaN(event.time)) clock = Math.max(clock, event.time * 1000);
    work.push({ event, now: clock });
  }
  work.push(clock + 1e12);
  return work;
}

class Recorder {
  readonly created: string[] = [];
  readonly effects = new Map<string, string[]>();
  add(id: string, list: readonly BacklogEffect[]): void {
    const known = this.effects.get(id) ?? [];
    known.push(...list.map((e) => JSON.stringify(e)));
    this.effects.set(id, known);
  }
}

function referenceOf(d: Directive, work: readonly Work[], lifetime: number): Recorder {
  const ref = correlateSequentially(d, work, aContext(assets, { minLifetimeSec: lifetime }), sequentialIds('b'));
  const r = new Recorder();
  r.created.push(...ref.created);
  for (const [id, list] of ref.effects) r.add(id, list);
  return r;
}

const seen = new Set<string>();

function noteKinds(record: ReturnType<typeof explainEvent>): void {
  if (!('directives' in record)) return;
  for (const d of record.directives) {
    seen.add(`outcome:${d.outcome}`);
    for (const b of d.backlogs) seen.add(b.result === 'consumed' ? `consumed:${b.reason}` : b.result === 'counted' && b.miss !== undefined ? 'counted:earlier-stage' : b.result);
  }
}

describe('DirectiveTrace and ConfigTrace: the sequential fold of step, one item at a time (property)', () => {
  it('gives correlateSequentially\'s backlogs and effects, and explanations that fit every step', () => {
    fc.assert(
      fc.property(directive, fc.array(item, { minLength: 3, maxLength: 50 }), fc.constantFrom(0, 0, 3, 1_000_000), (d, items, lifetime) => {
        const work = workOf(items);
        const ctx = aContext(assets, { minLifetimeSec: lifetime });
        const trace = new DirectiveTrace(d, ctx, sequentialIds('b'));
        const got = new Recorder();
        let line = 0;
        for (const w of work) {
          if (typeof w === 'number') {
            for (const x of trace.expireDue(w)) got.add(x.before.id, x.step.effects);
            continue;
          }
          const offer = trace.offer(w);
          for (const a of offer.answers) got.add(a.before.id, a.step.effects);
          if (offer.created !== undefined) {
            got.created.push(offer.created.state.id);
            got.add(offer.created.state.id, offer.created.effects);
          }
          noteKinds(explainEvent(++line, { timed: w, expired: [], offers: [offer] }, ctx));
        }
        const want = referenceOf(d, work, lifetime);
        assert.deepEqual(got.created, want.created);
        assert.deepEqual(got.effects, want.effects);
      }),
      // A fixed seed by default: the check below, that every kind of answer was reached, must not depend on luck
      // (about one seed in a hundred misses a kind in 600 runs). FC_SEED gives other ones.
      { numRuns: Number(process.env.FC_RUNS ?? 600), seed: Number(process.env.FC_SEED ?? 20261201) },
    );
    for (const kind of ['counted', 'not-matched', 'expired', 'counted:earlier-stage', 'consumed:repeated-id', 'consumed:unusable-timestamp', 'consumed:no-new-sticky-value', 'consumed:out-of-order', 'outcome:new-backlog', 'outcome:ignored', 'outcome:counted', 'outcome:consumed']) {
      assert.ok(seen.has(kind), `no run explained a "${kind}" answer: the property did not reach it`);
    }
  });

  it('a ConfigTrace gives each directive the fold with a tick before every event, whichever directives an event reaches', () => {
    fc.assert(
      fc.property(fc.array(directive, { minLength: 1, maxLength: 3 }), fc.array(item, { minLength: 3, maxLength: 40 }), fc.constantFrom(0, 2), (ds, items, lifetime) => {
        const directives = ds.map((d, i) => ({ ...d, id: i + 1, rules: d.rules.map((r) => ({ ...r, plugin_id: 1001 + (i % 2) })) }));
        const events = workOf(items).filter((w): w is TimedEvent => typeof w !== 'number');
        // Ids per directive, as each reference fold draws them.
        const ids = new Map(directives.map((d) => [d.id, sequentialIds('b')]));
        const trace = new ConfigTrace(directives, aContext(assets, { minLifetimeSec: lifetime }), (d) => (ids.get(d.id) ?? sequentialIds('x'))());
        const got = new Map<number, Recorder>(directives.map((d) => [d.id, new Recorder()]));
        const work = new Map<number, Work[]>(directives.map((d) => [d.id, []]));
        for (const timed of events) {
          const t = trace.event(timed);
          for (const x of t.expired) for (const s of x.expired) got.get(x.directive.id)?.add(s.before.id, s.step.effects);
          for (const d of directives) work.get(d.id)?.push(timed.now);
          for (const o of t.offers) {
            work.get(o.directive.id)?.push(timed);
            for (const a of o.answers) got.get(o.directive.id)?.add(a.before.id, a.step.effects);
            if (o.created !== undefined) {
              got.get(o.directive.id)?.created.push(o.created.state.id);
              got.get(o.directive.id)?.add(o.created.state.id, o.created.effects);
            }
          }
        }
        const end = trace.tick(Number.MAX_SAFE_INTEGER);
        for (const x of end) for (const s of x.expired) got.get(x.directive.id)?.add(s.before.id, s.step.effects);
        for (const d of directives) {
          const w = [...(work.get(d.id) ?? []), Number.MAX_SAFE_INTEGER];
          const want = referenceOf(d, w, lifetime);
          assert.deepEqual(got.get(d.id)?.created, want.created, `directive ${d.id}: backlogs`);
          assert.deepEqual(got.get(d.id)?.effects, want.effects, `directive ${d.id}: effects`);
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });
});
