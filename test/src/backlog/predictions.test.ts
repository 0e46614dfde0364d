// The directive's predictions at their boundaries: each says "certain" only where `step` cannot answer
// otherwise, and each boundary is checked on both sides.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  canEnd,
  canExpire,
  consumes,
  delivers,
  matchOf,
  predictOffer,
  previewOffer,
  startsBacklog,
  type InFlight,
} from '../../../src/backlog/predictions.js';
import type { BacklogState } from '../../../src/backlog/state.js';
import { knownMatch, startBacklog, step, UNKNOWN_MATCH } from '../../../src/backlog/transitions.js';
import { MatchResult } from '../../../src/rule/match-rule.js';
import type { Directive } from '../../../src/directive/directive.js';
import type { NormalizedEvent } from '../../../src/event/normalized-event.js';
import { aContext, aDirective, anEvent, at, T0 } from '../helpers.js';

const ctx = aContext(undefined, { minLifetimeSec: 0 });
const NOW_MS = T0 * 1000;

function ev(id: string, sid: number, offset: number, extra: Record<string, unknown> = {}): NormalizedEvent {
  return anEvent({ event_id: id, plugin_sid: sid, timestamp: at(offset), src_ip: '192.168.0.10', dst_ip: '8.8.8.8', ...extra });
}

/** Stage 1 sid 1; stage 2 sid 2, occurrence 2, timeout 60; stage 3 sid 3, occurrence 1, timeout 100. */
function threeStages(overrides: Partial<Directive> = {}): Directive {
  return aDirective(
    [
      { plugin_sid: [1], from: 'HOME_NET', to: 'ANY' },
      { plugin_sid: [2], from: ':1', to: ':1', occurrence: 2, timeout: 60, reliability: 5 },
      { plugin_sid: [3], from: ':1', to: ':1', occurrence: 1, timeout: 100, reliability: 5 },
    ],
    overrides,
  );
}

function started(d: Directive = threeStages()): BacklogState {
  return startBacklog(d, ev('e1', 1, 0), ctx, 'b', NOW_MS).state;
}

function counted(state: BacklogState, e: NormalizedEvent): BacklogState {
  return step(state, { type: 'event', event: e, now: NOW_MS, maybeCounted: true, match: UNKNOWN_MATCH }, ctx).state;
}

function inFlight(count: number, minTime = Infinity, ids: readonly string[] = []): InFlight {
  return { count, minTime, hasId: (id) => ids.includes(id) };
}

describe('canEnd: could n more counted events complete the last stage', () => {
  it('needs every remaining occurrence of the current and later stages', () => {
    const s = started(); // stage 2: 0 of 2, stage 3: 0 of 1
    assert.equal(canEnd(s, 2), false);
    assert.equal(canEnd(s, 3), true);
    const one = counted(s, ev('e2', 2, 1)); // stage 2: 1 of 2
    assert.equal(canEnd(one, 1), false);
    assert.equal(canEnd(one, 2), true);
  });
});

describe('canExpire: could the backlog be expired by now in any stage it may move to', () => {
  const s = started(); // stage 2 started at T0, timeout 60: deadline T0 + 60
  it('is false up to the current deadline (strictly before now - lifetime), true one second after', () => {
    assert.equal(canExpire(s, Infinity, T0 + 60, 0), false);
    assert.equal(canExpire(s, Infinity, T0 + 61, 0), true);
    assert.equal(canExpire(s, Infinity, T0 + 61, 1), false);
  });

  it('counts the later stages from the earliest event in flight', () => {
    // Stage 2 (current) times out at T0 + 100; stage 3 has a 10 s timeout: if an event in flight from T0 + 5
    // moved the backlog there, its deadline would be T0 + 15.
    const short = started(
      aDirective([
        { plugin_sid: [1], from: 'HOME_NET', to: 'ANY' },
        { plugin_sid: [2], from: ':1', to: ':1', timeout: 100 },
        { plugin_sid: [3], from: ':1', to: ':1', timeout: 10 },
      ]),
    );
    assert.equal(canExpire(short, Infinity, T0 + 16, 0), false, 'nothing in flight: only the current deadline counts');
    assert.equal(canExpire(short, T0 + 5, T0 + 15, 0), false);
    assert.equal(canExpire(short, T0 + 5, T0 + 16, 0), true);
    assert.equal(canExpire(short, T0 + 5, T0 + 16, 1), false);
  });
});

