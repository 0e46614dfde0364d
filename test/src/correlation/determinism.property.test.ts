// Determinism (D6), proven by property: for random directives, events (with redeliveries, out-of-order and
// unusable timestamps), clock ticks, batch sizes, and any schedule of backlog messages and answers, the
// directive runtime creates the same backlogs, and each backlog gets the same effects in the same order, as the
// sequential fold of `step` (src/correlation/sequential.ts).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildNetworkAssets } from '../../../src/asset/network-assets.js';
import { toBacklogJson } from '../../../src/backlog/backlog-json.js';
import type { BacklogEffect } from '../../../src/backlog/transitions.js';
import { correlateSequentially, type ConfigSwitch, type Work } from '../../../src/correlation/sequential.js';
import type { TimedEvent } from '../../../src/correlation/items.js';
import type { Directive } from '../../../src/directive/directive.js';
import type { RuleSpec } from '../../../src/directive/rule-spec.js';
import { sequentialIds } from '../../../src/shared/ids.js';
import { aContext, aDirective, anAsset, anEvent, at } from '../helpers.js';
import { simulate, type Feed } from './simulation.js';

const ADDRESSES = ['10.0.0.1', '10.0.0.2', '192.168.1.1', '8.8.8.8'];
const assets = buildNetworkAssets([anAsset('home', '10.0.0.0/8', 4), anAsset('host-a', '10.0.0.1/32', 5), anAsset('lab', '192.168.1.0/24', 2)]);
/** What a reload may bring instead: other values, another HOME_NET, a host asset gone. */
const otherAssets = buildNetworkAssets([anAsset('home', '192.168.0.0/16', 3), anAsset('dmz', '8.8.8.0/24', 5), anAsset('lab', '10.0.0.0/8', 1)]);

// Pools small enough that events meet the rules often: backlogs are made, fed, completed and expired.
const sids = fc.subarray([1, 2, 3], { minLength: 1 });
const firstAddress = fc.constantFrom('ANY', 'ANY', 'ANY', 'HOME_NET', '!HOME_NET', ...ADDRESSES);
const laterAddress = fc.constantFrom('ANY', 'HOME_NET', ':1', ':1', ':1', ...ADDRESSES);

const firstRule = fc.record({
  plugin_sid: sids,
  from: firstAddress,
  to: firstAddress,
  port_to: fc.constantFrom('ANY', 'ANY', 'ANY', '80', '22, 80'),
  reliability: fc.integer({ min: 0, max: 10 }),
  timeout: fc.integer({ min: 0, max: 15 }),
});
const laterRule = fc.record({
  plugin_sid: sids,
  from: laterAddress,
  to: laterAddress,
  port_to: fc.constantFrom('ANY', '80', ':1', '!22'),
  occurrence: fc.integer({ min: 1, max: 3 }),
  reliability: fc.integer({ min: 0, max: 10 }),
  timeout: fc.integer({ min: 0, max: 20 }),
  sticky_different: fc.constantFrom('', '', '', 'SRC_IP', 'DST_IP', 'DST_PORT', 'PLUGIN_SID'),
});

const directiveArb: fc.Arbitrary<Directive> = fc
  .record({
    first: firstRule,
    later: fc.array(laterRule, { minLength: 1, maxLength: 3 }),
    priority: fc.integer({ min: 1, max: 5 }),
    allRulesAlwaysActive: fc.boolean(),
  })
  .map(({ first, later, priority, allRulesAlwaysActive }) =>
    aDirective([first, ...later] as Array<Partial<RuleSpec>>, { name: 'Sim from SRC_IP to DST_IP', priority, allRulesAlwaysActive }),
  );

