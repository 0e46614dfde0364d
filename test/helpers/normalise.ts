// Alarm normaliser for conformance tests.
//
// Turns Dsiem alarm output (JSON lines from siem_alarms.json and
// siem_alarm_events.json, or snapshots carrying "alarm_events") into a
// canonical, sorted list of JSON strings, one per alarm, so our backend's
// output can be compared with the recorded Go Dsiem output
// (test/fixtures/conformance/*/*/expected-normalised.jsonl).
//
// The rules are those of test/fixtures/conformance/NORMALISE.md; the output is
// byte-identical to the reference script normalise.mjs of the conformance
// corpus (without --pretty). In short:
//   - several snapshots of one alarm_id: the most advanced one wins (rules with
//     a status, #src+dst IPs, #custom data, #networks, update_time; ties go to
//     the later line);
//   - alarm-event records {alarm_id, stage, event_id} are joined to their
//     alarm; records of an alarm_id without snapshot are dropped; a snapshot's
//     "alarm_events" list replaces the events gathered so far for that id;
//   - non-deterministic fields (ids, wall-clock times) are dropped, sets are
//     sorted, empty optional fields are omitted.
//
// Where the reference script would crash (a null rule, a null custom_data
// entry, a non-array custom_data), this module treats the value as having no
// fields instead.

import { readFile } from 'node:fs/promises';

export interface NormaliseOptions {
  /** Keep per-stage event lists and counts (default true; false = `--no-events`). */
  readonly events?: boolean;
}

type JsonRecord = Record<string, unknown>;

/** One (stage, event id) pair consumed by an alarm's backlog. */
interface StageEvent {
  readonly stage: number;
  readonly eventId: string;
}

interface NormalisedRule {
  stage: number;
  name?: string;
  type?: string;
  category?: string;
  from?: string;
  to?: string;
  port_from?: string;
  port_to?: string;
  protocol?: string;
  status?: string;
  sticky_different?: string;
  custom_data1?: string;
  custom_label1?: string;
  custom_data2?: string;
  custom_label2?: string;
  custom_data3?: string;
  custom_label3?: string;
  plugin_id?: number;
  plugin_sid?: number[];
  product?: string[];
  subcategory?: string[];
  occurrence: number;
  reliability: number;
  timeout: number;
  start_time?: number;
  end_time?: number;
  n_events?: number;
  events?: string[];
}

interface CustomDataPair {
  label: string;
  content: string;
}

interface NormalisedAlarm {
  title: string;
  kingdom: string;
  category: string;
  status: string;
  tag: string;
  risk: number;
  risk_class: string;
  src_ips: string[];
  dst_ips: string[];
  networks: string[];
  custom_data?: CustomDataPair[];
  intel_hits?: unknown[];
  vulnerabilities?: unknown[];
  rules: NormalisedRule[];
}

/** Rule fields converted to strings and kept unless null or empty, in output order. */
const RULE_TEXT_FIELDS = [
  'name', 'type', 'category', 'from', 'to', 'port_from', 'port_to', 'protocol', 'status',
  'sticky_different', 'custom_data1', 'custom_label1', 'custom_data2', 'custom_label2',
  'custom_data3', 'custom_label3',
] as const satisfies readonly (keyof NormalisedRule)[];

// ---- small value helpers ----------------------------------------------------

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field of a JSON object; undefined for anything that is not an object. */
function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

function arrayLength(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

/** Number(value), with null/undefined meaning 0 (NaN stays NaN, serialised as null). */
function toNumber(value: unknown): number {
  return Number(value ?? 0);
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** JSON with object keys sorted: the key used to sort arrays of objects. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value).sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as JsonRecord)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Distinct string forms of an array's items, sorted; [] for a non-array. */
function sortedUniqueStrings(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return [...new Set(value.map(String))].sort(compareStrings);
}

/** A copy of an array sorted by canonical JSON; [] for a non-array. */
function sortedByCanonicalJson(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [];
  return [...value].sort((a, b) => compareStrings(canonicalJson(a), canonicalJson(b)));
}

