/**
 * The backlog state machine: `step(state, input, ctx)` takes one input (an event offered to the backlog, an
 * order to expire, the results of its intel/vulnerability lookups) and returns the next state, whether the
 * event was consumed, and the effects (alarm lines, alarm-event lines, "ended") for an actor to carry out.
 * `startBacklog` makes a new backlog from the event that completed its first stage.
 *
 * Nothing here performs I/O or reads a clock: times and ids come in as arguments. `step` never changes its
 * argument; `stepDraft` may update a private working copy in place (batch.ts owns that copy). Semantics: Go
 * Dsiem (go-dsiem.md 3.4), adjusted by decisions D1 and D3.
 */

import type { NetworkAssets } from '../asset/network-assets.js';
import { toAlarmDocument, type AlarmDocument, type AlarmEventRecord } from '../alarm/alarm.js';
import type { Directive } from '../directive/directive.js';
import type { EnrichmentHit } from '../enrichment/hit.js';
import type { NormalizedEvent } from '../event/normalized-event.js';
import { parseIp } from '../net/ip.js';
import { riskClassOf, riskOf } from '../risk/risk.js';
import { matchRule, MatchResult, stickyValue, type CompiledRule } from '../rule/match-rule.js';
import { appendId, sizeOf } from './event-ids.js';
import {
  copyOf,
  currentRule,
  hasEvent,
  isExpired,
  NONE,
  stageOf,
  type BacklogContext,
  type BacklogState,
  type CustomDataEntry,
  type EndReason,
  type Mutable,
  type StageState,
} from './state.js';

// ---- inputs and outputs -------------------------------------------------------------------------------------

/**
 * A rule match the directive already computed for this backlog, so the backlog need not match again:
 * `stage * 4 + result` (see `knownMatch`), or `UNKNOWN_MATCH`. It is used only when the backlog is still in that
 * stage (the directive computes it from the backlog's last reported state).
 */
export type KnownMatch = number;
export const UNKNOWN_MATCH: KnownMatch = -1;

export function knownMatch(stage: number, result: MatchResult): KnownMatch {
  return stage * 4 + result;
}

export type BacklogInput =
  | {
      readonly type: 'event';
      readonly event: NormalizedEvent;
      /** Clock ms at which the event entered the system. */
      readonly now: number;
      /** False when no backlog of the directive holds this id (see `hasEvent`). */
      readonly maybeCounted: boolean;
      readonly match: KnownMatch;
    }
  | { readonly type: 'expire'; readonly now: number }
  | { readonly type: 'enrichment'; readonly intel: readonly EnrichmentHit[]; readonly vulns: readonly EnrichmentHit[] };

export type BacklogEffect =
  | { readonly type: 'alarm-event'; readonly record: AlarmEventRecord }
  /** `directiveId`: the directive the alarm belongs to (Dsiem's alarm document does not say). */
  | { readonly type: 'alarm'; readonly alarm: AlarmDocument; readonly directiveId: number }
  | { readonly type: 'ended'; readonly reason: EndReason };

export interface Step {
  readonly state: BacklogState;
  /** The event was consumed: it starts no new backlog of the same directive (D1, D6). Always false for other inputs. */
  readonly consumed: boolean;
  readonly effects: readonly BacklogEffect[];
}

/** Steps without effects share this list (most offers change nothing, or only the state). */
const NO_EFFECTS: readonly BacklogEffect[] = Object.freeze([]);

/** An out-of-order event: its time + 5 s is not after the previous stage's end (Go Dsiem). */
const ORDER_SLACK_SECONDS = 5;

// ---- the entry points ---------------------------------------------------------------------------------------

/** The next state for one input. Never changes `state`. */
export function step(state: BacklogState, input: BacklogInput, ctx: BacklogContext): Step {
  return stepWith(state, input, ctx, false);
}