/** One step of the input: an event (fields drawn from small pools, so that they meet), or a clock tick. */
const stepArb: fc.Arbitrary<StepSpec> = fc.oneof(
  { weight: 9, arbitrary: fc.record({ kind: fc.constant('event' as const), id: fc.nat(40), sid: fc.integer({ min: 1, max: 3 }), src: fc.constantFrom(...ADDRESSES), dst: fc.constantFrom(...ADDRESSES), port: fc.constantFrom(22, 80, 443), dt: fc.integer({ min: -8, max: 9 }), badTime: fc.integer({ min: 0, max: 19 }).map((n) => n === 0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 30 }) }) },
);

type StepSpec =
  | { kind: 'event'; id: number; sid: number; src: string; dst: string; port: number; dt: number; badTime: boolean }
  | { kind: 'tick'; dt: number }
  | { kind: 'change'; version: number };

/** The steps above, with now and then a hot reload (one of the drawn versions of the directive and assets). */
const stepOrChangeArb: fc.Arbitrary<StepSpec> = fc.oneof(
  { weight: 12, arbitrary: stepArb },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('change' as const), version: fc.nat() }) },
);

interface Scenario {
  readonly work: Array<Work | ConfigSwitch>;
  readonly feeds: Feed[];
}

/** Events get replay's clock (the latest event time seen); batches are cut at the drawn sizes. */
function scenario(steps: ReadonlyArray<StepSpec>, cuts: readonly number[], versions: readonly ConfigSwitch[] = []): Scenario {
  let time = 0;
  let clockMs = 0;
  const work: Array<Work | ConfigSwitch> = [];
  const feeds: Feed[] = [];
  let batch: TimedEvent[] = [];
  let cut = 0;
  const endBatch = () => {
    if (batch.length === 0) return;
    feeds.push({ batch });
    // The runtime checks expiry at the first event of every batch: the fold does the same.
    work.push((batch[0] as TimedEvent).now, ...batch);
    batch = [];
  };
  for (const s of steps) {
    if (s.kind === 'change') {
      const change = versions[s.version % Math.max(1, versions.length)];
      if (change === undefined) continue;
      endBatch();
      feeds.push({ change });
      work.push(change);
      continue;
    }
    if (s.kind === 'tick') {
      endBatch();
      clockMs += s.dt * 1000;
      feeds.push({ tick: clockMs });
      work.push(clockMs);
      continue;
    }
    time = Math.max(0, time + s.dt);
    const event = anEvent({
      event_id: `e${s.id}`,
      plugin_sid: s.sid,
      src_ip: s.src,
      dst_ip: s.dst,
      dst_port: s.port,
      timestamp: s.badTime ? 'not a time' : at(time),
    });
    if (!Number.isNaN(event.time)) clockMs = Math.max(clockMs, event.time * 1000);
    batch.push({ event, now: clockMs });
    if (batch.length >= (cuts[cut % cuts.length] ?? 1)) {
      cut++;
      endBatch();
    }
  }
  endBatch();
  // A last tick far ahead expires every backlog. A backlog notices its deadline at a tick or at an event offered
  // to it; the fold offers every event to every backlog, the runtime only to the backlogs it can touch, so they
  // may notice at different events. Expiry's effects do not depend on when (an expired backlog consumes and
  // counts nothing), so the runs are compared once everything has expired.
  clockMs += 1e12;
  feeds.push({ tick: clockMs });
  work.push(clockMs);
  return { work, feeds };
}

const lines = (effects: readonly BacklogEffect[] | undefined) => (effects ?? []).map((e) => JSON.stringify(e));

