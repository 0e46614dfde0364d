import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildNetworkAssets } from '../../../src/asset/network-assets.js';
import { idsToArray } from '../../../src/backlog/event-ids.js';
import { fromBacklogJson, toBacklogJson } from '../../../src/backlog/backlog-json.js';
import { stepBatch } from '../../../src/backlog/batch.js';
import { consumes, delivers, previewOffer as preview, startsBacklog } from '../../../src/backlog/predictions.js';
import { deadlineOf, hasEvent, isExpired, type BacklogContext, type BacklogState } from '../../../src/backlog/state.js';
import {
  backlogTitle,
  startBacklog,
  step as stepOne,
  UNKNOWN_MATCH,
  type BacklogEffect,
  type BacklogInput,
  type Step,
} from '../../../src/backlog/transitions.js';
import type { AlarmDocument } from '../../../src/alarm/alarm.js';
import type { Directive } from '../../../src/directive/directive.js';
import type { NormalizedEvent } from '../../../src/event/normalized-event.js';
import { aContext, aDirective, anAsset, anEvent, at, deepFreeze, ip, T0 } from '../helpers.js';

/** Stepping without expiry (a minimum lifetime no deadline reaches); the expiry tests set their own. */
const ctx = aContext(undefined, { minLifetimeSec: Number.MAX_SAFE_INTEGER });

function eventInput(e: NormalizedEvent, nowMs: number, maybeCounted = true): BacklogInput {
  return { type: 'event', event: e, now: nowMs, maybeCounted, match: UNKNOWN_MATCH };
}

/** One event through `step` (the ordinary, copying path). */
function stepBacklog(state: BacklogState, e: NormalizedEvent, c: BacklogContext = ctx, nowMs = NOW, maybeCounted = true): Step {
  return stepOne(state, eventInput(e, nowMs, maybeCounted), c);
}

function expireBacklog(state: BacklogState, c: BacklogContext = ctx): Step {
  return stepOne(state, { type: 'expire', now: NOW }, c);
}

/** `step` with an event at clock time nowMs and a minimum lifetime: expires first when the deadline passed. */
function offerEvent(state: BacklogState, e: NormalizedEvent, c: BacklogContext, nowMs: number, minLifetimeSec: number): Step {
  return stepOne(state, eventInput(e, nowMs), { ...c, minLifetimeSec });
}

/** The preview as the two answers a directive reads from it. */
function previewOffer(state: BacklogState, e: NormalizedEvent, c: BacklogContext = ctx): { consumed: boolean; deliver: boolean } {
  const offer = preview(state, e, c, true);
  return { consumed: consumes(offer), deliver: delivers(offer) };
}

/** A stage with its id list as an array (oldest first), for comparisons. */
function plainStage(stage: BacklogState['stages'][number] | undefined) {
  return stage === undefined ? undefined : { ...stage, event_ids: idsToArray(stage.event_ids) };
}
/** Clock time (ms) of the test run: well after the events, as in a replay. */
const NOW = (T0 + 1000) * 1000;
const ID = 'alarm-1';

// ---- pure-call wrappers: every call runs on a deep-frozen state and checks the state did not change ----------

function create(directive: Directive, e: NormalizedEvent, nowMs = NOW): Step {
  deepFreeze(directive);
  const before = JSON.stringify(directive);
  const t = startBacklog(directive, e, ctx, ID, nowMs);
  assert.equal(JSON.stringify(directive), before, 'startBacklog changed the directive');
  return t;
}

function step(state: BacklogState, e: NormalizedEvent, nowMs = NOW): Step {
  deepFreeze(state);
  const before = JSON.stringify(state);
  const r = stepBacklog(state, e, ctx, nowMs);
  assert.equal(JSON.stringify(state), before, 'step changed its input state');
  return r;
}

function expire(state: BacklogState): Step {
  deepFreeze(state);
  const before = JSON.stringify(state);
  const t = expireBacklog(state, ctx);
  assert.equal(JSON.stringify(state), before, 'step (expire) changed its input state');
  return t;
}

/** Runs events in order from a state, returning the final step. */
function steps(state: BacklogState, ...events: NormalizedEvent[]): Step {
  let last: Step = { consumed: false, state, effects: [] };
  for (const e of events) last = step(last.state, e);
  return last;
}

function eventLine(stage: number, event_id: string): BacklogEffect {
  return { type: 'alarm-event', record: { alarm_id: ID, stage, event_id } };
}

function alarms(effects: readonly BacklogEffect[]): AlarmDocument[] {
  return effects.flatMap((e) => (e.type === 'alarm' ? [e.alarm] : []));
}

function effectTypes(effects: readonly BacklogEffect[]): string[] {
  return effects.map((e) => e.type);
}

// ---- directives and events ------------------------------------------------------------------------------------

