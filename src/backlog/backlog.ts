/**
 * The backlog: one in-progress correlation of a directive (one alarm id), as a pure state machine.
 *
 *   createBacklog(directive, event, ...)  -> the new backlog after its first event completed stage 1
 *   stepBacklog(state, event, ...)        -> whether the event was consumed, the next state and the effects
 *   expireBacklog(state, ...)             -> the timed-out backlog and its last alarm
 *
 * Nothing here performs I/O or reads a clock: `nowMs` and the backlog id come in as arguments, and the
 * effects (alarm lines, alarm-event lines, "ended") are data for an actor to carry out. States are immutable
 * plain objects, so a crashed handler leaves the last good state intact; the snapshot codec gives their JSON
 * form (event-id lists become arrays). Semantics: Go Dsiem (go-dsiem.md 3.4), adjusted by decisions D1 and D3.
 */

import type { NetworkAssets } from '../asset/network-assets.js';
import type { Directive, RuleSpec } from '../directive/directive.js';
import type { NormalizedEvent } from '../event/normalized-event.js';
import { parseIp } from '../net/ip.js';
import { compileRule, matchRule, MatchResult, stickyValue, type CompiledRule } from '../rule/match-rule.js';
import { riskClassOf, riskOf, type RiskClass, type RiskThresholds } from '../risk/risk.js';
import { resolveRules } from './references.js';
import { appendId, includesId, sizeOf, type EventIds } from './event-ids.js';
import { toAlarmDocument, type AlarmDocument, type AlarmEventRecord } from '../alarm/alarm.js';

export type StageStatus = '' | 'finished' | 'timeout';

export interface StageState {
  /** Event time (Unix s) the stage started; 0 while not started. */
  readonly start_time: number;
  readonly end_time: number;
  readonly status: StageStatus;
  /** Ids of the events counted in this stage (an immutable list, newest first; see event-ids.ts). */
  readonly event_ids: EventIds;
  /** `sticky_different` values already seen in this stage. */
  readonly sticky: readonly string[];
}

export interface CustomDataEntry {
  readonly label: string;
  readonly content: string;
}

export interface EnrichmentHit {
  readonly provider: string;
  readonly term: string;
  readonly result: string;
}

export interface BacklogState {
  readonly id: string;
  readonly directiveId: number;
  /** The directive's name when the backlog was created (the reload check of D9 compares it). */
  readonly directiveName: string;
  readonly title: string;
  readonly priority: number;
  readonly kingdom: string;
  readonly category: string;
  readonly allRulesAlwaysActive: boolean;
  /** The directive's rules with references resolved from the first event. */
  readonly rules: readonly RuleSpec[];
  /** Progress per stage; stages[i] belongs to rules[i]. */
  readonly stages: readonly StageState[];
  /** 1-based. */
  readonly currentStage: number;
  readonly risk: number;
  readonly riskClass: RiskClass | '';
  readonly srcIps: readonly string[];
  readonly dstIps: readonly string[];
  readonly networks: readonly string[];
  readonly customData: readonly CustomDataEntry[];
  readonly intelHits: readonly EnrichmentHit[];
  readonly vulnerabilities: readonly EnrichmentHit[];
  /** Clock seconds of the first alarm line (0 before). */
  readonly createdTime: number;
  /** Clock seconds of the last counted event. */
  readonly updateTime: number;
  /** `rcvd_time` (ns) of the first event. */
  readonly rcvdTime: number;
  readonly lastSrcPort: number;
  readonly lastDstPort: number;
  readonly ended: '' | 'completed' | 'expired';
}

/** Settings that shape alarms but are not part of a backlog's state. */
export interface BacklogContext {
  readonly assets: NetworkAssets;
  readonly thresholds: RiskThresholds;
  /** First `--status` value, first `--tags` value. */
  readonly status: string;
  readonly tag: string;
}

export type BacklogEffect =
  | { readonly type: 'alarm-event'; readonly record: AlarmEventRecord }
  | { readonly type: 'alarm'; readonly alarm: AlarmDocument }
  | { readonly type: 'ended'; readonly reason: 'completed' | 'expired' };

export interface Transition {
  readonly state: BacklogState;
  readonly effects: readonly BacklogEffect[];
}

export interface StepResult extends Transition {
  /** Consumed events never start a new backlog of the same directive (D1, D6). */
  readonly consumed: boolean;
}

