/**
 * What a directive can tell about a backlog's answer to an event without asking the backlog: from its last
 * reported state when nothing is in flight (`previewOffer`: exact), or from that state and what it knows of
 * the events in flight (`predictOffer`: certain answers only, else "unknown"). These decisions are what keep
 * correlation deterministic without a round trip per event (D6); each must agree with `step` (transitions.ts),
 * which the property tests in test/src/correlation check.
 */

import type { NetworkAssets } from '../asset/network-assets.js';
import type { Directive } from '../directive/directive.js';
import type { NormalizedEvent } from '../event/normalized-event.js';
import { matchRule, MatchResult, type CompiledRule } from '../rule/match-rule.js';
import type { RuleBook } from '../rule/rule-book.js';
import { sizeOf } from './event-ids.js';
import { deadlineOf, hasEvent, type BacklogContext, type BacklogState } from './state.js';
import { earlierStageMatching, knownMatch, type KnownMatch } from './transitions.js';

/** Can this event start a backlog of the directive? (stage 1 matches and the timestamp is usable) */
export function startsBacklog(directive: Directive, e: NormalizedEvent, ctx: Pick<BacklogContext, 'assets' | 'rules'>): boolean {
  const first = directive.rules[0];
  return first !== undefined && firstStageMatches(ctx.rules.compile(first), e, ctx.assets);
}

/** `startsBacklog` with the directive's first rule already compiled (a directive asks for every event it handles). */
export function firstStageMatches(first: CompiledRule, e: NormalizedEvent, assets: NetworkAssets): boolean {
  return !Number.isNaN(e.time) && matchRule(first, e, assets) === MatchResult.Matched;
}

/**
 * How a directive treats one of its backlogs with nothing in flight, for an event: whether the backlog would
 * consume it (so the event starts no new backlog), whether stepping the backlog with it could change its state
 * (otherwise it need not be sent), and the current stage's match for the backlog to reuse. A number, read with
 * the functions below: a preview is made per event and candidate backlog, and allocates nothing.
 */
export type Offer = number;

const CONSUMES = 1;
const DELIVERS = 2;
const IGNORED: Offer = 0;
const DUPLICATE: Offer = CONSUMES;

function offerOf(consumes: boolean, delivers: boolean, match: KnownMatch): Offer {
  return (consumes ? CONSUMES : 0) | (delivers ? DELIVERS : 0) | ((match + 1) << 2);
}

export function consumes(offer: Offer): boolean {
  return (offer & CONSUMES) !== 0;
}

export function delivers(offer: Offer): boolean {
  return (offer & DELIVERS) !== 0;
}

/** The match to send with the event (`UNKNOWN_MATCH` when there is none). */
export function matchOf(offer: Offer): KnownMatch {
  return (offer >> 2) - 1;
}

/** The backlog's answer to the event, from its state (exact when nothing is in flight to it). `rules`: its rules, compiled. */
export function previewOffer(
  state: BacklogState,
  e: NormalizedEvent,
  ctx: Pick<BacklogContext, 'assets' | 'rules'>,
  maybeCounted: boolean,
  rules: readonly CompiledRule[] = ctx.rules.compileAll(state.rules),
): Offer {
  if (state.ended !== '') return IGNORED;
  const current = rules[state.currentStage - 1];
  if (current === undefined) throw new Error(`backlog ${state.id} has no rule for stage ${state.currentStage}`);
  const result = matchRule(current, e, ctx.assets);
  if (hasEvent(state, e.event_id, maybeCounted)) return DUPLICATE;
  const match = knownMatch(state.currentStage, result);
  if (result === MatchResult.Matched) return offerOf(true, true, match);
  if (state.allRulesAlwaysActive && earlierStageMatching(state, e, ctx) >= 0) return offerOf(true, true, match);
  return result === MatchResult.FailedAfterSticky && state.currentStage > 1 ? offerOf(false, true, match) : IGNORED;
}

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
  ctx: { readonly assets: NetworkAssets; readonly rules: RuleBook; readonly minLifetimeSec: number },
  inFlight: InFlight,
  nowSec: number,
  maybeCounted: boolean,
  rules: readonly CompiledRule[] = ctx.rules.compileAll(state.rules),
): Prediction {
  if (state.ended !== '') return 'unaffected';
  const current = state.currentStage - 1;
  const first = state.allRulesAlwaysActive ? 0 : current;
  let allMatch = true;
  let touched = false;
  for (let k = first; k < rules.length; k++) {
    const rule = rules[k];
    const result = rule === undefined ? MatchResult.NoMatch : matchRule(rule, e, ctx.assets);
    if (result !== MatchResult.NoMatch) touched = true;
    if (k >= current && result !== MatchResult.Matched) allMatch = false;
  }
  const counted = hasEvent(state, e.event_id, maybeCounted);
  if (!touched && !counted && !(maybeCounted && inFlight.hasId(e.event_id))) return 'unaffected';
  if ((allMatch || counted) && !canEnd(state, inFlight.count) && !canExpire(state, inFlight, nowSec, ctx.minLifetimeSec)) {
    return 'consumed';
  }
  return 'unknown';
}

/** Could `n` more counted events complete the last stage? */
export function canEnd(state: BacklogState, n: number): boolean {
  let remaining = 0;
  for (let k = state.currentStage - 1; k < state.rules.length; k++) {
    remaining += Math.max(0, (state.rules[k]?.occurrence ?? 0) - sizeOf(state.stages[k]?.event_ids));
  }
  return n >= remaining;
}

/**
 * Could the backlog be expired by now, in any stage the in-flight events may move it to? (`inFlight`: the earliest
 * time among them, asked only when the current deadline has not passed.)
 */
export function canExpire(state: BacklogState, inFlight: number | Pick<InFlight, 'minTime'>, nowSec: number, minLifetimeSec: number): boolean {
  const limit = nowSec - minLifetimeSec;
  if (deadlineOf(state) < limit) return true;
  const minTime = typeof inFlight === 'number' ? inFlight : inFlight.minTime;
  if (!Number.isFinite(minTime)) return false;
  for (let k = state.currentStage; k < state.rules.length; k++) {
    if (minTime + (state.rules[k]?.timeout ?? 0) < limit) return true;
  }
  return false;
}