/** Priority 3; stage 1 rel 1 (risk 0), stage 2 occ 2 rel 5 (risk 3), stage 3 rel 10 (risk 6). */
function threeStages(overrides: Partial<Directive> = {}): Directive {
  return aDirective(
    [
      { plugin_sid: [1], from: 'HOME_NET', to: 'ANY', reliability: 1, timeout: 0 },
      { plugin_sid: [2], from: ':1', to: ':1', reliability: 5, occurrence: 2, timeout: 60 },
      { plugin_sid: [3], from: ':1', to: ':1', reliability: 10, timeout: 120 },
    ],
    { name: 'Scan from SRC_IP to DST_IP', ...overrides },
  );
}

function ev(id: string, sid: number, offsetSeconds: number, extra: Record<string, unknown> = {}): NormalizedEvent {
  return anEvent({ event_id: id, plugin_sid: sid, timestamp: at(offsetSeconds), src_ip: '192.168.0.10', dst_ip: '8.8.8.8', ...extra });
}

const e1 = ev('e1', 1, 0);

describe('stepBatch (one message of inputs, on a working copy)', () => {
  it('gives the states and effects that stepping one by one gives, and never changes the state it started from', () => {
    const directive = aDirective(
      [
        { plugin_sid: [1], from: 'HOME_NET', to: 'ANY', reliability: 1, timeout: 0 },
        { plugin_sid: [2], from: ':1', to: ':1', reliability: 5, occurrence: 2, timeout: 60 },
        { plugin_sid: [3], from: ':1', to: ':1', reliability: 10, occurrence: 4, timeout: 120 },
      ],
      { name: 'Scan from SRC_IP' },
    );
    const start = create(directive, e1).state;
    deepFreeze(start);
    const startJson = JSON.stringify(toBacklogJson(start));
    const events = [
      ev('e2', 2, 10, { custom_label1: 'user', custom_data1: 'alice', src_port: 4000 }),
      ev('e3', 2, 20, { custom_label1: 'user', custom_data1: 'bob' }),
      ev('e4', 3, 30),
      ev('e9', 9, 31),
      ev('e5', 3, 40, { dst_port: 443 }),
      ev('e4', 3, 41),
      ev('e6', 3, 50),
      ev('e7', 3, 60),
    ];
    // Reference: ordinary immutable steps, effects serialised as they happen.
    let plain = start;
    const plainLines: string[] = [];
    const plainConsumed: boolean[] = [];
    for (const e of events) {
      const r = stepBacklog(plain, e);
      plain = r.state;
      plainConsumed.push(r.consumed);
      plainLines.push(...r.effects.map((x) => JSON.stringify(x)));
    }
    const batch = stepBatch(start, events.map((e) => eventInput(e, NOW)), ctx);
    assert.deepEqual(batch.effects.map((x) => JSON.stringify(x)), plainLines);
    assert.deepEqual(batch.consumed, plainConsumed);
    assert.equal(JSON.stringify(toBacklogJson(batch.state)), JSON.stringify(toBacklogJson(plain)));
    assert.equal(JSON.stringify(toBacklogJson(start)), startJson);
    assert.equal(batch.state.ended, 'completed');
    assert.equal(batch.lookup, true, 'alarms were written: the addresses are to be looked up');
  });
});