/** String(value), or undefined when the value is null/undefined or its string is empty. */
function optionalText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  return text === '' ? undefined : text;
}

/** Number(value), or undefined when the value is null/undefined or numerically 0. */
function optionalNumber(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = Number(value);
  return number === 0 ? undefined : number;
}

/** The array mapped by `convert`, or undefined when not an array or empty. */
function optionalList<T>(value: unknown, convert: (item: unknown) => T): T[] | undefined {
  return Array.isArray(value) && value.length > 0 ? value.map(convert) : undefined;
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

// ---- reading the input --------------------------------------------------------

/** Splits every entry on line breaks (\n, \r\n or \r, as node:readline does). */
function splitLines(lines: readonly string[]): string[] {
  return lines.flatMap((entry) => entry.split(/\r\n|\r|\n/));
}

/** The JSON object on a line, or undefined for a blank, non-JSON or non-object line. */
function parseLine(line: string): JsonRecord | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function toStageEvent(entry: unknown): StageEvent {
  return { stage: Number(field(entry, 'stage')), eventId: String(field(entry, 'event_id')) };
}

/**
 * How far an alarm snapshot has progressed, compared element by element.
 * Every component only grows during an alarm's life.
 */
function progress(snapshot: JsonRecord): number[] {
  const rules = snapshot.rules as unknown[];
  return [
    rules.filter((rule) => Boolean(field(rule, 'status'))).length,
    arrayLength(snapshot.src_ips) + arrayLength(snapshot.dst_ips),
    arrayLength(snapshot.custom_data),
    arrayLength(snapshot.networks),
    toNumber(snapshot.update_time),
  ];
}

/** True when `candidate` should replace `current`: further along, or equal (later line wins). */
function supersedes(candidate: JsonRecord, current: JsonRecord): boolean {
  const p = progress(candidate);
  const q = progress(current);
  for (let i = 0; i < p.length; i++) {
    // NaN (unparsable update_time) compares unequal but never greater: current is kept.
    if (p[i] !== q[i]) return p[i] > q[i];
  }
  return true;
}

/** Snapshots and stage events per alarm id (ids compared as JSON values, like a Map key). */
class AlarmCollector {
  readonly snapshots = new Map<unknown, JsonRecord>();
  readonly events = new Map<unknown, StageEvent[]>();

  add(record: JsonRecord): void {
    const id = record.alarm_id;
    if (id === undefined) return;
    if (Array.isArray(record.rules)) {
      this.addSnapshot(id, record);
    } else if (record.stage !== undefined && record.event_id !== undefined) {
      this.addEvent(id, toStageEvent(record));
    }
  }

  private addSnapshot(id: unknown, snapshot: JsonRecord): void {
    const current = this.snapshots.get(id);
    if (current === undefined || supersedes(snapshot, current)) this.snapshots.set(id, snapshot);
    // Applies even when the snapshot itself lost to a more advanced one.
    if (Array.isArray(snapshot.alarm_events)) {
      this.events.set(id, snapshot.alarm_events.map(toStageEvent));
    }
  }

  private addEvent(id: unknown, event: StageEvent): void {
    const list = this.events.get(id);
    if (list === undefined) this.events.set(id, [event]);
    else list.push(event);
  }
}

// ---- normalising ----------------------------------------------------------------

// Optional fields are set to undefined when omitted: JSON.stringify leaves them out,
// and the object literals fix the key order of the output.

type RuleTextField = (typeof RULE_TEXT_FIELDS)[number];

function ruleTextFields(rule: unknown): Pick<NormalisedRule, RuleTextField> {
  return Object.fromEntries(RULE_TEXT_FIELDS.map((key) => [key, optionalText(field(rule, key))]));
}

/** Ids of the events consumed by one stage, sorted (duplicates kept). */
function stageEventIds(events: readonly StageEvent[], stage: number): string[] {
  return events.filter((event) => event.stage === stage)
    .map((event) => event.eventId)
    .sort(compareStrings);
}

function normaliseRule(rule: unknown, events: readonly StageEvent[], withEvents: boolean): NormalisedRule {
  const stage = Number(field(rule, 'stage'));
  const eventIds = withEvents ? stageEventIds(events, stage) : undefined;
  return {
    stage,
    ...ruleTextFields(rule),
    plugin_id: optionalNumber(field(rule, 'plugin_id')),
    plugin_sid: optionalList(field(rule, 'plugin_sid'), Number),
    product: optionalList(field(rule, 'product'), String),
    subcategory: optionalList(field(rule, 'subcategory'), String),
    occurrence: toNumber(field(rule, 'occurrence')),
    reliability: toNumber(field(rule, 'reliability')),
    timeout: toNumber(field(rule, 'timeout')),
    start_time: optionalNumber(field(rule, 'start_time')),
    end_time: optionalNumber(field(rule, 'end_time')),
    n_events: eventIds?.length,
    events: eventIds,
  };
}

function normaliseCustomData(value: unknown): CustomDataPair[] {
  const pairs = Array.isArray(value) ? value : [];
  const normalised = pairs.map((pair) => ({
    label: String(field(pair, 'label')),
    content: String(field(pair, 'content')),
  }));
  return sortedByCanonicalJson(normalised) as CustomDataPair[];
}

function normaliseAlarm(alarm: JsonRecord, events: readonly StageEvent[], withEvents: boolean): NormalisedAlarm {
  const text = (key: string): string => String(alarm[key] ?? '');
  const rules = (alarm.rules as unknown[]).map((rule) => normaliseRule(rule, events, withEvents));
  // A NaN stage makes the comparator return NaN, i.e. "equal", as in the reference script.
  rules.sort((a, b) => a.stage - b.stage);
  return {
    title: text('title'),
    kingdom: text('kingdom'),
    category: text('category'),
    status: text('status'),
    tag: text('tag'),
    risk: toNumber(alarm.risk),
    risk_class: text('risk_class'),
    src_ips: sortedUniqueStrings(alarm.src_ips),
    dst_ips: sortedUniqueStrings(alarm.dst_ips),
    networks: sortedUniqueStrings(alarm.networks),
    custom_data: nonEmpty(normaliseCustomData(alarm.custom_data)),
    intel_hits: nonEmpty(sortedByCanonicalJson(alarm.intel_hits)),
    vulnerabilities: nonEmpty(sortedByCanonicalJson(alarm.vulnerabilities)),
    rules,
  };
}

/** Output order: first event id of the lowest stage, then title, then the whole JSON. */
function sortAlarms(alarms: readonly NormalisedAlarm[]): string[] {
  const keyed = alarms.map((alarm) => ({
    firstEvent: alarm.rules[0]?.events?.[0] ?? '',
    title: alarm.title,
    json: JSON.stringify(alarm),
  }));
  keyed.sort((a, b) => compareStrings(a.firstEvent, b.firstEvent)
    || compareStrings(a.title, b.title)
    || compareStrings(a.json, b.json));
  return keyed.map((entry) => entry.json);
}

// ---- public API -------------------------------------------------------------------

/**
 * Normalises raw alarm JSON lines (snapshots, snapshots with "alarm_events",
 * alarm-event records, in any mix) into one canonical JSON string per alarm,
 * sorted. Blank and non-JSON lines are skipped.
 */
export function normaliseAlarmLines(lines: readonly string[], options: NormaliseOptions = {}): string[] {
  const withEvents = options.events ?? true;
  const collector = new AlarmCollector();
  for (const line of splitLines(lines)) {
    const record = parseLine(line);
    if (record !== undefined) collector.add(record);
  }
  const alarms = [...collector.snapshots].map(([id, snapshot]) =>
    normaliseAlarm(snapshot, collector.events.get(id) ?? [], withEvents));
  return sortAlarms(alarms);
}

/** Reads the given files (a missing file contributes no lines) and normalises their lines together. */
export async function normaliseAlarmFiles(paths: readonly string[], options: NormaliseOptions = {}): Promise<string[]> {
  const contents = await Promise.all(paths.map(readIfExists));
  return normaliseAlarmLines(contents, options);
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isRecord(error) && error.code === 'ENOENT') return '';
    throw error;
  }
}
