/**
 * A directive test case's `expected.json`: how the case runs (`drain`, `min_alarm_lifetime`) and the alarms it
 * must raise, each with only the fields worth comparing (a field left out is not compared). Checked as strictly
 * as the config files: every problem at once, with line:column, unknown fields with a "did you mean".
 */

import * as t from 'io-ts';
import type { ConfigProblem } from '../config-files/config-problem.js';
import { parseJsonDocument, type JsonDocument, type JsonPath } from '../config-files/json-document.js';
import { checkWireObject, type WireIssue } from '../config-files/wire-object.js';
import { WholeNumber } from '../shared/decode.js';
import { fail, ok, type Result } from '../shared/result.js';

export const EXPECTED_FILE = 'expected.json';

const ExpectedAlarmWire = t.partial({
  title: t.string,
  risk: WholeNumber,
  risk_class: t.string,
  status: t.string,
  stage: WholeNumber,
  events_per_stage: t.array(WholeNumber),
  event_ids: t.array(t.array(t.string)),
  rule_status: t.array(t.string),
});
export type ExpectedAlarm = t.TypeOf<typeof ExpectedAlarmWire>;
/** The fields of an alarm a case can compare, in the order they are written and reported. */
export const ALARM_FIELDS = ['title', 'risk', 'risk_class', 'status', 'stage', 'events_per_stage', 'event_ids', 'rule_status'] as const;
export type AlarmField = (typeof ALARM_FIELDS)[number];

const ExpectedFileWire = t.intersection([
  t.type({ alarms: t.array(t.unknown) }),
  t.partial({ description: t.string, drain: t.boolean, min_alarm_lifetime: WholeNumber }),
]);
const FILE_FIELDS = ['description', 'drain', 'min_alarm_lifetime', 'alarms'];

export interface CaseOptions {
  /** After the last event, every backlog still open expires (replay --drain). Default false. */
  readonly drain: boolean;
  /** Minutes added to every stage timeout (replay -l). Default 0: timeouts count in event time as in production. */
  readonly minAlarmLifetime: number;
}

export interface ExpectedCase {
  readonly description?: string;
  readonly options: CaseOptions;
  readonly alarms: readonly ExpectedAlarm[];
}

export const DEFAULT_CASE_OPTIONS: CaseOptions = { drain: false, minAlarmLifetime: 0 };

function place(doc: JsonDocument, base: JsonPath, issues: readonly WireIssue[], subject?: string): ConfigProblem[] {
  return issues.map((i) => ({
    severity: 'error' as const,
    kind: i.kind,
    file: doc.file,
    ...doc.place([...base, ...i.path], i.at),
    ...(subject === undefined ? {} : { subject }),
    ...(i.field === undefined ? {} : { field: i.field }),
    message: i.message,
  }));
}

export function decodeExpectedFile(file: string, text: string): Result<ExpectedCase, ConfigProblem[]> {
  const parsed = parseJsonDocument(file, text);
  if (!parsed.ok) return fail([parsed.error]);
  const doc = parsed.value;
  const top = checkWireObject(doc.value, ExpectedFileWire, FILE_FIELDS, 'an object with an "alarms" list');
  const problems = place(doc, [], top.issues);
  const alarms: ExpectedAlarm[] = [];
  for (const [i, raw] of (top.value?.alarms ?? []).entries()) {
    const a = checkWireObject(raw, ExpectedAlarmWire, ALARM_FIELDS, 'an expected alarm');
    problems.push(...place(doc, ['alarms', i], a.issues, `alarm #${i + 1}`));
    if (a.value !== undefined) alarms.push(a.value);
  }
  if (problems.length > 0 || top.value === undefined) return fail(problems);
  const v = top.value;
  return ok({
    ...(v.description === undefined ? {} : { description: v.description }),
    options: { drain: v.drain ?? DEFAULT_CASE_OPTIONS.drain, minAlarmLifetime: v.min_alarm_lifetime ?? DEFAULT_CASE_OPTIONS.minAlarmLifetime },
    alarms,
  });
}

/** JSON on one line, with a space after each comma of a list (as people write it). */
export function inlineJson(value: unknown): string {
  return Array.isArray(value) ? `[${value.map(inlineJson).join(', ')}]` : JSON.stringify(value);
}

/** `expected.json` as `--update` writes it: the case's options kept, the alarms as they happened, short lists on one line. */
export function renderExpectedFile(c: ExpectedCase): string {
  const top: Record<string, unknown> = {};
  if (c.description !== undefined) top['description'] = c.description;
  if (c.options.drain !== DEFAULT_CASE_OPTIONS.drain) top['drain'] = c.options.drain;
  if (c.options.minAlarmLifetime !== DEFAULT_CASE_OPTIONS.minAlarmLifetime) top['min_alarm_lifetime'] = c.options.minAlarmLifetime;
  const head = Object.entries(top).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const alarms = c.alarms.map((a) => {
    const fields = ALARM_FIELDS.filter((f) => a[f] !== undefined).map((f) => `      ${JSON.stringify(f)}: ${inlineJson(a[f])}`);
    return `    {\n${fields.join(',\n')}\n    }`;
  });
  const list = alarms.length === 0 ? '  "alarms": []' : `  "alarms": [\n${alarms.join(',\n')}\n  ]`;
  return `{\n${[...head, list].join('\n')}\n}\n`;
}