describe('startBacklog', () => {
  it('counts the first event in stage 1, finishes it and starts stage 2 at the event time', () => {
    const { state } = create(threeStages(), e1);
    assert.equal(state.id, ID);
    assert.equal(state.currentStage, 2);
    assert.deepEqual(plainStage(state.stages[0]), { start_time: T0, end_time: T0, status: 'finished', event_ids: ['e1'], sticky: [] });
    assert.deepEqual(plainStage(state.stages[1]), { start_time: T0, end_time: 0, status: '', event_ids: [], sticky: [] });
    assert.deepEqual(plainStage(state.stages[2]), { start_time: 0, end_time: 0, status: '', event_ids: [], sticky: [] });
    assert.deepEqual(state.srcIps, ['192.168.0.10']);
    assert.deepEqual(state.dstIps, ['8.8.8.8']);
    assert.equal(state.updateTime, NOW / 1000);
    assert.equal(state.ended, '');
  });

  it('resolves the references of later stages from the first event', () => {
    const { state } = create(threeStages(), e1);
    assert.equal(state.rules[0]?.from, 'HOME_NET');
    assert.equal(state.rules[1]?.from, '192.168.0.10');
    assert.equal(state.rules[1]?.to, '8.8.8.8');
    assert.equal(state.rules[2]?.from, '192.168.0.10');
  });

  it('writes only an alarm-event line while the risk is 0 (3 x 1 x 5 / 25)', () => {
    const { state, effects } = create(threeStages(), e1);
    assert.equal(state.risk, 0);
    assert.equal(state.riskClass, '');
    assert.equal(state.createdTime, 0);
    assert.deepEqual(effects, [eventLine(1, 'e1')]);
  });

  it('writes an alarm at creation when stage 1 already gives risk >= 1 (5 x 1 x 5 / 25 = 1)', () => {
    const { state, effects } = create(threeStages({ priority: 5 }), e1, NOW + 7000);
    assert.deepEqual(effectTypes(effects), ['alarm-event', 'alarm']);
    const [alarm] = alarms(effects);
    assert.equal(alarm?.risk, 1);
    assert.equal(alarm?.risk_class, 'Low');
    assert.equal(alarm?.created_time, NOW / 1000 + 7);
    assert.equal(state.createdTime, NOW / 1000 + 7);
    assert.deepEqual(alarm?.networks, ['192.168.0.0/16']);
  });

  it('only starts from an event that matches stage 1 and has a usable timestamp', () => {
    const d = threeStages();
    assert.equal(startsBacklog(d, e1, ctx), true);
    assert.equal(startsBacklog(d, ev('x', 2, 0), ctx), false);
    assert.equal(startsBacklog(d, ev('x', 1, 0, { src_ip: '8.8.4.4' }), ctx), false);
    assert.equal(startsBacklog(d, ev('x', 1, 0, { timestamp: 'not a time' }), ctx), false);
  });

  it('records the custom data, ports and receive time of the first event', () => {
    const e = ev('e1', 1, 0, { custom_label1: 'user', custom_data1: 'alice', custom_label2: 'host', custom_data2: '', rcvd_time: 42 });
    const { state } = create(threeStages(), e);
    assert.deepEqual(state.customData, [{ label: 'user', content: 'alice' }]);
    assert.equal(state.lastSrcPort, 31337);
    assert.equal(state.lastDstPort, 80);
    assert.equal(state.rcvdTime, 42);
  });
});