/**
 * `step` on a working copy that nobody else has seen (made by `draftOf`): counting an event then updates it in
 * place instead of copying it. The result's state may be the draft itself.
 */
export function stepDraft(draft: BacklogState, input: BacklogInput, ctx: BacklogContext): Step {
  return stepWith(draft, input, ctx, true);
}

/** A private working copy of a state, for `stepDraft`. */
export function draftOf(state: BacklogState): BacklogState {
  const draft = copyOf(state);
  draft.stages = state.stages.slice();
  return draft;
}

function stepWith(state: BacklogState, input: BacklogInput, ctx: BacklogContext, inPlace: boolean): Step {
  switch (input.type) {
    case 'event':
      // A backlog whose deadline passed expires instead of taking the event; directive and backlog use the same
      // rule, so the outcome does not depend on when the backlog actor gets to run.
      if (isExpired(state, input.now / 1000, ctx.minLifetimeSec)) return expire(state, ctx);
      return onEvent(state, input, ctx, inPlace);
    case 'expire':
      return expire(state, ctx);
    case 'enrichment':
      return onEnrichment(state, input.intel, input.vulns, ctx);
  }
}

/** Title: SRC_IP / DST_IP in the directive name become the host asset name of the first event's address, or the address. */
export function backlogTitle(name: string, e: NormalizedEvent, assets: NetworkAssets): string {
  let title = name;
  if (title.includes('SRC_IP')) title = title.replaceAll('SRC_IP', assets.hostName(e.srcAddr) ?? e.src_ip);
  if (title.includes('DST_IP')) title = title.replaceAll('DST_IP', assets.hostName(e.dstAddr) ?? e.dst_ip);
  return title;
}

/** A new backlog whose first event (which must satisfy `startsBacklog`) has been counted in stage 1. */
export function startBacklog(directive: Directive, e: NormalizedEvent, ctx: BacklogContext, id: string, nowMs: number): Step {
  const rules = ctx.rules.resolve(directive.rules, directive.allRulesAlwaysActive, e);
  const empty = stageOf(0, 0, '', undefined, NONE);
  const stages = rules.map((_, i) => (i === 0 ? stageOf(e.time, 0, '', undefined, NONE) : empty));
  const state: BacklogState = {
    id,
    directiveId: directive.id,
    directiveName: directive.name,
    title: backlogTitle(directive.name, e, ctx.assets),
    priority: directive.priority,
    kingdom: directive.kingdom,
    category: directive.category,
    allRulesAlwaysActive: directive.allRulesAlwaysActive,
    rules,
    stages,
    currentStage: 1,
    risk: 0,
    riskClass: '',
    srcIps: NONE,
    dstIps: NONE,
    networks: NONE,
    customData: NONE,
    intelHits: NONE,
    vulnerabilities: NONE,
    createdTime: 0,
    updateTime: 0,
    rcvdTime: e.rcvd_time,
    lastSrcPort: 0,
    lastDstPort: 0,
    ended: '',
    lookupOwed: undefined,
  };
  // The literal above is only counted from: counting copies it, so the state kept has the common shape.
  return countEvent(state, 0, e, ctx, nowMs, false);
}

// ---- events -------------------------------------------------------------------------------------------------

function unchanged(state: BacklogState, consumed: boolean): Step {
  return { state, consumed, effects: NO_EFFECTS };
}

function resultFor(state: BacklogState, rule: CompiledRule, input: Extract<BacklogInput, { type: 'event' }>, ctx: BacklogContext): MatchResult {
  const known = input.match;
  if (known >= 0 && known >> 2 === state.currentStage) return (known & 3) as MatchResult;
  return matchRule(rule, input.event, ctx.assets);
}