/** Transitions without effects share this list (most offers change nothing, or only the state). */
const NO_EFFECTS: readonly BacklogEffect[] = Object.freeze([]);

/**
 * Lists in a state are immutable, so every new backlog starts with the same empty one, and a list grows by
 * `concat`, which allocates exactly what it holds (a spread or push keeps room for 16 more: ~130 bytes per list
 * per backlog, which adds up over 100,000 backlogs).
 */
const NONE: readonly never[] = Object.freeze([]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Working copies. Counting an event copies the whole state (immutable states make a supervised restart exact),
 * which is most of the cost of a counted event. A backlog actor that steps through several events in one
 * message starts from `draftOf(state)`, a private copy that counting then updates in place, and hands out only
 * `published(draft)`. Every other path still makes new states, so functions called with ordinary states (as
 * everywhere outside that loop) never change their arguments.
 *
 * There is at most one draft at a time (a message is handled synchronously from `draftOf` to `published`, and
 * a new draft ends any earlier one, say of a handler that threw), so it is known by identity: no lookup.
 */
let openDraft: BacklogState | undefined;

export function draftOf(state: BacklogState): BacklogState {
  const draft = copyOf(state);
  draft.stages = state.stages.slice();
  openDraft = draft;
  return draft;
}

export function isDraft(state: BacklogState): boolean {
  return state === openDraft;
}

/** Ends a draft: from now on it is an ordinary, immutable state. */
export function published(state: BacklogState): BacklogState {
  if (state === openDraft) openDraft = undefined;
  return state;
}

/**
 * A new state with the same fields, to be changed before anyone else sees it. Every state a backlog keeps is
 * made here (`createBacklog`'s first literal is only counted from, which copies it; snapshots are restored
 * through here), with one field order and one type per field: V8 then gives every state the same hidden class,
 * which keeps the code that reads them fast (object spreads made states of several shapes).
 */
export function copyOf(s: BacklogState): Mutable<BacklogState> {
  return {
    id: s.id,
    directiveId: s.directiveId,
    directiveName: s.directiveName,
    title: s.title,
    priority: s.priority,
    kingdom: s.kingdom,
    category: s.category,
    allRulesAlwaysActive: s.allRulesAlwaysActive,
    rules: s.rules,
    stages: s.stages,
    currentStage: s.currentStage,
    risk: s.risk,
    riskClass: s.riskClass,
    srcIps: s.srcIps,
    dstIps: s.dstIps,
    networks: s.networks,
    customData: s.customData,
    intelHits: s.intelHits,
    vulnerabilities: s.vulnerabilities,
    createdTime: s.createdTime,
    updateTime: s.updateTime,
    rcvdTime: s.rcvdTime,
    lastSrcPort: s.lastSrcPort,
    lastDstPort: s.lastDstPort,
    ended: s.ended,
  };
}

/** Stage states are always built here, with one field order and field types (one hidden class for all). */
export function stageOf(start_time: number, end_time: number, status: StageStatus, event_ids: EventIds, sticky: readonly string[]): StageState {
  return { start_time, end_time, status, event_ids, sticky };
}

/** An out-of-order event: its time + 5 s is not after the previous stage's end (Go Dsiem). */
const ORDER_SLACK_SECONDS = 5;

// ---- queries ------------------------------------------------------------------------------------------------

export function currentRule(state: BacklogState): RuleSpec {
  const rule = state.rules[state.currentStage - 1];
  if (rule === undefined) throw new Error(`backlog ${state.id} has no rule for stage ${state.currentStage}`);
  return rule;
}

/** Event-time second after which the backlog may expire (before the minimum alarm lifetime is added). */
export function deadlineOf(state: BacklogState): number {
  const stage = state.stages[state.currentStage - 1];
  return (stage?.start_time ?? 0) + currentRule(state).timeout;
}

/** Expired when current stage start + timeout < now - minimum alarm lifetime (all in seconds). */
export function isExpired(state: BacklogState, nowSec: number, minLifetimeSec: number): boolean {
  return state.ended === '' && deadlineOf(state) < nowSec - minLifetimeSec;
}

/**
 * Has the backlog counted this event id (D3)? `maybeCounted` is the caller's cheap pre-check: a directive knows
 * every id counted or in flight in any of its backlogs, and passes false when the id is in none of them (the
 * common case), which spares the walk through the stage lists.
 */
export function hasEvent(state: BacklogState, eventId: string, maybeCounted = true): boolean {
  return maybeCounted && state.stages.some((s) => includesId(s.event_ids, eventId));
}

function earlierStageMatching(state: BacklogState, e: NormalizedEvent, assets: NetworkAssets): number {
  for (let i = 0; i < state.currentStage - 1; i++) {
    const rule = state.rules[i];
    if (rule !== undefined && matchRule(compileRule(rule), e, assets) === MatchResult.Matched) return i;
  }
  return -1;
}

// ---- creation -----------------------------------------------------------------------------------------------

/** Title: SRC_IP / DST_IP in the directive name become the host asset name of the first event's address, or the address. */
export function backlogTitle(name: string, e: NormalizedEvent, assets: NetworkAssets): string {
  let title = name;
  if (title.includes('SRC_IP')) title = title.replaceAll('SRC_IP', assets.hostName(e.srcAddr) ?? e.src_ip);
  if (title.includes('DST_IP')) title = title.replaceAll('DST_IP', assets.hostName(e.dstAddr) ?? e.dst_ip);
  return title;
}

/** Can this event start a backlog of the directive? (stage 1 matches and the timestamp is usable) */
export function startsBacklog(directive: Directive, e: NormalizedEvent, assets: NetworkAssets): boolean {
  const first = directive.rules[0];
  return first !== undefined && !Number.isNaN(e.time) && matchRule(compileRule(first), e, assets) === MatchResult.Matched;
}

/** A new backlog whose first event (which must satisfy `startsBacklog`) has been counted in stage 1. */
export function createBacklog(
  directive: Directive,
  e: NormalizedEvent,
  ctx: BacklogContext,
  id: string,
  nowMs: number,
): Transition {
  const rules = resolveRules(directive.rules, directive.allRulesAlwaysActive, e);
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
  };
  return countEvent(state, 0, e, ctx, nowMs);
}