describe('step (event): counting and completing stages', () => {
  const s1 = create(threeStages(), e1).state;
  const r2 = step(s1, ev('e2', 2, 10), NOW + 2000);
  const r3 = step(r2.state, ev('e3', 2, 20), NOW + 3000);
  const r4 = step(r3.state, ev('e4', 3, 30), NOW + 4000);

  it('counts an event below the occurrence with an alarm-event line only', () => {
    assert.equal(r2.consumed, true);
    assert.deepEqual(r2.effects, [eventLine(2, 'e2')]);
    assert.deepEqual(idsToArray(r2.state.stages[1]?.event_ids), ['e2']);
    assert.equal(r2.state.currentStage, 2);
    assert.equal(r2.state.updateTime, NOW / 1000 + 2);
  });

  it('completes a stage at its occurrence, computes the risk and writes the alarm (3 x 5 x 5 / 25 = 3)', () => {
    assert.equal(r3.consumed, true);
    assert.deepEqual(effectTypes(r3.effects), ['alarm-event', 'alarm']);
    assert.deepEqual(r3.effects[0], eventLine(2, 'e3'));
    const s = r3.state;
    assert.equal(s.currentStage, 3);
    assert.deepEqual(plainStage(s.stages[1]), { start_time: T0, end_time: T0 + 20, status: 'finished', event_ids: ['e2', 'e3'], sticky: [] });
    assert.equal(s.stages[2]?.start_time, T0 + 20);
    assert.equal(s.risk, 3);
    assert.equal(s.riskClass, 'Medium');
    assert.equal(s.createdTime, NOW / 1000 + 3);
  });

  it('puts the backlog state into the alarm document', () => {
    const [alarm] = alarms(r3.effects);
    assert.ok(alarm);
    assert.equal(alarm.alarm_id, ID);
    assert.equal(alarm.title, 'Scan from 192.168.0.10 to 8.8.8.8');
    assert.equal(alarm.status, 'Open');
    assert.equal(alarm.tag, 'Identified Threat');
    assert.equal(alarm.risk, 3);
    assert.equal(alarm.risk_class, 'Medium');
    assert.equal(alarm.created_time, NOW / 1000 + 3);
    assert.equal(alarm.update_time, NOW / 1000 + 3);
    assert.deepEqual(alarm.src_ips, ['192.168.0.10']);
    assert.deepEqual(alarm.dst_ips, ['8.8.8.8']);
    assert.deepEqual(alarm.networks, ['192.168.0.0/16']);
    assert.deepEqual(alarm.rules.map((r) => [r.stage, r.status, r.from]), [
      [1, 'finished', 'HOME_NET'],
      [2, 'finished', '192.168.0.10'],
      [3, undefined, '192.168.0.10'],
    ]);
  });

  it('ends the backlog when the last stage completes, with the final alarm and an "ended" effect', () => {
    assert.deepEqual(effectTypes(r4.effects), ['alarm-event', 'alarm', 'ended']);
    assert.deepEqual(r4.effects[0], eventLine(3, 'e4'));
    assert.deepEqual(r4.effects[2], { type: 'ended', reason: 'completed' });
    const [alarm] = alarms(r4.effects);
    assert.equal(alarm?.risk, 6);
    assert.equal(alarm?.risk_class, 'Medium');
    assert.equal(alarm?.created_time, NOW / 1000 + 3, 'created_time is kept from the first alarm');
    assert.equal(alarm?.update_time, NOW / 1000 + 4);
    assert.equal(r4.state.ended, 'completed');
    assert.equal(r4.state.stages[2]?.status, 'finished');
  });

  it('does not consume or change anything once ended', () => {
    const r = step(r4.state, ev('e5', 3, 40));
    assert.equal(r.consumed, false);
    assert.equal(r.state, r4.state);
    assert.deepEqual(r.effects, []);
    assert.deepEqual(previewOffer(r4.state, ev('e5', 3, 40)), { consumed: false, deliver: false });
  });

  it('does not consume an event that matches no stage', () => {
    for (const e of [ev('x', 1, 10), ev('x', 3, 10), ev('x', 2, 10, { src_ip: '192.168.0.11' }), ev('x', 2, 10, { plugin_id: 1002 })]) {
      const r = step(s1, e);
      assert.equal(r.consumed, false);
      assert.equal(r.state, s1);
      assert.deepEqual(r.effects, []);
    }
  });

  it('writes one alarm-event line per counted event and an alarm only while risk >= 1', () => {
    // Priority 5: stage 1 risk 1, stage 2 risk 10, stage 3 (reliability 0) risk 0.
    const d = aDirective(
      [
        { plugin_sid: [1], reliability: 1 },
        { plugin_sid: [2], reliability: 10 },
        { plugin_sid: [3], reliability: 0 },
      ],
      { priority: 5 },
    );
    const c = create(d, e1);
    const r2b = step(c.state, ev('e2', 2, 1));
    const r3b = step(r2b.state, ev('e3', 3, 2));
    assert.deepEqual(effectTypes(c.effects), ['alarm-event', 'alarm']);
    assert.deepEqual(effectTypes(r2b.effects), ['alarm-event', 'alarm']);
    assert.equal(alarms(r2b.effects)[0]?.risk, 10);
    assert.equal(alarms(r2b.effects)[0]?.risk_class, 'High');
    assert.deepEqual(r3b.effects, [eventLine(3, 'e3'), { type: 'ended', reason: 'completed' }]);
    assert.equal(r3b.state.risk, 0, 'risk uses the reliability of the stage just completed');
  });

  it('never writes an alarm for a backlog whose risk stays 0 (1 x 1 x 5 / 25)', () => {
    const d = aDirective([{ plugin_sid: [1] }, { plugin_sid: [2] }], { priority: 1 });
    const c = create(d, e1);
    const r = step(c.state, ev('e2', 2, 1));
    assert.deepEqual(c.effects, [eventLine(1, 'e1')]);
    assert.deepEqual(r.effects, [eventLine(2, 'e2'), { type: 'ended', reason: 'completed' }]);
  });

  it('uses the highest asset value over all source and destination addresses', () => {
    const d = aDirective([{ plugin_sid: [1], reliability: 10 }, { plugin_sid: [2] }], { priority: 1 });
    const outside = create(d, ev('e1', 1, 0, { src_ip: '8.8.4.4', dst_ip: '8.8.8.8' }));
    assert.equal(outside.state.risk, 0);
    const inside = create(d, ev('e1', 1, 0, { src_ip: '8.8.4.4', dst_ip: '10.0.0.1' }));
    assert.equal(inside.state.risk, 2); // 1 x 10 x 5 / 25
  });
});