function onEvent(state: BacklogState, input: Extract<BacklogInput, { type: 'event' }>, ctx: BacklogContext, inPlace: boolean): Step {
  if (state.ended !== '') return unchanged(state, false);
  const e = input.event;
  const idx = state.currentStage - 1;
  const rule = ctx.rules.compile(currentRule(state));
  const result = resultFor(state, rule, input, ctx);
  const recorded = recordSticky(state, idx, rule, e, result);
  const known = hasEvent(state, e.event_id, input.maybeCounted);
  if (result !== MatchResult.Matched) {
    if (known) return unchanged(state, true);
    if (!state.allRulesAlwaysActive) return unchanged(recorded, false);
    const earlier = earlierStageMatching(recorded, e, ctx);
    if (earlier < 0) return unchanged(recorded, false);
    return appendToEarlierStage(recorded, earlier, e, ctx, input.now, inPlace && recorded === state);
  }
  if (known) return unchanged(state, true);
  if (Number.isNaN(e.time)) return unchanged(recorded, true);
  if (rule.sticky !== undefined && recorded === state) return unchanged(state, true);
  const previousEnd = idx > 0 ? (state.stages[idx - 1]?.end_time ?? 0) : 0;
  if (e.time + ORDER_SLACK_SECONDS <= previousEnd) return unchanged(recorded, true);
  return countEvent(recorded, idx, e, ctx, input.now, inPlace && recorded === state);
}

/** The first earlier stage whose rule matches the event, or -1 (for all_rules_always_active). */
export function earlierStageMatching(state: BacklogState, e: NormalizedEvent, ctx: Pick<BacklogContext, 'assets' | 'rules'>): number {
  for (let i = 0; i < state.currentStage - 1; i++) {
    const rule = state.rules[i];
    if (rule !== undefined && matchRule(ctx.rules.compile(rule), e, ctx.assets) === MatchResult.Matched) return i;
  }
  return -1;
}

/** Adds the stage's sticky value when the check got past the recording point; same object when nothing new. */
function recordSticky(state: BacklogState, idx: number, rule: CompiledRule, e: NormalizedEvent, result: MatchResult): BacklogState {
  if (rule.sticky === undefined || result === MatchResult.NoMatch || idx === 0) return state;
  const stage = state.stages[idx];
  if (stage === undefined) return state;
  const value = stickyValue(rule.sticky, e);
  if (stage.sticky.includes(value)) return state;
  return withStage(state, idx, stageOf(stage.start_time, stage.end_time, stage.status, stage.event_ids, stage.sticky.concat(value)));
}

function withStage(state: BacklogState, idx: number, stage: StageState): BacklogState {
  const stages = state.stages.slice();
  stages[idx] = stage;
  const next = copyOf(state);
  next.stages = stages;
  return next;
}

/** 0.0.0.0 means "unknown address": it goes once another address is known. */
const UNKNOWN_ADDRESS = '0.0.0.0';

function addUnique(list: readonly string[], value: string): readonly string[] {
  // The first address of a new backlog (and no list[-1]: a negative index is a slow named-property lookup).
  if (list.length === 0) return [value];
  if (list[list.length - 1] === value || list.includes(value)) return list;
  const next = list.concat(value);
  return value === UNKNOWN_ADDRESS || list.includes(UNKNOWN_ADDRESS) ? next.filter((ip) => ip !== UNKNOWN_ADDRESS) : next;
}

function withCustomData(list: readonly CustomDataEntry[], label: string, content: string): readonly CustomDataEntry[] {
  if (content === '' || list.some((c) => c.label === label && c.content === content)) return list;
  return list.concat({ label, content });
}

/**
 * Records the event in stage idx: ids, addresses, custom data, ports, times. `inPlace`: `state` is a working copy
 * nobody else has seen (see `stepDraft`), updated instead of copied. Lists are replaced, never changed, so alarm
 * documents made from the draft earlier keep their values.
 */
