/**
 * The explanation of one line of an events file, as plain data (the JSON lines of `explain -j`; the text form is
 * made from it): skipped or whitelisted, else the backlogs that expired as the clock reached the event, the
 * directives its quick check reached, and per directive every live backlog's answer, the stage-1 check for a
 * new backlog when no backlog consumed it, and the outcome.
 */

import type { BacklogContext } from '../backlog/state.js';
import type { Directive } from '../directive/directive.js';
import type { NormalizedEvent } from '../event/normalized-event.js';
import type { InvalidReason } from '../intake/intake.js';
import { explainRule } from '../rule/explain-rule.js';
import { ExplainDisagreementError, explainAnswer, lastAlarm, type AlarmWritten, type BacklogAnswer } from './backlog-answer.js';
import type { DirectiveExpiry, EventTrace } from './config-trace.js';
import type { DirectiveOffer } from './directive-trace.js';
import type { FieldMiss } from './field-miss.js';
import { quickCheckMiss } from './quick-check-miss.js';
import { formatClock, formatEventTime } from './times.js';

export interface ExpiredRecord {
  readonly directive_id: number;
  readonly backlog_id: string;
  readonly title: string;
  readonly stage: number;
  /** Start of the stage that timed out, and its timeout (s). */
  readonly started: string;
  readonly timeout: number;
  /** `-l/--min-alarm-lifetime` in seconds, when set: added to the timeout. */
  readonly min_alarm_lifetime?: number;
  readonly alarm?: AlarmWritten;
}

export type StageOneCheck =
  | { readonly matched: true; readonly unusable_timestamp?: true }
  | { readonly matched: false; readonly miss: FieldMiss };

export type DirectiveOutcome = 'counted' | 'consumed' | 'new-backlog' | 'ignored';

export interface NewBacklog {
  readonly backlog_id: string;
  readonly title: string;
  /** The stage it is in after its first event (stage 1 needs one event, so usually 2). */
  readonly stage: number;
  readonly completed: boolean;
  readonly alarm?: AlarmWritten;
}

export interface DirectiveRecord {
  readonly directive_id: number;
  readonly directive: string;
  readonly backlogs: readonly BacklogAnswer[];
  /** Checked when no backlog consumed the event: could it start a backlog? */
  readonly stage1?: StageOneCheck;
  readonly outcome: DirectiveOutcome;
  readonly new_backlog?: NewBacklog;
}

/** The event's fields that decide where it goes. */
export interface EventKeys {
  readonly src_ip: string;
  readonly src_port: number;
  readonly dst_ip: string;
  readonly dst_port: number;
  readonly plugin_id?: number;
  readonly plugin_sid?: number;
  readonly product?: string;
  readonly category?: string;
  readonly subcategory?: string;
}

export type EventRecord =
  | { readonly line: number; readonly skipped: InvalidReason; readonly detail: string }
  | { readonly line: number; readonly event_id: string; readonly whitelisted: true; readonly src_ip: string }
  | {
      readonly line: number;
      readonly event_id: string;
      readonly timestamp: string;
      /** The clock (event time, the latest timestamp so far) the event was handled at. */
      readonly clock: string;
      readonly event: EventKeys;
      readonly expired: readonly ExpiredRecord[];
      readonly reached: readonly number[];
      readonly directives: readonly DirectiveRecord[];
      /** With a directive chosen: why the event did not reach it. */
      readonly not_reached?: { readonly directive_id: number; readonly why: string };
    };

function keysOf(e: NormalizedEvent): EventKeys {
  return {
    src_ip: e.src_ip,
    src_port: e.src_port,
    dst_ip: e.dst_ip,
    dst_port: e.dst_port,
    ...(e.plugin_id !== 0 ? { plugin_id: e.plugin_id, plugin_sid: e.plugin_sid } : {}),
    ...(e.category !== '' ? { product: e.product, category: e.category, subcategory: e.subcategory } : {}),
  };
}