describe('step (event): events consumed but not counted', () => {
  const s1 = create(threeStages(), e1).state;
  const s3 = steps(s1, ev('e2', 2, 10), ev('e3', 2, 20)).state; // stage 3, previous stage ended at T0 + 20

  it('consumes an out-of-order event (time + 5 <= previous end) without counting it', () => {
    const r = step(s3, ev('late', 3, 15));
    assert.equal(r.consumed, true);
    assert.deepEqual(r.effects, []);
    assert.deepEqual(idsToArray(r.state.stages[2]?.event_ids), []);
    assert.equal(r.state.currentStage, 3);
  });

  it('counts an event whose time + 5 is just after the previous end', () => {
    const r = step(s3, ev('ok', 3, 16));
    assert.deepEqual(r.effects[0], eventLine(3, 'ok'));
    assert.equal(r.state.ended, 'completed');
  });

  it('compares with the end of the previous stage (stage 1 at T0 for stage 2)', () => {
    const late = step(s1, ev('late', 2, -5));
    assert.equal(late.consumed, true);
    assert.deepEqual(late.effects, []);
    assert.deepEqual(idsToArray(late.state.stages[1]?.event_ids), []);
    const ok = step(s1, ev('ok', 2, -4));
    assert.deepEqual(ok.effects, [eventLine(2, 'ok')]);
  });

  it('consumes an event with an unusable timestamp without counting it', () => {
    const r = step(s1, ev('bad-time', 2, 10, { timestamp: 'not a time' }));
    assert.equal(r.consumed, true);
    assert.deepEqual(r.effects, []);
    assert.deepEqual(idsToArray(r.state.stages[1]?.event_ids), []);
    assert.deepEqual(previewOffer(s1, ev('bad-time', 2, 10, { timestamp: 'not a time' })), { consumed: true, deliver: true });
  });

  it('consumes a redelivered event id of the current stage with no effect (D3)', () => {
    const r2 = step(s1, ev('e2', 2, 10));
    const again = step(r2.state, ev('e2', 2, 11));
    assert.equal(again.consumed, true);
    assert.equal(again.state, r2.state);
    assert.deepEqual(again.effects, []);
    assert.deepEqual(previewOffer(r2.state, ev('e2', 2, 11)), { consumed: true, deliver: false });
  });

  it('consumes a redelivered event id of an earlier stage with no effect, even if it no longer matches (D3)', () => {
    const again = step(s1, e1);
    assert.equal(again.consumed, true);
    assert.equal(again.state, s1);
    assert.deepEqual(again.effects, []);
    assert.deepEqual(previewOffer(s1, e1), { consumed: true, deliver: false });
  });

  it('does not count an event id twice over the whole backlog (D3)', () => {
    const d = aDirective([{ plugin_sid: [1] }, { plugin_sid: [1, 2], occurrence: 2 }, { plugin_sid: [3] }]);
    const c = create(d, e1);
    const r = step(c.state, ev('e1', 1, 1)); // same id as the stage-1 event, matches stage 2
    assert.equal(r.consumed, true);
    assert.deepEqual(r.effects, []);
    assert.deepEqual(idsToArray(r.state.stages[1]?.event_ids), []);
  });
});

describe('step (event): sticky_different', () => {
  const d = aDirective([
    { plugin_sid: [1] },
    { plugin_sid: [2], sticky_different: 'SRC_PORT', occurrence: 2, reliability: 5 },
    { plugin_sid: [3] },
  ]);
  const s1 = create(d, e1).state;
  const r2 = step(s1, ev('e2', 2, 1, { src_port: 1000 }));

  it('records the sticky value of a counted event', () => {
    assert.deepEqual(r2.effects, [eventLine(2, 'e2')]);
    assert.deepEqual(r2.state.stages[1]?.sticky, ['1000']);
  });

  it('consumes an event that repeats a sticky value without counting it', () => {
    const r = step(r2.state, ev('e3', 2, 2, { src_port: 1000 }));
    assert.equal(r.consumed, true);
    assert.deepEqual(r.effects, []);
    assert.deepEqual(idsToArray(r.state.stages[1]?.event_ids), ['e2']);
  });

  it('counts an event with a new sticky value and completes the stage', () => {
    const r = step(r2.state, ev('e4', 2, 3, { src_port: 2000 }));
    assert.deepEqual(idsToArray(r.state.stages[1]?.event_ids), ['e2', 'e4']);
    assert.deepEqual(r.state.stages[1]?.sticky, ['1000', '2000']);
    assert.equal(r.state.stages[1]?.status, 'finished');
    assert.equal(r.state.currentStage, 3);
  });

  it('records PLUGIN_SID when the address check fails, so that sid no longer counts (go-dsiem.md 3.3)', () => {
    const p = aDirective([
      { plugin_sid: [1], from: 'HOME_NET' },
      { plugin_sid: [2, 3], from: ':1', sticky_different: 'PLUGIN_SID', occurrence: 2 },
      { plugin_sid: [4] },
    ]);
    const c = create(p, e1).state;
    const wrongSource = ev('w', 2, 1, { src_ip: '172.16.0.9' });
    assert.deepEqual(previewOffer(c, wrongSource), { consumed: false, deliver: true });
    const failed = step(c, wrongSource);
    assert.equal(failed.consumed, false);
    assert.deepEqual(failed.effects, []);
    assert.deepEqual(failed.state.stages[1]?.sticky, ['2']);
    assert.deepEqual(idsToArray(failed.state.stages[1]?.event_ids), []);

    const sameSid = step(failed.state, ev('x', 2, 2));
    assert.equal(sameSid.consumed, true);
    assert.deepEqual(sameSid.effects, []);

    const newSid = step(failed.state, ev('y', 3, 2));
    assert.deepEqual(newSid.effects, [eventLine(2, 'y')]);
  });
});