function assertSameRun(directive: Directive, sc: Scenario, choices: readonly number[], lifetimeSec: number): { waits: number; batched: number; created: number; changes: number } {
  const ctx = aContext(assets, { minLifetimeSec: lifetimeSec });
  const expected = correlateSequentially(directive, sc.work, ctx, sequentialIds('b'));
  const actual = simulate(directive, sc.feeds, aContext(assets, { minLifetimeSec: lifetimeSec }), sequentialIds('b'), choices);
  assert.equal(actual.settled, true, 'the final barrier was not answered');
  assert.deepEqual(actual.created, expected.created, 'backlogs created');
  for (const id of expected.created) assert.deepEqual(lines(actual.effects.get(id)), lines(expected.effects.get(id)), `effects of backlog ${id}`);
  const json = (states: readonly Parameters<typeof toBacklogJson>[0][]) => states.map((s) => JSON.stringify(toBacklogJson(s))).sort();
  assert.deepEqual(json(actual.live), json(expected.live), 'live backlogs at the end');
  assert.equal(actual.stats.inFlightItems, 0);
  assert.equal(actual.stats.activeBacklogs, expected.live.length);
  return { waits: actual.stats.waits, batched: actual.multiItemMessages, created: actual.created.length, changes: actual.changes };
}

describe('directive runtime determinism (D6)', () => {
  it('gives the effects of the sequential fold of step, for any batches and any schedule of backlog answers (property)', () => {
    let waits = 0;
    let batched = 0;
    let runs = 0;
    let created = 0;
    fc.assert(
      fc.property(
        directiveArb,
        fc.array(stepArb, { minLength: 5, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        fc.constantFrom(0, 0, 5, 1_000_000),
        (directive, steps, cuts, choices, lifetime) => {
          const r = assertSameRun(directive, scenario(steps, cuts), choices, lifetime);
          waits += r.waits;
          created += r.created;
          batched += r.batched;
          runs++;
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 1000), ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}) },
    );
    // The property is only as good as the paths it reached: decisions that waited for an answer, and
    // backlog messages of several items (working copies), must both have occurred.
    if (process.env.FC_VERBOSE) console.log({ runs, waits, batched, created });
    assert.ok(waits > 0, `no decision waited for a backlog's answer in ${runs} runs`);
    assert.ok(batched > 0, `no backlog message held several items in ${runs} runs`);
  });

  it('gives the effects of the sequential fold across hot reloads: new directive versions and assets from the change on, live backlogs keep their rules (property)', () => {
    let changes = 0;
    let waitsBeforeChange = 0;
    fc.assert(
      fc.property(
        directiveArb,
        fc.array(directiveArb, { minLength: 1, maxLength: 3 }),
        fc.array(stepOrChangeArb, { minLength: 5, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        fc.constantFrom(0, 5, 1_000_000),
        (directive, versions, steps, cuts, choices, lifetime) => {
          const switches = versions.flatMap((v, i) => [
            { directive: v, ctx: aContext(i % 2 === 0 ? otherAssets : assets, { minLifetimeSec: lifetime }) },
            { directive, ctx: aContext(otherAssets, { minLifetimeSec: lifetime }) },
          ]);
          const r = assertSameRun(directive, scenario(steps, cuts, switches), choices, lifetime);
          changes += r.changes;
          if (r.changes > 0) waitsBeforeChange += r.waits;
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 500), ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}) },
    );
    assert.ok(changes > 0, 'no change took effect');
    assert.ok(waitsBeforeChange > 0, 'no run with a change had a decision wait for an answer');
  });

  it('gives the same effects when every answer comes at once and when each comes alone', () => {
    const directive = aDirective([
      { plugin_sid: [1], from: 'HOME_NET', to: 'ANY' },
      { plugin_sid: [2], from: ':1', to: ':1', occurrence: 2, reliability: 5, timeout: 30 },
    ]);
    const events = ['a', 'b', 'c', 'd'].flatMap((x, i) => [
      { kind: 'event' as const, id: i * 2, sid: 1, src: '10.0.0.1', dst: '8.8.8.8', port: 80, dt: 1, badTime: false },
      { kind: 'event' as const, id: i * 2 + 1, sid: x === 'b' ? 1 : 2, src: '10.0.0.1', dst: '8.8.8.8', port: 80, dt: 1, badTime: false },
    ]);
    const sc = scenario(events, [3]);
    assertSameRun(directive, sc, [], 0);
    assertSameRun(directive, sc, Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 1 : 3 * i + 2)), 0);
  });
});