export function explainExpiries(expiries: readonly DirectiveExpiry[], minLifetimeSec: number): ExpiredRecord[] {
  const records: ExpiredRecord[] = [];
  for (const { directive, expired } of expiries) {
    for (const { before, step } of expired) {
      const stage = before.stages[before.currentStage - 1];
      const alarm = lastAlarm(step.effects);
      records.push({
        directive_id: directive.id,
        backlog_id: before.id,
        title: before.title,
        stage: before.currentStage,
        started: formatEventTime(stage?.start_time ?? 0),
        timeout: before.rules[before.currentStage - 1]?.timeout ?? 0,
        ...(minLifetimeSec > 0 ? { min_alarm_lifetime: minLifetimeSec } : {}),
        ...(alarm === undefined ? {} : { alarm }),
      });
    }
  }
  return records;
}

function stageOneCheck(d: Directive, e: NormalizedEvent, ctx: Pick<BacklogContext, 'assets'>): StageOneCheck {
  const first = d.rules[0];
  if (first === undefined) throw new ExplainDisagreementError(`directive ${d.id} has no rules`);
  const v = explainRule(first, e, ctx.assets);
  if (!v.matched) return { matched: false, miss: { field: v.field, rule: v.expected, event: v.actual, why: `${v.why}` } };
  return Number.isNaN(e.time) ? { matched: true, unusable_timestamp: true } : { matched: true };
}

function explainOffer(offer: DirectiveOffer, ctx: Pick<BacklogContext, 'assets'>): DirectiveRecord {
  const d = offer.directive;
  const e = offer.timed.event;
  const backlogs = offer.answers.map((a) => explainAnswer(d, a.before, a.step, e, ctx, offer.maybeCounted));
  const base = { directive_id: d.id, directive: d.name, backlogs };
  if (offer.consumed) return { ...base, outcome: backlogs.some((b) => b.result === 'counted') ? 'counted' : 'consumed' };
  const stage1 = stageOneCheck(d, e, ctx);
  const starts = stage1.matched && stage1.unusable_timestamp !== true;
  if (starts !== (offer.created !== undefined)) {
    throw new ExplainDisagreementError(`explain says event ${e.event_id} ${starts ? 'starts' : 'does not start'} a backlog of directive ${d.id}, but correlation ${offer.created === undefined ? 'started none' : 'started one'}`);
  }
  if (offer.created === undefined) return { ...base, stage1, outcome: 'ignored' };
  const s = offer.created.state;
  const alarm = lastAlarm(offer.created.effects);
  const created: NewBacklog = { backlog_id: s.id, title: s.title, stage: s.currentStage, completed: s.ended === 'completed', ...(alarm === undefined ? {} : { alarm }) };
  return { ...base, stage1, outcome: 'new-backlog', new_backlog: created };
}

/** An event that was correlated; `only`: the directive the explanation is limited to, if any. */
export function explainEvent(line: number, trace: EventTrace, ctx: Pick<BacklogContext, 'assets' | 'minLifetimeSec'>, only?: Directive): EventRecord {
  const e = trace.timed.event;
  const directives = trace.offers.map((o) => explainOffer(o, ctx));
  const reached = trace.offers.map((o) => o.directive.id);
  return {
    line,
    event_id: e.event_id,
    timestamp: e.timestamp,
    clock: formatClock(trace.timed.now),
    event: keysOf(e),
    expired: explainExpiries(trace.expired, ctx.minLifetimeSec),
    reached,
    directives,
    ...(only !== undefined && reached.length === 0 ? { not_reached: { directive_id: only.id, why: quickCheckMiss(only, e) } } : {}),
  };
}

export function explainSkipped(line: number, reason: InvalidReason, detail: string): EventRecord {
  return { line, skipped: reason, detail };
}

export function explainWhitelisted(line: number, e: NormalizedEvent | undefined): EventRecord {
  return { line, event_id: e?.event_id ?? '', whitelisted: true, src_ip: e?.src_ip ?? '' };
}