describe('step (event): all_rules_always_active', () => {
  // Priority 3, stage 1 reliability 5: risk 3 from the first event, so the alarm exists.
  const d = aDirective(
    [
      { plugin_sid: [1], from: 'ANY', to: 'ANY', reliability: 5 },
      { plugin_sid: [2], occurrence: 2, reliability: 10, timeout: 60 },
      { plugin_sid: [3] },
    ],
    { allRulesAlwaysActive: true },
  );
  const created = create(d, e1);
  const s1 = created.state;

  it('pins stage 1 ANY addresses to the first event', () => {
    assert.equal(s1.rules[0]?.from, '192.168.0.10');
    assert.equal(s1.rules[0]?.to, '8.8.8.8');
    assert.deepEqual(effectTypes(created.effects), ['alarm-event', 'alarm']);
  });

  it('appends an event of an earlier stage to it and re-writes the alarm, without changing stage or risk', () => {
    const e = ev('e1b', 1, 5);
    assert.deepEqual(previewOffer(s1, e), { consumed: true, deliver: true });
    const r = step(s1, e, NOW + 5000);
    assert.equal(r.consumed, true);
    assert.deepEqual(effectTypes(r.effects), ['alarm-event', 'alarm']);
    assert.deepEqual(r.effects[0], eventLine(1, 'e1b'));
    assert.equal(alarms(r.effects)[0]?.update_time, NOW / 1000 + 5);
    assert.deepEqual(plainStage(r.state.stages[0]), { ...plainStage(s1.stages[0]), event_ids: ['e1', 'e1b'] });
    assert.equal(r.state.currentStage, 2);
    assert.equal(r.state.risk, 3);
    assert.deepEqual(r.state.stages[1], s1.stages[1]);
  });

  it('appends an earlier-stage event without a time-order check', () => {
    const r = step(s1, ev('old', 1, -3600));
    assert.equal(r.consumed, true);
    assert.deepEqual(idsToArray(r.state.stages[0]?.event_ids), ['e1', 'old']);
  });

  it('does not consume an earlier-stage event from other addresses than the pinned ones', () => {
    const r = step(s1, ev('other', 1, 5, { src_ip: '10.0.0.5' }));
    assert.equal(r.consumed, false);
    assert.deepEqual(r.effects, []);
  });

  it('does not write an alarm for an earlier-stage append while risk is 0', () => {
    const quiet = aDirective([{ plugin_sid: [1], reliability: 1 }, { plugin_sid: [2] }], { allRulesAlwaysActive: true });
    const s = create(quiet, e1).state;
    const r = step(s, ev('e1b', 1, 5));
    assert.equal(r.consumed, true);
    assert.deepEqual(r.effects, [eventLine(1, 'e1b')]);
  });

  it('does not look at earlier stages without the flag', () => {
    const s = create(threeStages(), e1).state;
    const r = step(s, ev('e1b', 1, 5));
    assert.equal(r.consumed, false);
    assert.equal(previewOffer(s, ev('e1b', 1, 5)).consumed, false);
  });
});

describe('expiry', () => {
  const s1 = create(threeStages(), e1).state; // stage 2 started at T0, timeout 60

  it('has its deadline at the current stage start plus its timeout', () => {
    assert.equal(deadlineOf(s1), T0 + 60);
  });

  const table: Array<[number, number, boolean]> = [
    [T0 + 59, 0, false],
    [T0 + 60, 0, false], // strict <
    [T0 + 61, 0, true],
    [T0 + 70, 10, false],
    [T0 + 71, 10, true],
  ];
  for (const [now, lifetime, expected] of table) {
    it(`is ${expected ? '' : 'not '}expired at T0+${now - T0} with a minimum lifetime of ${lifetime} s`, () => {
      assert.equal(isExpired(s1, now, lifetime), expected);
    });
  }

  it('sets the current stage to timeout and ends the backlog, with no alarm while risk is 0', () => {
    const t = expire(s1);
    assert.deepEqual(t.effects, [{ type: 'ended', reason: 'expired' }]);
    assert.equal(t.state.ended, 'expired');
    assert.equal(t.state.stages[1]?.status, 'timeout');
    assert.equal(t.state.stages[0]?.status, 'finished');
    assert.equal(isExpired(t.state, T0 + 1000, 0), false, 'an ended backlog does not expire again');
    assert.deepEqual(expire(t.state).effects, []);
  });

  it('re-writes the alarm with the timed-out stage when risk >= 1', () => {
    const s3 = steps(s1, ev('e2', 2, 10), ev('e3', 2, 20)).state; // risk 3, stage 3
    const t = expire(s3);
    assert.deepEqual(effectTypes(t.effects), ['alarm', 'ended']);
    const [alarm] = alarms(t.effects);
    assert.equal(alarm?.risk, 3);
    assert.deepEqual(alarm?.rules.map((r) => r.status), ['finished', 'finished', 'timeout']);
    assert.equal(t.state.risk, 3, 'expiry does not recompute the risk');
  });

  it('lets offerEvent expire a backlog whose deadline passed instead of stepping it', () => {
    deepFreeze(s1);
    const late = offerEvent(s1, ev('e2', 2, 10), ctx, (T0 + 61) * 1000, 0);
    assert.equal(late.consumed, false);
    assert.equal(late.state.ended, 'expired');
    assert.deepEqual(late.effects, [{ type: 'ended', reason: 'expired' }]);
  });

  it('lets offerEvent step a backlog that has not expired', () => {
    const onTime = offerEvent(s1, ev('e2', 2, 10), ctx, (T0 + 60) * 1000, 0);
    assert.equal(onTime.consumed, true);
    assert.deepEqual(onTime.effects, [eventLine(2, 'e2')]);
    const kept = offerEvent(s1, ev('e2', 2, 10), ctx, (T0 + 61) * 1000, 1);
    assert.equal(kept.consumed, true);
  });
});

