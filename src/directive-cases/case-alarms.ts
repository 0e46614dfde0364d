/**
 * The alarms a case's run raised, in the fields a case compares (expected-file.ts), read from what the run
 * wrote: one per backlog whose risk reached 1, from its last snapshot and its alarm-event lines. Sorted by the
 * first event of stage 1, then title (one event starts at most one backlog per directive), so that the same
 * config and events give the same list whatever the alarm ids.
 */

import type { WrittenRun } from '../explain/alarm-lines.js';
import type { ExpectedAlarm } from './expected-file.js';

export type CaseAlarm = Required<ExpectedAlarm>;

function rulesOf(alarm: Record<string, unknown>): Array<Record<string, unknown>> {
  const rules = alarm['rules'];
  return Array.isArray(rules) ? rules.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object') : [];
}

/** The stage the backlog was in: the first one not finished (a timed-out stage is not), or the last. */
function stageReached(status: readonly string[]): number {
  const open = status.findIndex((s) => s !== 'finished');
  return open < 0 ? status.length : open + 1;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const number = (v: unknown): number => (typeof v === 'number' ? v : 0);

export function caseAlarms(run: WrittenRun): CaseAlarm[] {
  const alarms: Array<CaseAlarm & { first: string }> = [];
  for (const b of run.backlogs.values()) {
    if (b.alarm === undefined) continue;
    const ruleStatus = rulesOf(b.alarm).map((r) => text(r['status']));
    const eventIds = ruleStatus.map((_, i) => b.stages[i] ?? []);
    alarms.push({
      first: b.stages[0]?.[0] ?? '',
      title: text(b.alarm['title']),
      risk: number(b.alarm['risk']),
      risk_class: text(b.alarm['risk_class']),
      status: text(b.alarm['status']),
      stage: stageReached(ruleStatus),
      events_per_stage: eventIds.map((ids) => ids.length),
      event_ids: eventIds,
      rule_status: ruleStatus,
    });
  }
  alarms.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
  return alarms.map(({ first: _first, ...alarm }) => alarm);
}