function appendEvent(state: BacklogState, idx: number, e: NormalizedEvent, nowMs: number, inPlace: boolean): BacklogState {
  const stage = state.stages[idx];
  if (stage === undefined) throw new Error(`backlog ${state.id} has no stage index ${idx}`);
  let customData = state.customData;
  customData = withCustomData(customData, e.custom_label1, e.custom_data1);
  customData = withCustomData(customData, e.custom_label2, e.custom_data2);
  customData = withCustomData(customData, e.custom_label3, e.custom_data3);
  const counted = stageOf(stage.start_time, stage.end_time, stage.status, appendId(stage.event_ids, e.event_id), stage.sticky);
  const srcIps = addUnique(state.srcIps, e.src_ip);
  const dstIps = addUnique(state.dstIps, e.dst_ip);
  const lastSrcPort = e.src_port !== 0 ? e.src_port : state.lastSrcPort;
  const lastDstPort = e.dst_port !== 0 ? e.dst_port : state.lastDstPort;
  let next: Mutable<BacklogState>;
  if (inPlace) {
    next = state as Mutable<BacklogState>;
  } else {
    next = copyOf(state);
    next.stages = state.stages.slice();
  }
  (next.stages as StageState[])[idx] = counted;
  next.srcIps = srcIps;
  next.dstIps = dstIps;
  next.customData = customData;
  next.lastSrcPort = lastSrcPort;
  next.lastDstPort = lastDstPort;
  next.updateTime = Math.floor(nowMs / 1000);
  return next;
}

function eventLine(state: BacklogState, idx: number, e: NormalizedEvent): BacklogEffect {
  return { type: 'alarm-event', record: { alarm_id: state.id, stage: idx + 1, event_id: e.event_id } };
}

/** Counts the event in stage idx; completes the stage, moves on or ends the backlog. (Consumed, always.) */
function countEvent(state: BacklogState, idx: number, e: NormalizedEvent, ctx: BacklogContext, nowMs: number, inPlace: boolean): Step {
  const counted = appendEvent(state, idx, e, nowMs, inPlace);
  const effects: BacklogEffect[] = [eventLine(counted, idx, e)];
  const stage = counted.stages[idx];
  const rule = counted.rules[idx];
  if (stage === undefined || rule === undefined) throw new Error(`backlog ${state.id} has no stage ${idx + 1}`);
  if (sizeOf(stage.event_ids) < rule.occurrence) return { consumed: true, state: counted, effects };

  const finished = withStage(counted, idx, stageOf(stage.start_time, e.time, 'finished', stage.event_ids, stage.sticky));
  const risk = riskOf(finished.priority, rule.reliability, maxAssetValue(finished, ctx.assets));
  const scored = copyOf(finished);
  if (risk !== finished.risk) {
    scored.risk = risk;
    scored.riskClass = riskClassOf(risk, ctx.thresholds);
  }
  const last = idx === scored.rules.length - 1;
  let next: BacklogState;
  if (last) {
    scored.ended = 'completed';
    next = scored;
  } else {
    const following = scored.stages[idx + 1];
    if (following === undefined) throw new Error(`backlog ${state.id} has no stage ${idx + 2}`);
    scored.currentStage = idx + 2;
    next = withStage(scored, idx + 1, stageOf(e.time, following.end_time, following.status, following.event_ids, following.sticky));
  }
  const written = withAlarm(next, ctx, effects);
  if (last) effects.push({ type: 'ended', reason: 'completed' });
  return { consumed: true, state: written, effects };
}

/** all_rules_always_active: the event goes to an earlier stage without changing stage or risk; the alarm is re-written. */
function appendToEarlierStage(state: BacklogState, idx: number, e: NormalizedEvent, ctx: BacklogContext, nowMs: number, inPlace: boolean): Step {
  const appended = appendEvent(state, idx, e, nowMs, inPlace);
  const effects: BacklogEffect[] = [eventLine(appended, idx, e)];
  return { consumed: true, state: withAlarm(appended, ctx, effects), effects };
}