describe('titles (D1)', () => {
  const d = (name: string) => aDirective([{ plugin_sid: [1] }, { plugin_sid: [2] }], { name });

  it('replaces SRC_IP with the host asset name of the first event source', () => {
    const { state } = create(d('Scan from SRC_IP to DST_IP'), ev('e1', 1, 0, { src_ip: '192.168.0.1' }));
    assert.equal(state.title, 'Scan from Firewall to 8.8.8.8');
  });

  it('uses the address when there is no non-whitelisted host asset for it', () => {
    const assets = ctx.assets;
    assert.equal(backlogTitle('SRC_IP -> DST_IP', ev('e', 1, 0, { src_ip: '192.168.0.10', dst_ip: '192.168.0.2' }), assets), '192.168.0.10 -> 192.168.0.2');
  });

  it('replaces every occurrence and leaves names without placeholders alone', () => {
    const e = ev('e', 1, 0, { src_ip: '192.168.0.1', dst_ip: '192.168.0.1' });
    assert.equal(backlogTitle('SRC_IP/SRC_IP DST_IP', e, ctx.assets), 'Firewall/Firewall Firewall');
    assert.equal(backlogTitle('Ping Flood', e, ctx.assets), 'Ping Flood');
  });

  it('names IPv6 hosts from /128 assets', () => {
    const assets = buildNetworkAssets([anAsset('firewall-ipv6', '2002:c0a8:1::1/128', 5)]);
    const e = ev('e', 1, 0, { src_ip: '2002:c0a8:0001::1', dst_ip: '2002:c0a8:1::2' });
    assert.equal(backlogTitle('from SRC_IP to DST_IP', e, assets), 'from firewall-ipv6 to 2002:c0a8:1::2');
    assert.equal(assets.hostName(ip('2002:c0a8:1::1')), 'firewall-ipv6');
  });
});

