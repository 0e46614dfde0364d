/**
 * `explain` over an events file, line by line: each line's explanation record, and at the end (with `--drain`)
 * the backlogs the end of time expired, and the counts of what happened.
 */

import type { BacklogContext } from '../backlog/state.js';
import type { Step } from '../backlog/transitions.js';
import type { Directive } from '../directive/directive.js';
import { eachExpiryStep, eachStep, type TraceIds } from './config-trace.js';
import { explainEvent, explainExpiries, explainSkipped, explainWhitelisted, type EventRecord, type ExpiredRecord } from './explanation.js';
import { ReplayTrace } from './replay-trace.js';

export interface ExplainSummary {
  readonly summary: 'explain';
  /** Non-blank lines, and how they went. */
  readonly lines: number;
  readonly events: number;
  readonly invalid: number;
  readonly whitelisted: number;
  readonly backlogs_created: number;
  /** Events counted (alarm-event lines), over all backlogs. */
  readonly counted: number;
  /** Backlogs that wrote an alarm line (risk >= 1). */
  readonly alarms: number;
  readonly expired: number;
}

export class ExplainSession {
  private readonly trace: ReplayTrace;
  private readonly alarmIds = new Set<string>();
  private counts = { lines: 0, events: 0, invalid: 0, whitelisted: 0, backlogs_created: 0, counted: 0, expired: 0 };

  /** `only`: explain just this directive (correlation of the others does not change its outcome, so they are left out). */
  constructor(
    directives: readonly Directive[],
    private readonly ctx: BacklogContext,
    newId: TraceIds,
    private readonly only?: Directive,
  ) {
    this.trace = new ReplayTrace(only === undefined ? directives : [only], ctx, newId);
  }

  /** The next line of the events file (bytes as read, or text). */
  line(raw: Uint8Array | string): EventRecord | undefined {
    const traced = this.trace.next(raw);
    if (traced === undefined) return undefined;
    this.counts.lines++;
    const { item } = traced;
    if (item.kind === 'invalid') {
      this.counts.invalid++;
      return explainSkipped(item.line, item.reason, item.detail);
    }
    if (item.kind === 'whitelisted') {
      this.counts.whitelisted++;
      return explainWhitelisted(item.line, item.event);
    }
    if (!('trace' in traced)) return undefined;
    this.counts.events++;
    eachStep(traced.trace, (_, s) => this.tally(s));
    for (const offer of traced.trace.offers) if (offer.created !== undefined) this.counts.backlogs_created++;
    return explainEvent(item.line, traced.trace, this.ctx, this.only);
  }

  /** `--drain`: the backlogs still open expire after the last event. */
  drain(): ExpiredRecord[] {
    const expiries = this.trace.drain();
    eachExpiryStep(expiries, (_, s) => this.tally(s));
    return explainExpiries(expiries, this.ctx.minLifetimeSec);
  }

  summary(): ExplainSummary {
    return { summary: 'explain', ...this.counts, alarms: this.alarmIds.size };
  }

  private tally(s: Step): void {
    for (const e of s.effects) {
      if (e.type === 'alarm-event') this.counts.counted++;
      else if (e.type === 'alarm') this.alarmIds.add(e.alarm.alarm_id);
      else if (e.reason === 'expired') this.counts.expired++;
    }
  }
}