describe('predictOffer: a backlog with events in flight', () => {
  const s = started();
  const stage2 = ev('x', 2, 5);

  it('is certain the backlog consumes an event every stage it may be in matches, if it can neither end nor expire', () => {
    const both = aDirective([
      { plugin_sid: [1], from: 'HOME_NET', to: 'ANY' },
      { plugin_sid: [2, 3], from: ':1', to: ':1', occurrence: 3, timeout: 60 },
      { plugin_sid: [2, 3], from: ':1', to: ':1', occurrence: 3, timeout: 60 },
    ]);
    const b = started(both);
    assert.equal(predictOffer(b, stage2, ctx, inFlight(5), T0 + 5, false), 'consumed');
    assert.equal(predictOffer(b, stage2, ctx, inFlight(6), T0 + 5, false), 'unknown', 'six in flight could end it');
    assert.equal(predictOffer(b, stage2, ctx, inFlight(5), T0 + 61, false), 'unknown', 'it could have expired');
  });

  it('does not know when a later stage does not match (the in-flight events may move it there)', () => {
    assert.equal(predictOffer(s, stage2, ctx, inFlight(1), T0 + 5, false), 'unknown');
  });

  it('knows the event cannot change a backlog none of whose stages it touches', () => {
    assert.equal(predictOffer(s, ev('x', 9, 5), ctx, inFlight(1), T0 + 5, false), 'unaffected');
    assert.equal(predictOffer(s, ev('x', 2, 5, { src_ip: '10.9.9.9' }), ctx, inFlight(1), T0 + 5, false), 'unaffected');
  });

  it('is certain for an id the backlog counted, and unsure for an id in flight to it', () => {
    const again = ev('e1', 9, 5);
    assert.equal(predictOffer(s, again, ctx, inFlight(1), T0 + 5, true), 'consumed');
    assert.equal(predictOffer(s, again, ctx, inFlight(1), T0 + 5, false), 'unaffected', 'maybeCounted false: nobody holds it');
    const flying = ev('e7', 9, 5);
    assert.equal(predictOffer(s, flying, ctx, inFlight(1, Infinity, ['e7']), T0 + 5, true), 'unknown');
  });

  it('looks at earlier stages too with all_rules_always_active', () => {
    const aaa = started(threeStages({ allRulesAlwaysActive: true }));
    assert.equal(predictOffer(aaa, ev('x', 1, 5), ctx, inFlight(1), T0 + 5, false), 'unknown');
    assert.equal(predictOffer(s, ev('x', 1, 5), ctx, inFlight(1), T0 + 5, false), 'unaffected');
  });

  it('says an ended backlog is unaffected', () => {
    assert.equal(predictOffer({ ...s, ended: 'completed' }, stage2, ctx, inFlight(1), T0 + 5, false), 'unaffected');
  });
});

describe('previewOffer: a backlog with nothing in flight (exact)', () => {
  const s = started();

  it('agrees with step on consumption and on whether the state can change', () => {
    const cases: Array<[string, NormalizedEvent]> = [
      ['matches the current stage', ev('x', 2, 5)],
      ['matches no stage', ev('x', 9, 5)],
      ['matches stage 1 only', ev('x', 1, 5)],
      ['a counted id', ev('e1', 9, 5)],
      ['from another source', ev('x', 2, 5, { src_ip: '10.9.9.9' })],
      ['an unusable time', ev('x', 2, 5, { timestamp: 'no' })],
    ];
    for (const [what, e] of cases) {
      const offer = previewOffer(s, e, ctx, true);
      const r = step(s, { type: 'event', event: e, now: NOW_MS, maybeCounted: true, match: UNKNOWN_MATCH }, ctx);
      assert.equal(consumes(offer), r.consumed, `${what}: consumed`);
      if (!delivers(offer)) assert.equal(r.state, s, `${what}: not delivered, yet step changed the state`);
    }
  });

  it('carries the current stage match for the backlog to reuse, and none when it has none to give', () => {
    assert.equal(matchOf(previewOffer(s, ev('x', 2, 5), ctx, false)), knownMatch(2, MatchResult.Matched));
    assert.equal(matchOf(previewOffer(s, ev('e1', 9, 5), ctx, true)), UNKNOWN_MATCH);
    assert.equal(delivers(previewOffer(s, ev('x', 9, 5), ctx, false)), false);
  });

  it('delivers an event that fails after its sticky value was recorded, from stage 2 on only', () => {
    const sticky = aDirective([
      { plugin_sid: [1], from: 'HOME_NET', to: 'ANY', sticky_different: 'PLUGIN_SID' },
      { plugin_sid: [2], from: ':1', to: ':1', occurrence: 2, timeout: 60, sticky_different: 'PLUGIN_SID' },
    ]);
    const b = started(sticky);
    const wrongSource = ev('x', 2, 5, { src_ip: '10.9.9.9' });
    const offer = previewOffer(b, wrongSource, ctx, false);
    assert.deepEqual([consumes(offer), delivers(offer)], [false, true]);
    assert.equal(matchOf(offer), knownMatch(2, MatchResult.FailedAfterSticky));
  });

  it('ignores everything once the backlog ended', () => {
    const offer = previewOffer({ ...s, ended: 'expired' }, ev('x', 2, 5), ctx, true);
    assert.deepEqual([consumes(offer), delivers(offer)], [false, false]);
  });
});

describe('a known match sent with the event', () => {
  const s = started();
  it('is used only for the stage it was computed for', () => {
    const e = ev('x', 2, 5);
    // A (deliberately wrong) "no match" for stage 2 is believed in stage 2 ...
    const believed = step(s, { type: 'event', event: e, now: NOW_MS, maybeCounted: false, match: knownMatch(2, MatchResult.NoMatch) }, ctx);
    assert.equal(believed.consumed, false);
    // ... and ignored when the backlog is in another stage.
    const ignored = step(s, { type: 'event', event: e, now: NOW_MS, maybeCounted: false, match: knownMatch(3, MatchResult.NoMatch) }, ctx);
    assert.equal(ignored.consumed, true);
  });
});

describe('startsBacklog', () => {
  it('needs the first stage to match and a usable time', () => {
    const d = threeStages();
    assert.equal(startsBacklog(d, ev('x', 1, 0), ctx), true);
    assert.equal(startsBacklog(d, ev('x', 1, 0, { timestamp: 'no' }), ctx), false);
    assert.equal(startsBacklog(d, ev('x', 2, 0), ctx), false);
  });
});