describe('addresses and custom data of a backlog', () => {
  const d = aDirective([{ plugin_sid: [1] }, { plugin_sid: [2], occurrence: 3 }, { plugin_sid: [3] }]);

  it('drops 0.0.0.0 once another address is known', () => {
    const c = create(d, ev('e1', 1, 0, { src_ip: '0.0.0.0', dst_ip: '0.0.0.0' }));
    assert.deepEqual(c.state.srcIps, ['0.0.0.0']);
    assert.deepEqual(c.state.dstIps, ['0.0.0.0']);
    const r2 = step(c.state, ev('e2', 2, 1, { src_ip: '10.0.0.5', dst_ip: '0.0.0.0' }));
    assert.deepEqual(r2.state.srcIps, ['10.0.0.5']);
    assert.deepEqual(r2.state.dstIps, ['0.0.0.0']);
    const r3 = step(r2.state, ev('e3', 2, 2, { src_ip: '0.0.0.0', dst_ip: '10.0.0.6' }));
    assert.deepEqual(r3.state.srcIps, ['10.0.0.5']);
    assert.deepEqual(r3.state.dstIps, ['10.0.0.6']);
  });

  it('keeps addresses unique in first-seen order', () => {
    const c = create(d, ev('e1', 1, 0, { src_ip: '10.0.0.1' }));
    const r = steps(c.state, ev('e2', 2, 1, { src_ip: '10.0.0.2' }), ev('e3', 2, 2, { src_ip: '10.0.0.1' }));
    assert.deepEqual(r.state.srcIps, ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(r.state.dstIps, ['8.8.8.8']);
  });

  it('keeps (label, content) custom data unique and remembers the last non-zero ports', () => {
    const c = create(d, ev('e1', 1, 0, { custom_label1: 'user', custom_data1: 'alice', src_port: 1 }));
    const r = steps(
      c.state,
      ev('e2', 2, 1, { custom_label1: 'user', custom_data1: 'alice', src_port: 0, dst_port: 0 }),
      ev('e3', 2, 2, { custom_label1: 'user', custom_data1: 'bob', src_port: 2 }),
    );
    assert.deepEqual(r.state.customData, [
      { label: 'user', content: 'alice' },
      { label: 'user', content: 'bob' },
    ]);
    assert.equal(r.state.lastSrcPort, 2);
    assert.equal(r.state.lastDstPort, 80);
  });
});

describe('purity', () => {
  it('never mutates the input state (deep-frozen) and returns new objects for changes', () => {
    const s1 = deepFreeze(create(threeStages(), e1).state);
    const snapshot = JSON.stringify(s1);
    const r2 = stepBacklog(s1, ev('e2', 2, 10));
    const r3 = stepBacklog(deepFreeze(r2.state), ev('e3', 2, 20));
    expireBacklog(s1, ctx);
    offerEvent(s1, ev('e2', 2, 10), ctx, (T0 + 61) * 1000, 0);
    previewOffer(s1, ev('e2', 2, 10));
    assert.equal(JSON.stringify(s1), snapshot);
    assert.notEqual(r2.state, s1);
    assert.notEqual(r3.state.stages, r2.state.stages);
    assert.deepEqual(idsToArray(s1.stages[1]?.event_ids), []);
    assert.deepEqual(idsToArray(r2.state.stages[1]?.event_ids), ['e2']);
  });

  it('has a JSON form that survives JSON and gives the same backlog back', () => {
    const s = steps(create(threeStages(), e1).state, ev('e2', 2, 10), ev('e3', 2, 20)).state;
    const json = toBacklogJson(s);
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
    assert.deepEqual(json.stages[1]?.event_ids, ['e2', 'e3']);
    assert.deepEqual(fromBacklogJson(json), s);
  });

  it('keeps in its JSON form whether a lookup was owed, and leaves it unknown in a file saved without it', () => {
    const s = create(threeStages(), e1).state;
    for (const owed of [true, false]) {
      const json = JSON.parse(JSON.stringify(toBacklogJson({ ...s, lookupOwed: owed }))) as ReturnType<typeof toBacklogJson>;
      assert.equal(json.lookupOwed, owed);
      assert.equal(fromBacklogJson(json).lookupOwed, owed);
    }
    const older = JSON.parse(JSON.stringify(toBacklogJson(s))) as Record<string, unknown>;
    assert.equal('lookupOwed' in older, false);
    assert.equal(fromBacklogJson(older as ReturnType<typeof toBacklogJson>).lookupOwed, undefined);
  });

  it('still refuses a redelivered event id after a JSON round trip (D3)', () => {
    const s = steps(create(threeStages(), e1).state, ev('e2', 2, 10)).state;
    const restored = fromBacklogJson(JSON.parse(JSON.stringify(toBacklogJson(s))) as ReturnType<typeof toBacklogJson>);
    const again = step(restored, ev('e2', 2, 11));
    assert.equal(again.consumed, true);
    assert.deepEqual(again.effects, []);
    assert.deepEqual(idsToArray(again.state.stages[1]?.event_ids), ['e2']);
    const fresh = step(restored, ev('e3', 2, 12));
    assert.deepEqual(fresh.effects.map((x) => x.type), ['alarm-event', 'alarm']);
  });

  it('takes the caller\'s word that an id is not counted (maybeCounted = false skips the lookup)', () => {
    const s = steps(create(threeStages(), e1).state, ev('e2', 2, 10)).state;
    assert.equal(hasEvent(s, 'e2'), true);
    assert.equal(hasEvent(s, 'e2', false), false);
    assert.equal(hasEvent(s, 'e9'), false);
    // A directive passes false only for ids no backlog holds; given a held id it would count it again.
    assert.equal(stepBacklog(s, ev('e2', 2, 11), ctx, 0, false).effects[0]?.type, 'alarm-event');
    assert.deepEqual(stepBacklog(s, ev('e2', 2, 11), ctx, 0, true).effects, []);
  });

  it('does not treat an id counted only by a later version as counted by an earlier one', () => {
    const s1 = create(threeStages(), e1).state;
    step(s1, ev('e2', 2, 10)); // a later version counts e2; s1 is still the state of record
    const r = step(s1, ev('e2', 2, 10));
    assert.deepEqual(r.effects, [eventLine(2, 'e2')]);
  });
});
