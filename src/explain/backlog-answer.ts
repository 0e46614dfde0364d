/**
 * Why one live backlog answered an event the way it did: counted (in which stage, how far that stage is, what
 * the step wrote), consumed but not counted (repeated id, unusable timestamp, no new sticky value, out of order),
 * not matched (the first field of its current rule that fails, with the value the directive wrote, what the
 * backlog resolved it to, and the event's), or expired first. The answer itself is the step's (transitions.ts);
 * the reason is found by walking the same checks in the same order, and the two are compared: a disagreement
 * is a bug here and throws.
 */

import { hasEvent, type BacklogContext, type BacklogState } from '../backlog/state.js';
import { includesId, sizeOf } from '../backlog/event-ids.js';
import type { BacklogEffect, Step } from '../backlog/transitions.js';
import type { Directive } from '../directive/directive.js';
import type { RuleSpec } from '../directive/rule-spec.js';
import type { NormalizedEvent } from '../event/normalized-event.js';
import { explainRule, type ExplainedField, type RuleVerdict } from '../rule/explain-rule.js';
import { stickyValue } from '../rule/match-rule.js';
import { describeMiss, type FieldMiss } from './field-miss.js';
import { formatEventTime } from './times.js';

export type ConsumedReason = 'repeated-id' | 'unusable-timestamp' | 'no-new-sticky-value' | 'out-of-order';

export interface AlarmWritten {
  readonly risk: number;
  readonly risk_class: string;
}

interface AnswerBase {
  readonly backlog_id: string;
  readonly title: string;
  /** The stage the backlog was in when it met the event. */
  readonly stage: number;
}

export type BacklogAnswer =
  | (AnswerBase & {
      readonly result: 'counted';
      readonly counted_stage: number;
      /** Events counted in that stage now, and how many it needs. */
      readonly count: number;
      readonly occurrence: number;
      readonly stage_done: boolean;
      /** The stage it moved to, when it moved. */
      readonly now_stage?: number;
      readonly completed: boolean;
      /** Counted in an earlier stage (all_rules_always_active): why the current stage did not take it. */
      readonly miss?: FieldMiss;
      readonly alarm?: AlarmWritten;
    })
  | (AnswerBase & { readonly result: 'consumed'; readonly reason: ConsumedReason; readonly why: string })
  | (AnswerBase & {
      readonly result: 'not-matched';
      readonly miss: FieldMiss;
      /** The stage's sticky_different value, recorded as seen although the rule failed (Go records it mid-check). */
      readonly sticky_recorded?: string;
    })
  | (AnswerBase & { readonly result: 'expired'; readonly alarm?: AlarmWritten });

/** The explanation and the step it explains disagree: a bug in this module, never a property of the input. */
export class ExplainDisagreementError extends Error {
  override readonly name = 'ExplainDisagreementError';
}

const ORDER_SLACK_SECONDS = 5;

function countedRecords(effects: readonly BacklogEffect[]): number[] {
  const stages: number[] = [];
  for (const e of effects) if (e.type === 'alarm-event') stages.push(e.record.stage);
  return stages;
}

export function lastAlarm(effects: readonly BacklogEffect[]): AlarmWritten | undefined {
  let alarm: AlarmWritten | undefined;
  for (const e of effects) if (e.type === 'alarm') alarm = { risk: e.alarm.risk, risk_class: e.alarm.risk_class };
  return alarm;
}

function stageHolding(state: BacklogState, eventId: string): number {
  return state.stages.findIndex((s) => includesId(s.event_ids, eventId)) + 1;
}

function missOf(directive: Directive, idx: number, verdict: Extract<RuleVerdict, { matched: false }>): FieldMiss {
  const written = directive.rules[idx];
  const field: ExplainedField = verdict.field;
  const ruleValue = written === undefined ? verdict.expected : writtenValue(written, field, verdict.expected);
  return describeMiss(verdict, ruleValue);
}

/** The directive's own text for a field (a reference `:N` stays as written); lists as explainRule shows them. */
function writtenValue(rule: RuleSpec, field: ExplainedField, shown: string): string {
  switch (field) {
    case 'from':
    case 'to':
    case 'port_from':
    case 'port_to':
    case 'custom_data1':
    case 'custom_data2':
    case 'custom_data3':
      return rule[field];
    default:
      return shown;
  }
}

function consumedWhy(reason: ConsumedReason, state: BacklogState, idx: number, rule: RuleSpec, e: NormalizedEvent): string {
  switch (reason) {
    case 'repeated-id':
      return `repeated event id ${JSON.stringify(e.event_id)}: already counted in stage ${stageHolding(state, e.event_id)}`;
    case 'unusable-timestamp':
      return `unusable timestamp ${JSON.stringify(e.timestamp)} (not RFC 3339): the event cannot be counted`;
    case 'no-new-sticky-value':
      return `no new sticky_different value: ${rule.sticky_different} ${JSON.stringify(stickyValue(rule.sticky_different as Exclude<RuleSpec['sticky_different'], ''>, e))} was already seen in stage ${idx + 1}`;
    case 'out-of-order': {
      const end = state.stages[idx - 1]?.end_time ?? 0;
      return `out of order: event time ${formatEventTime(e.time)} + ${ORDER_SLACK_SECONDS} s is not after stage ${idx}'s end ${formatEventTime(end)}`;
    }
  }
}

