/**
 * The two JSON-lines documents Dsiem writes for Filebeat (go-dsiem.md 3.5, dsiem-backend.md 3.6-3.7):
 * `siem_alarms.json` gets a full alarm snapshot on every update of an alarm with risk >= 1, and
 * `siem_alarm_events.json` gets one `{alarm_id, stage, event_id}` line per counted event.
 */

import type { RuleSpec } from '../directive/rule-spec.js';
import type { BacklogContext, BacklogState, CustomDataEntry, StageState } from '../backlog/state.js';
import type { EnrichmentHit } from '../enrichment/hit.js';

export interface AlarmEventRecord {
  readonly alarm_id: string;
  readonly stage: number;
  readonly event_id: string;
}

export interface AlarmRule {
  readonly name: string;
  readonly stage: number;
  readonly plugin_id?: number;
  readonly plugin_sid?: readonly number[];
  readonly product?: readonly string[];
  readonly category?: string;
  readonly subcategory?: readonly string[];
  readonly occurrence: number;
  readonly from: string;
  readonly to: string;
  readonly type: string;
  readonly port_from: string;
  readonly port_to: string;
  readonly protocol: string;
  readonly reliability: number;
  readonly timeout: number;
  readonly sticky_different?: string;
  readonly custom_data1?: string;
  readonly custom_label1?: string;
  readonly custom_data2?: string;
  readonly custom_label2?: string;
  readonly custom_data3?: string;
  readonly custom_label3?: string;
  readonly start_time?: number;
  readonly end_time?: number;
  readonly rcvd_time?: number;
  readonly status?: string;
}

export interface AlarmDocument {
  readonly alarm_id: string;
  readonly title: string;
  readonly status: string;
  readonly kingdom: string;
  readonly category: string;
  readonly created_time: number;
  readonly update_time: number;
  readonly risk: number;
  readonly risk_class: string;
  readonly tag: string;
  readonly src_ips: readonly string[];
  readonly dst_ips: readonly string[];
  readonly networks: readonly string[];
  readonly custom_data?: readonly CustomDataEntry[];
  readonly intel_hits?: readonly EnrichmentHit[];
  readonly vulnerabilities?: readonly EnrichmentHit[];
  readonly rules: readonly AlarmRule[];
}

/** Copies `value` into `o[key]` unless it is empty (Go's `omitempty`). */
function put<K extends string>(o: Record<string, unknown>, key: K, value: string | number | readonly unknown[]): void {
  if (value === '' || value === 0 || (Array.isArray(value) && value.length === 0)) return;
  o[key] = value;
}

export function toAlarmRule(rule: RuleSpec, stage: StageState | undefined, rcvdTime: number): AlarmRule {
  const o: Record<string, unknown> = { name: rule.name, stage: rule.stage };
  put(o, 'plugin_id', rule.plugin_id);
  put(o, 'plugin_sid', rule.plugin_sid);
  put(o, 'product', rule.product);
  put(o, 'category', rule.category);
  put(o, 'subcategory', rule.subcategory);
  Object.assign(o, {
    occurrence: rule.occurrence,
    from: rule.from,
    to: rule.to,
    type: rule.type,
    port_from: rule.port_from,
    port_to: rule.port_to,
    protocol: rule.protocol,
    reliability: rule.reliability,
    timeout: rule.timeout,
  });
  put(o, 'sticky_different', rule.sticky_different);
  put(o, 'custom_data1', rule.custom_data1);
  put(o, 'custom_label1', rule.custom_label1);
  put(o, 'custom_data2', rule.custom_data2);
  put(o, 'custom_label2', rule.custom_label2);
  put(o, 'custom_data3', rule.custom_data3);
  put(o, 'custom_label3', rule.custom_label3);
  put(o, 'start_time', stage?.start_time ?? 0);
  put(o, 'end_time', stage?.end_time ?? 0);
  if (rule.stage === 1) put(o, 'rcvd_time', rcvdTime);
  put(o, 'status', stage?.status ?? '');
  return o as unknown as AlarmRule;
}

export function toAlarmDocument(state: BacklogState, ctx: Pick<BacklogContext, 'status' | 'tag'>): AlarmDocument {
  const o: Record<string, unknown> = {
    alarm_id: state.id,
    title: state.title,
    status: ctx.status,
    kingdom: state.kingdom,
    category: state.category,
    created_time: state.createdTime,
    update_time: state.updateTime,
    risk: state.risk,
    risk_class: state.riskClass,
    tag: ctx.tag,
    src_ips: state.srcIps,
    dst_ips: state.dstIps,
    networks: state.networks,
  };
  put(o, 'custom_data', state.customData);
  put(o, 'intel_hits', state.intelHits);
  put(o, 'vulnerabilities', state.vulnerabilities);
  o['rules'] = state.rules.map((r, i) => toAlarmRule(r, state.stages[i], state.rcvdTime));
  return o as unknown as AlarmDocument;
}

/** Could JSON.stringify escape something in s? (quote, backslash, control, surrogate half: then it does the work) */
function mayNeedEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

function jsonString(s: string): string {
  return mayNeedEscape(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * The `siem_alarm_events.json` line of a record: exactly `JSON.stringify(record)` (same keys, same order), built
 * without the generic serialiser, since there is one line per counted event.
 */
export function alarmEventLine(record: AlarmEventRecord): string {
  return `{"alarm_id":${jsonString(record.alarm_id)},"stage":${JSON.stringify(record.stage)},"event_id":${jsonString(record.event_id)}}`;
}

const ALARM_ID_KEY = asciiBytes('{"alarm_id":"');
const STAGE_KEY = asciiBytes('","stage":');
const EVENT_ID_KEY = asciiBytes(',"event_id":"');
const LINE_END = asciiBytes('"}');

function asciiBytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Bytes `writeAlarmEventLine` may use for this record at most. */
export function alarmEventLineMaxBytes(record: AlarmEventRecord): number {
  return record.alarm_id.length + record.event_id.length + 64;
}

/**
 * `alarmEventLine(record)` as UTF-8 straight into `buf` at `pos` (which has `alarmEventLineMaxBytes` free), for
 * the usual record: ids of printable ASCII without quote or backslash, and an integer stage. Returns the end
 * position, or -1 when the record is not like that (the caller then writes `alarmEventLine`). No string is made.
 */
export function writeAlarmEventLine(record: AlarmEventRecord, buf: Uint8Array, pos: number): number {
  const stage = record.stage;
  if (!Number.isSafeInteger(stage) || stage < 0) return -1;
  buf.set(ALARM_ID_KEY, pos);
  let p = writePlainAscii(record.alarm_id, buf, pos + ALARM_ID_KEY.length);
  if (p < 0) return -1;
  buf.set(STAGE_KEY, p);
  p += STAGE_KEY.length;
  // Digits of a non-negative integer, most significant first.
  let digits = 1;
  for (let n = stage; n >= 10; n = Math.floor(n / 10)) digits++;
  let rest = stage;
  for (let i = p + digits - 1; i >= p; i--) {
    buf[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  p += digits;
  buf.set(EVENT_ID_KEY, p);
  p = writePlainAscii(record.event_id, buf, p + EVENT_ID_KEY.length);
  if (p < 0) return -1;
  buf.set(LINE_END, p);
  return p + LINE_END.length;
}

/** Copies s when every character is printable ASCII other than quote and backslash; -1 otherwise. */
function writePlainAscii(s: string, buf: Uint8Array, pos: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    buf[pos + i] = c;
  }
  return pos + s.length;
}