// ---- events -------------------------------------------------------------------------------------------------

/** `maybeCounted`: see `hasEvent`. */
export function stepBacklog(state: BacklogState, e: NormalizedEvent, ctx: BacklogContext, nowMs: number, maybeCounted = true): StepResult {
  if (state.ended !== '') return { consumed: false, state, effects: NO_EFFECTS };
  const idx = state.currentStage - 1;
  const rule = compileRule(currentRule(state));
  const result = matchRule(rule, e, ctx.assets);
  const recorded = recordSticky(state, idx, rule, e, result);
  const known = hasEvent(state, e.event_id, maybeCounted);
  if (result !== MatchResult.Matched) {
    if (known) return { consumed: true, state, effects: NO_EFFECTS };
    if (!state.allRulesAlwaysActive) return { consumed: false, state: recorded, effects: NO_EFFECTS };
    const earlier = earlierStageMatching(recorded, e, ctx.assets);
    if (earlier < 0) return { consumed: false, state: recorded, effects: NO_EFFECTS };
    return appendToEarlierStage(recorded, earlier, e, ctx, nowMs);
  }
  if (known) return { consumed: true, state, effects: NO_EFFECTS };
  if (Number.isNaN(e.time)) return { consumed: true, state: recorded, effects: NO_EFFECTS };
  if (rule.sticky !== undefined && recorded === state) return { consumed: true, state, effects: NO_EFFECTS };
  const previousEnd = idx > 0 ? (state.stages[idx - 1]?.end_time ?? 0) : 0;
  if (e.time + ORDER_SLACK_SECONDS <= previousEnd) return { consumed: true, state: recorded, effects: NO_EFFECTS };
  return countEvent(recorded, idx, e, ctx, nowMs);
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

function addUnique(list: readonly string[], value: string): readonly string[] {
  if (list[list.length - 1] === value || list.includes(value)) return list;
  const next = list.concat(value);
  // 0.0.0.0 means "unknown address": it goes once another address is known.
  return next.length > 1 && next.includes('0.0.0.0') ? next.filter((ip) => ip !== '0.0.0.0') : next;
}

function withCustomData(list: readonly CustomDataEntry[], label: string, content: string): readonly CustomDataEntry[] {
  if (content === '' || list.some((c) => c.label === label && c.content === content)) return list;
  return list.concat({ label, content });
}

/** Records the event in stage idx: ids, addresses, custom data, ports, times, and its alarm-event line. */
function appendEvent(state: BacklogState, idx: number, e: NormalizedEvent, nowMs: number): BacklogState {
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
  // A working copy nobody else has seen (see `draftOf`) is updated in place; otherwise a new state is made. Lists
  // are replaced, never changed, so alarm documents made from the draft earlier keep their values.
  let next: Mutable<BacklogState>;
  if (state === openDraft) {
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

/** Counts the event in the current stage; completes the stage, moves on or ends the backlog. (Consumed, always.) */
function countEvent(state: BacklogState, idx: number, e: NormalizedEvent, ctx: BacklogContext, nowMs: number): StepResult {
  const counted = appendEvent(state, idx, e, nowMs);
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
function appendToEarlierStage(state: BacklogState, idx: number, e: NormalizedEvent, ctx: BacklogContext, nowMs: number): StepResult {
  const appended = appendEvent(state, idx, e, nowMs);
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
  effects.push({ type: 'alarm', alarm: toAlarmDocument(next, ctx) });
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
export function expireBacklog(state: BacklogState, ctx: BacklogContext): Transition {
  const idx = state.currentStage - 1;
  const stage = state.stages[idx];
  if (stage === undefined || state.ended !== '') return { state, effects: NO_EFFECTS };
  const ended = copyOf(state);
  ended.ended = 'expired';
  const timedOut = withStage(ended, idx, stageOf(stage.start_time, stage.end_time, 'timeout', stage.event_ids, stage.sticky));
  const effects: BacklogEffect[] = [];
  const written = withAlarm(timedOut, ctx, effects);
  effects.push({ type: 'ended', reason: 'expired' });
  return { state: written, effects };
}

// ---- offering an event --------------------------------------------------------------------------------------

/** How a directive treats one of its backlogs for an event, decided without running the step. */
export interface Offer {
  /** The backlog would consume the event (so the event cannot start a new backlog). */
  readonly consumed: boolean;
  /** Stepping the backlog with the event could change its state (otherwise the event need not be sent). */
  readonly deliver: boolean;
}

const OFFERS = {
  ignored: { consumed: false, deliver: false },
  touched: { consumed: false, deliver: true },
  duplicate: { consumed: true, deliver: false },
  taken: { consumed: true, deliver: true },
} as const satisfies Record<string, Offer>;

export function previewOffer(state: BacklogState, e: NormalizedEvent, assets: NetworkAssets, maybeCounted = true): Offer {
  if (state.ended !== '') return OFFERS.ignored;
  const result = matchRule(compileRule(currentRule(state)), e, assets);
  const known = hasEvent(state, e.event_id, maybeCounted);
  if (result === MatchResult.Matched) return known ? OFFERS.duplicate : OFFERS.taken;
  if (known) return OFFERS.duplicate;
  if (state.allRulesAlwaysActive && earlierStageMatching(state, e, assets) >= 0) return OFFERS.taken;
  return result === MatchResult.FailedAfterSticky && state.currentStage > 1 ? OFFERS.touched : OFFERS.ignored;
}

/**
 * What a backlog does with an event at clock time nowMs: it first expires if its deadline passed (then it
 * does not consume the event), otherwise it steps. Directive and backlog use the same rule, so the outcome
 * does not depend on when the backlog actor gets to run.
 */
export function offerEvent(
  state: BacklogState,
  e: NormalizedEvent,
  ctx: BacklogContext,
  nowMs: number,
  minLifetimeSec: number,
  maybeCounted = true,
): StepResult {
  if (isExpired(state, nowMs / 1000, minLifetimeSec)) return { consumed: false, ...expireBacklog(state, ctx) };
  return stepBacklog(state, e, ctx, nowMs, maybeCounted);
}

// ---- predicting an offer while events are in flight ----------------------------------------------------------

/** What a directive knows about events it sent to a backlog that has not answered yet. */
export interface InFlight {
  readonly count: number;
  hasId(eventId: string): boolean;
  /** Earliest valid event time (Unix s) among them; Infinity when none has one. */
  readonly minTime: number;
}

export type Prediction = 'consumed' | 'unaffected' | 'unknown';

/**
 * The answer a backlog will give for an event queued behind `inFlight`, when it can be known from its last
 * reported state: whatever stage the in-flight events move it to, it stays in one of the stages from its
 * current one to its last. So if every one of those stages matches (or it already counted the event id), and
 * the in-flight events can neither complete it nor let it expire, it will consume the event ('consumed').
 * If no stage it could be in is touched by the event, the event cannot change it ('unaffected': no need to
 * send it). Otherwise 'unknown': send it and wait for the answer if the decision depends on it.
 */
export function predictOffer(
  state: BacklogState,
  e: NormalizedEvent,
  assets: NetworkAssets,
  inFlight: InFlight,
  nowSec: number,
  minLifetimeSec: number,
  maybeCounted = true,
): Prediction {
  if (state.ended !== '') return 'unaffected';
  const current = state.currentStage - 1;
  const first = state.allRulesAlwaysActive ? 0 : current;
  let allMatch = true;
  let touched = false;
  for (let k = first; k < state.rules.length; k++) {
    const rule = state.rules[k];
    const result = rule === undefined ? MatchResult.NoMatch : matchRule(compileRule(rule), e, assets);
    if (result !== MatchResult.NoMatch) touched = true;
    if (k >= current && result !== MatchResult.Matched) allMatch = false;
  }
  const counted = hasEvent(state, e.event_id, maybeCounted);
  if (!touched && !counted && !(maybeCounted && inFlight.hasId(e.event_id))) return 'unaffected';
  if ((allMatch || counted) && !canEnd(state, inFlight.count) && !canExpire(state, inFlight.minTime, nowSec, minLifetimeSec)) {
    return 'consumed';
  }
  return 'unknown';
}

/** Could `n` more counted events complete the last stage? */
function canEnd(state: BacklogState, n: number): boolean {
  let remaining = 0;
  for (let k = state.currentStage - 1; k < state.rules.length; k++) {
    remaining += Math.max(0, (state.rules[k]?.occurrence ?? 0) - sizeOf(state.stages[k]?.event_ids));
  }
  return n >= remaining;
}

/** Could the backlog be expired by now, in any stage the in-flight events may move it to? */
function canExpire(state: BacklogState, minTime: number, nowSec: number, minLifetimeSec: number): boolean {
  const limit = nowSec - minLifetimeSec;
  if (deadlineOf(state) < limit) return true;
  if (!Number.isFinite(minTime)) return false;
  for (let k = state.currentStage; k < state.rules.length; k++) {
    if (minTime + (state.rules[k]?.timeout ?? 0) < limit) return true;
  }
  return false;
}

// ---- enrichment ---------------------------------------------------------------------------------------------

function mergeHits(known: readonly EnrichmentHit[], found: readonly EnrichmentHit[]): readonly EnrichmentHit[] {
  let merged = known;
  for (const hit of found) {
    if (!merged.some((h) => h.provider === hit.provider && h.term === hit.term && h.result === hit.result)) merged = merged.concat(hit);
  }
  return merged;
}

function enriched(state: BacklogState, intelHits: readonly EnrichmentHit[], vulnerabilities: readonly EnrichmentHit[]): BacklogState {
  const next = copyOf(state);
  next.intelHits = intelHits;
  next.vulnerabilities = vulnerabilities;
  return next;
}

/**
 * Intel and vulnerability results that arrived for this backlog (D1): they accumulate (never removed), and the
 * alarm is re-written when something new came in and the alarm exists (risk >= 1).
 */
export function addEnrichment(
  state: BacklogState,
  intel: readonly EnrichmentHit[],
  vulns: readonly EnrichmentHit[],
  ctx: BacklogContext,
): Transition {
  const intelHits = mergeHits(state.intelHits, intel);
  const vulnerabilities = mergeHits(state.vulnerabilities, vulns);
  if (intelHits === state.intelHits && vulnerabilities === state.vulnerabilities) return { state, effects: NO_EFFECTS };
  const effects: BacklogEffect[] = [];
  return { state: withAlarm(enriched(state, intelHits, vulnerabilities), ctx, effects), effects };
}

/** Should the addresses of this transition's backlog be looked up? (an alarm was written, not for expiry) */
export function wantsEnrichment(t: Transition): boolean {
  return t.state.ended !== 'expired' && t.effects.some((e) => e.type === 'alarm');
}