/** Which check of a matching rule stopped the count (the order of transitions.ts `onEvent`). */
function consumedReason(state: BacklogState, idx: number, rule: RuleSpec, e: NormalizedEvent, maybeCounted: boolean): ConsumedReason | undefined {
  if (hasEvent(state, e.event_id, maybeCounted)) return 'repeated-id';
  if (Number.isNaN(e.time)) return 'unusable-timestamp';
  if (rule.sticky_different !== '' && (idx === 0 || (state.stages[idx]?.sticky ?? []).includes(stickyValue(rule.sticky_different, e)))) {
    return 'no-new-sticky-value';
  }
  const previousEnd = idx > 0 ? (state.stages[idx - 1]?.end_time ?? 0) : 0;
  if (e.time + ORDER_SLACK_SECONDS <= previousEnd) return 'out-of-order';
  return undefined;
}

function counted(base: AnswerBase, before: BacklogState, s: Step, countedStage: number, miss: FieldMiss | undefined): BacklogAnswer {
  const idx = countedStage - 1;
  const stage = s.state.stages[idx];
  const wasDone = before.stages[idx]?.status === 'finished';
  const alarm = lastAlarm(s.effects);
  return {
    ...base,
    result: 'counted',
    counted_stage: countedStage,
    count: sizeOf(stage?.event_ids),
    occurrence: s.state.rules[idx]?.occurrence ?? 0,
    stage_done: stage?.status === 'finished' && !wasDone,
    ...(s.state.currentStage !== before.currentStage ? { now_stage: s.state.currentStage } : {}),
    completed: s.state.ended === 'completed',
    ...(miss === undefined ? {} : { miss }),
    ...(alarm === undefined ? {} : { alarm }),
  };
}

function classify(directive: Directive, before: BacklogState, s: Step, e: NormalizedEvent, ctx: Pick<BacklogContext, 'assets'>, maybeCounted: boolean): BacklogAnswer {
  const base: AnswerBase = { backlog_id: before.id, title: before.title, stage: before.currentStage };
  if (before.ended === '' && s.state.ended === 'expired') {
    const alarm = lastAlarm(s.effects);
    return { ...base, result: 'expired', ...(alarm === undefined ? {} : { alarm }) };
  }
  const idx = before.currentStage - 1;
  const rule = before.rules[idx];
  if (rule === undefined) throw new ExplainDisagreementError(`backlog ${before.id} has no rule for stage ${before.currentStage}`);
  const verdict = explainRule(rule, e, ctx.assets);
  const stages = countedRecords(s.effects);
  if (!verdict.matched) {
    const miss = missOf(directive, idx, verdict);
    if (hasEvent(before, e.event_id, maybeCounted)) return { ...base, result: 'consumed', reason: 'repeated-id', why: consumedWhy('repeated-id', before, idx, rule, e) };
    const earlier = stages[0];
    if (earlier !== undefined) return counted(base, before, s, earlier, miss);
    const seenBefore = before.stages[idx]?.sticky.length ?? 0;
    const seenAfter = s.state.stages[idx]?.sticky ?? [];
    const recorded = seenAfter.length > seenBefore ? seenAfter[seenAfter.length - 1] : undefined;
    return { ...base, result: 'not-matched', miss, ...(recorded === undefined ? {} : { sticky_recorded: recorded }) };
  }
  const reason = consumedReason(before, idx, rule, e, maybeCounted);
  if (reason !== undefined) return { ...base, result: 'consumed', reason, why: consumedWhy(reason, before, idx, rule, e) };
  return counted(base, before, s, before.currentStage, undefined);
}

/**
 * The reason for one backlog's step on an event; throws `ExplainDisagreementError` if it does not fit the step.
 * `maybeCounted`: false when no live backlog of the directive had counted the event's id (as the step was told).
 */
export function explainAnswer(directive: Directive, before: BacklogState, s: Step, e: NormalizedEvent, ctx: Pick<BacklogContext, 'assets'>, maybeCounted = true): BacklogAnswer {
  const answer = classify(directive, before, s, e, ctx, maybeCounted);
  const countedStages = countedRecords(s.effects);
  const fits =
    answer.result === 'counted'
      ? s.consumed && countedStages.length === 1 && countedStages[0] === answer.counted_stage
      : answer.result === 'consumed'
        ? s.consumed && countedStages.length === 0
        : !s.consumed && countedStages.length === 0;
  if (!fits) {
    throw new ExplainDisagreementError(
      `explain says ${answer.result} for backlog ${before.id} and event ${e.event_id}, but the step ${s.consumed ? 'consumed' : 'did not consume'} it and counted it ${countedStages.length} times`,
    );
  }
  return answer;
}
