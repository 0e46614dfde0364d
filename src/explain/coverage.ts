/**
 * Coverage of a directive set by a run: per directive the events that reached it (quick check), the backlogs it
 * started, the events counted per stage, the highest stage that counted one, and the alarms (backlogs that wrote
 * an alarm line, risk >= 1); then the directives no event reached and the stages that never counted an event.
 * Gathered from the steps of a `ConfigTrace`, so it says exactly what the correlation did.
 */

import type { Step } from '../backlog/transitions.js';
import type { Directive } from '../directive/directive.js';
import { eachExpiryStep, eachStep, type DirectiveExpiry, type EventTrace } from './config-trace.js';

export interface DirectiveCoverage {
  readonly directive_id: number;
  readonly directive: string;
  readonly stages: number;
  /** Events whose quick check reached the directive. */
  readonly events: number;
  readonly backlogs: number;
  readonly alarms: number;
  /** Events counted in each stage (index 0 is stage 1), over all backlogs. */
  readonly counted_per_stage: readonly number[];
  /** Highest stage that counted an event; 0 when none did. */
  readonly highest_stage: number;
  readonly stages_never_reached: readonly number[];
}

export interface CoverageSummary {
  readonly directives: number;
  /** Directives some event reached, and those that started a backlog. */
  readonly reached: number;
  readonly with_backlogs: number;
  readonly never_reached: readonly number[];
  readonly stages: number;
  readonly stages_reached: number;
  readonly events: number;
  readonly backlogs: number;
  readonly alarms: number;
}

interface Tally {
  events: number;
  backlogs: number;
  readonly alarmIds: Set<string>;
  readonly counted: number[];
}

export class CoverageCounter {
  private readonly tallies = new Map<number, Tally>();
  private events = 0;

  constructor(private readonly directives: readonly Directive[]) {
    for (const d of directives) this.tallies.set(d.id, { events: 0, backlogs: 0, alarmIds: new Set(), counted: d.rules.map(() => 0) });
  }

  /** One correlated event's trace. */
  event(trace: EventTrace): void {
    this.events++;
    for (const offer of trace.offers) {
      const t = this.tallies.get(offer.directive.id);
      if (t === undefined) continue;
      t.events++;
      if (offer.created !== undefined) t.backlogs++;
    }
    eachStep(trace, (d, s) => this.step(d, s));
  }

  /** Backlogs that expired at a tick outside an event (`--drain`). */
  expiries(expiries: readonly DirectiveExpiry[]): void {
    eachExpiryStep(expiries, (d, s) => this.step(d, s));
  }

  private step(d: Directive, s: Step): void {
    const t = this.tallies.get(d.id);
    if (t === undefined) return;
    for (const effect of s.effects) {
      if (effect.type === 'alarm-event') t.counted[effect.record.stage - 1] = (t.counted[effect.record.stage - 1] ?? 0) + 1;
      else if (effect.type === 'alarm') t.alarmIds.add(effect.alarm.alarm_id);
    }
  }

  report(): { directives: DirectiveCoverage[]; summary: CoverageSummary } {
    const directives = this.directives.map((d): DirectiveCoverage => {
      const t = this.tallies.get(d.id) ?? { events: 0, backlogs: 0, alarmIds: new Set<string>(), counted: [] };
      const counted = d.rules.map((_, i) => t.counted[i] ?? 0);
      let highest = 0;
      counted.forEach((n, i) => (n > 0 ? (highest = i + 1) : undefined));
      return {
        directive_id: d.id,
        directive: d.name,
        stages: d.rules.length,
        events: t.events,
        backlogs: t.backlogs,
        alarms: t.alarmIds.size,
        counted_per_stage: counted,
        highest_stage: highest,
        stages_never_reached: counted.flatMap((n, i) => (n === 0 ? [i + 1] : [])),
      };
    });
    const summary: CoverageSummary = {
      directives: directives.length,
      reached: directives.filter((c) => c.events > 0).length,
      with_backlogs: directives.filter((c) => c.backlogs > 0).length,
      never_reached: directives.filter((c) => c.events === 0).map((c) => c.directive_id),
      stages: directives.reduce((n, c) => n + c.stages, 0),
      stages_reached: directives.reduce((n, c) => n + c.stages - c.stages_never_reached.length, 0),
      events: this.events,
      backlogs: directives.reduce((n, c) => n + c.backlogs, 0),
      alarms: directives.reduce((n, c) => n + c.alarms, 0),
    };
    return { directives, summary };
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function directiveLine(c: DirectiveCoverage): string {
  const head = `directive ${c.directive_id} ${JSON.stringify(c.directive)}`;
  if (c.events === 0) return `${head}: never reached (no event passed its quick check)`;
  const stages = c.highest_stage === 0 ? 'no stage counted an event' : `highest stage ${c.highest_stage} of ${c.stages}`;
  return `${head}: ${plural(c.events, 'event')}, ${plural(c.backlogs, 'backlog')}, ${plural(c.alarms, 'alarm')}, ${stages} (events per stage ${c.counted_per_stage.join(', ')})`;
}

/** The text form: one line per directive, then what was never reached. */
export function formatCoverage(report: { directives: readonly DirectiveCoverage[]; summary: CoverageSummary }, title = 'coverage'): string[] {
  const s = report.summary;
  const lines = [
    `${title}: ${plural(s.events, 'event')}; ${s.reached} of ${plural(s.directives, 'directive')} reached, ${s.with_backlogs} with backlogs; ` +
      `${s.stages_reached} of ${plural(s.stages, 'stage')} counted an event; ${plural(s.backlogs, 'backlog')}, ${plural(s.alarms, 'alarm')}`,
  ];
  for (const c of report.directives) lines.push(`  ${directiveLine(c)}`);
  const never = report.directives.filter((c) => c.events === 0);
  if (never.length > 0) lines.push(`  never reached: ${never.map((c) => `directive ${c.directive_id}`).join(', ')}`);
  const partly = report.directives.filter((c) => c.events > 0 && c.stages_never_reached.length > 0);
  if (partly.length > 0) {
    const list = partly.map((c) => `directive ${c.directive_id} stage${c.stages_never_reached.length === 1 ? '' : 's'} ${c.stages_never_reached.join(', ')}`);
    lines.push(`  stages never reached: ${list.join('; ')}`);
  }
  return lines;
}

/** The JSON-lines form: one record per directive, then the summary. */
export function coverageRecords(report: { directives: readonly DirectiveCoverage[]; summary: CoverageSummary }): object[] {
  return [...report.directives.map((c) => ({ coverage: 'directive', ...c })), { coverage: 'summary', ...report.summary }];
}
