/**
 * Expected alarms against the alarms a run raised, as a readable diff (no lines: the case passes). Each expected
 * alarm is paired with a raised one: first those that agree on every field the expectation gives, in order, then
 * the rest with the raised alarm that agrees on most fields. What is left is a missing or an unexpected alarm.
 */

import type { CaseAlarm } from './case-alarms.js';
import { ALARM_FIELDS, inlineJson as inline, type AlarmField, type ExpectedAlarm } from './expected-file.js';

function same(a: unknown, b: unknown): boolean {
  return inline(a) === inline(b);
}

function givenFields(e: ExpectedAlarm): AlarmField[] {
  return ALARM_FIELDS.filter((f) => e[f] !== undefined);
}

function agreeing(e: ExpectedAlarm, a: CaseAlarm): number {
  return givenFields(e).filter((f) => same(e[f], a[f])).length;
}

function idsDiff(expected: readonly (readonly string[])[], actual: readonly (readonly string[])[]): string[] {
  const lines: string[] = [];
  if (expected.length !== actual.length) lines.push(`event_ids: expected ${expected.length} stages, got ${actual.length}`);
  for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
    const want = expected[i] ?? [];
    const got = actual[i] ?? [];
    if (same(want, got)) continue;
    const missing = want.filter((id) => !got.includes(id));
    const extra = got.filter((id) => !want.includes(id));
    const parts = [
      ...(missing.length > 0 ? [`missing ${missing.map((id) => JSON.stringify(id)).join(', ')}`] : []),
      ...(extra.length > 0 ? [`unexpected ${extra.map((id) => JSON.stringify(id)).join(', ')}`] : []),
    ];
    lines.push(`event_ids stage ${i + 1}: ${parts.length > 0 ? parts.join('; ') : `the same events in another order: expected ${inline(want)}, got ${inline(got)}`}`);
  }
  return lines;
}

function fieldDiff(e: ExpectedAlarm, a: CaseAlarm): string[] {
  const lines: string[] = [];
  for (const f of givenFields(e)) {
    if (same(e[f], a[f])) continue;
    if (f === 'event_ids') lines.push(...idsDiff(e.event_ids ?? [], a.event_ids));
    else lines.push(`${f}: expected ${inline(e[f])}, got ${inline(a[f])}`);
  }
  return lines;
}

export function describeAlarm(a: CaseAlarm): string {
  return `${JSON.stringify(a.title)}, risk ${a.risk} (${a.risk_class}), stage ${a.stage}, events per stage ${inline(a.events_per_stage)}`;
}

/** The diff, one line per difference (empty when every expectation is met and no other alarm was raised). */
export function compareAlarms(expected: readonly ExpectedAlarm[], actual: readonly CaseAlarm[]): string[] {
  const partner = new Array<number>(expected.length).fill(-1);
  const taken = new Set<number>();
  expected.forEach((e, i) => {
    const at = actual.findIndex((a, j) => !taken.has(j) && agreeing(e, a) === givenFields(e).length);
    if (at >= 0) {
      partner[i] = at;
      taken.add(at);
    }
  });
  expected.forEach((e, i) => {
    if (partner[i] !== -1) return;
    let best = -1;
    actual.forEach((a, j) => {
      if (!taken.has(j) && (best < 0 || agreeing(e, a) > agreeing(e, actual[best] as CaseAlarm))) best = j;
    });
    if (best >= 0) {
      partner[i] = best;
      taken.add(best);
    }
  });
  const lines: string[] = [];
  expected.forEach((e, i) => {
    const a = actual[partner[i] ?? -1];
    if (a === undefined) {
      lines.push(`missing: expected alarm #${i + 1} ${inlineObject(e)} was not raised`);
      return;
    }
    const diff = fieldDiff(e, a);
    if (diff.length > 0) lines.push(`alarm ${JSON.stringify(e.title ?? a.title)} (expected alarm #${i + 1}):`, ...diff.map((d) => `  ${d}`));
  });
  actual.forEach((a, j) => {
    if (!taken.has(j)) lines.push(`unexpected alarm: ${describeAlarm(a)}`);
  });
  return lines;
}

function inlineObject(e: ExpectedAlarm): string {
  return `{${givenFields(e).map((f) => `${JSON.stringify(f)}: ${inline(e[f])}`).join(', ')}}`;
}
