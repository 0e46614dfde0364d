/**
 * The backlog's state model: one in-progress correlation of a directive (one alarm id) as plain data, the
 * constructors every state goes through, and the questions asked of a state (current rule, deadline, expiry,
 * "has it counted this event id"). Transitions are in transitions.ts, the directive's predictions in
 * predictions.ts; both only read states through what is here.
 *
 * States are immutable once published: a failed handler leaves the last good state intact (supervision), and
 * versions of a state share their lists. The snapshot codec (snapshot.ts) gives their JSON form.
 */

import type { NetworkAssets } from '../asset/network-assets.js';
import type { RuleSpec } from '../directive/rule-spec.js';
import type { EnrichmentHit } from '../enrichment/hit.js';
import type { RiskClass, RiskThresholds } from '../risk/risk.js';
import type { RuleBook } from '../rule/rule-book.js';
import { includesId, type EventIds } from './event-ids.js';

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

export type EndReason = 'completed' | 'expired';

export interface BacklogState {
  readonly id: string;
  readonly directiveId: number;
  /** The directive's name when the backlog was created (the reload check compares it). */
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
  readonly ended: '' | EndReason;
  /**
   * In a saved state: whether the backlog owed an intel/vulnerability lookup when it was saved (one running or due,
   * or its last one failed; the directive runtime's snapshot sets it), so that a restart looks up again only those.
   * Undefined: not known (a state saved by an earlier version or while no source was enabled, or one never saved).
   * Steps carry it unchanged and never read it.
   */
  readonly lookupOwed: boolean | undefined;
}

/** Settings that shape backlogs and alarms but are not part of a backlog's state. */
export interface BacklogContext {
  readonly assets: NetworkAssets;
  readonly thresholds: RiskThresholds;
  /** First `--status` value, first `--tags` value. */
  readonly status: string;
  readonly tag: string;
  /** `-l/--min-alarm-lifetime` in seconds: added to every stage timeout. */
  readonly minLifetimeSec: number;
  /** Compiled and resolved rules, memoised for the engine. */
  readonly rules: RuleBook;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Lists in a state are immutable, so every new backlog starts with the same empty one, and a list grows by
 * `concat`, which allocates exactly what it holds (a spread or push keeps room for 16 more: ~130 bytes per list
 * per backlog, which adds up over 100,000 backlogs).
 */
export const NONE: readonly never[] = Object.freeze([]);

/**
 * A new state with the same fields, to be changed before anyone else sees it. Every state a backlog keeps is
 * made here (snapshots are restored through here too), with one field order and one type per field: V8 then
 * gives every state the same hidden class, which keeps the code that reads them fast (object spreads made
 * states of several shapes).
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
    lookupOwed: s.lookupOwed,
  };
}

/** Stage states are always built here, with one field order and field types (one hidden class for all). */
export function stageOf(start_time: number, end_time: number, status: StageStatus, event_ids: EventIds, sticky: readonly string[]): StageState {
  return { start_time, end_time, status, event_ids, sticky };
}

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