/** Appends an alarm line when risk >= 1, and returns the state with created time and networks updated. */
function withAlarm(state: BacklogState, ctx: BacklogContext, effects: BacklogEffect[]): BacklogState {
  if (state.risk < 1) return state;
  let networks = state.networks;
  for (const ip of [...state.srcIps, ...state.dstIps]) {
    for (const net of ctx.assets.networks(parseIp(ip))) if (!networks.includes(net)) networks = networks.concat(net);
  }
  const next = copyOf(state);
  next.networks = networks;
  if (state.createdTime === 0) next.createdTime = state.updateTime;
  effects.push({ type: 'alarm', alarm: toAlarmDocument(next, ctx), directiveId: state.directiveId });
  return next;
}

function maxAssetValue(state: BacklogState, assets: NetworkAssets): number {
  let best = 0;
  for (const ip of state.srcIps) best = Math.max(best, assets.value(parseIp(ip)));
  for (const ip of state.dstIps) best = Math.max(best, assets.value(parseIp(ip)));
  return best;
}

// ---- expiry -------------------------------------------------------------------------------------------------

/** The current stage times out; the alarm is re-written when it exists (risk >= 1); the backlog ends. */
function expire(state: BacklogState, ctx: BacklogContext): Step {
  const idx = state.currentStage - 1;
  const stage = state.stages[idx];
  if (stage === undefined || state.ended !== '') return unchanged(state, false);
  const ended = copyOf(state);
  ended.ended = 'expired';
  const timedOut = withStage(ended, idx, stageOf(stage.start_time, stage.end_time, 'timeout', stage.event_ids, stage.sticky));
  const effects: BacklogEffect[] = [];
  const written = withAlarm(timedOut, ctx, effects);
  effects.push({ type: 'ended', reason: 'expired' });
  return { state: written, consumed: false, effects };
}

// ---- enrichment ---------------------------------------------------------------------------------------------

function mergeHits(known: readonly EnrichmentHit[], found: readonly EnrichmentHit[]): readonly EnrichmentHit[] {
  let merged = known;
  for (const hit of found) {
    if (!merged.some((h) => h.provider === hit.provider && h.term === hit.term && h.result === hit.result)) merged = merged.concat(hit);
  }
  return merged;
}

/**
 * Intel and vulnerability results that arrived for this backlog (D1): they accumulate (never removed), and the
 * alarm is re-written when something new came in and the alarm exists (risk >= 1).
 */
function onEnrichment(state: BacklogState, intel: readonly EnrichmentHit[], vulns: readonly EnrichmentHit[], ctx: BacklogContext): Step {
  const intelHits = mergeHits(state.intelHits, intel);
  const vulnerabilities = mergeHits(state.vulnerabilities, vulns);
  if (intelHits === state.intelHits && vulnerabilities === state.vulnerabilities) return unchanged(state, false);
  const next = copyOf(state);
  next.intelHits = intelHits;
  next.vulnerabilities = vulnerabilities;
  const effects: BacklogEffect[] = [];
  return { state: withAlarm(next, ctx, effects), consumed: false, effects };
}

/**
 * Should a restored backlog be looked up again? One that owed a lookup when it was saved (running: checkpoints do
 * not wait for slow Wise/Nesd servers; due; or failed): that lookup is made again. Alarms looked up before, with or
 * without hits, are not.
 */
export function wantsLookupAfterRestore(state: BacklogState): boolean {
  if (state.ended !== '') return false;
  // Saved by an earlier version, which did not say: an alarm without any result may never have been looked up.
  return state.lookupOwed ?? (state.risk >= 1 && state.intelHits.length === 0 && state.vulnerabilities.length === 0);
}

/** Should the addresses of this step's backlog be looked up? (an alarm was written, not for expiry) */
export function wantsEnrichment(s: Step): boolean {
  return s.state.ended !== 'expired' && s.effects.some((e) => e.type === 'alarm');
}
