/**
 * Directives (`directives_*.json`): codecs for the file format and the strict meaning checks of D2.
 *
 * Loading is all-or-nothing: the first problem refuses start-up with one message that names the file, the
 * directive id, the stage and the field. Disabled directives are skipped (after their shape was checked).
 * Beyond the Rust port's checks we refuse what could never work at run time: stages that are not 1..N in
 * array order, references to a rule that is not earlier in the array (also in custom data), unknown
 * `sticky_different` values, and sticky fields a TaxonomyRule never records.
 */

import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { parseCidr } from '../net/ip.js';
import { decodeJsonFile, describeFirstError, type LoadResult } from '../shared/decode.js';
import { splitList } from '../rule/list-match.js';

// ---- wire format --------------------------------------------------------------------------------------------

const Int = t.refinement(t.number, Number.isSafeInteger, 'an integer');
/** Like the seed's u8: a negative reliability is a format error, one above 10 a meaning error (checked later). */
const Reliability = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0 && n <= 255, 'an integer from 0 to 255');

export const RuleWire = t.intersection([
  t.type({
    name: t.string,
    stage: Int,
    occurrence: Int,
    from: t.string,
    to: t.string,
    port_from: t.string,
    port_to: t.string,
    type: t.string,
    protocol: t.string,
    reliability: Reliability,
    timeout: Int,
  }),
  t.partial({
    plugin_id: Int,
    plugin_sid: t.array(Int),
    product: t.array(t.string),
    category: t.string,
    subcategory: t.array(t.string),
    sticky_different: t.string,
    custom_data1: t.string,
    custom_data2: t.string,
    custom_data3: t.string,
    custom_label1: t.string,
    custom_label2: t.string,
    custom_label3: t.string,
  }),
]);
export type RuleWire = t.TypeOf<typeof RuleWire>;

export const DirectiveWire = t.intersection([
  t.type({ id: Int, name: t.string, priority: Int, kingdom: t.string, category: t.string, rules: t.array(t.unknown) }),
  t.partial({ disabled: t.boolean, all_rules_always_active: t.boolean }),
]);
export const DirectiveFileWire = t.type({ directives: t.array(t.unknown) });

// ---- validated model ----------------------------------------------------------------------------------------

export type RuleType = 'PluginRule' | 'TaxonomyRule';
export const STICKY_FIELDS = [
  'PLUGIN_SID', 'SRC_IP', 'DST_IP', 'SRC_PORT', 'DST_PORT', 'CUSTOM_DATA1', 'CUSTOM_DATA2', 'CUSTOM_DATA3',
] as const;
export type StickyField = (typeof STICKY_FIELDS)[number];

/** One rule as written in the directive (and, with references resolved, as a backlog carries it). */
export interface RuleSpec {
  readonly name: string;
  readonly stage: number;
  readonly occurrence: number;
  readonly from: string;
  readonly to: string;
  readonly port_from: string;
  readonly port_to: string;
  readonly type: RuleType;
  readonly protocol: string;
  readonly reliability: number;
  readonly timeout: number;
  readonly plugin_id: number;
  readonly plugin_sid: readonly number[];
  readonly product: readonly string[];
  readonly category: string;
  readonly subcategory: readonly string[];
  readonly sticky_different: StickyField | '';
  readonly custom_data1: string;
  readonly custom_data2: string;
  readonly custom_data3: string;
  readonly custom_label1: string;
  readonly custom_label2: string;
  readonly custom_label3: string;
}

export interface Directive {
  readonly id: number;
  readonly name: string;
  readonly priority: number;
  readonly kingdom: string;
  readonly category: string;
  readonly allRulesAlwaysActive: boolean;
  /** Rules in stage order: rules[i].stage === i + 1. */
  readonly rules: readonly RuleSpec[];
  /** The file it came from, for messages. */
  readonly file: string;
}

// ---- checks -------------------------------------------------------------------------------------------------

const REFERENCE = /^:([1-9][0-9]?)$/;
const ADDRESS_KEYWORDS: ReadonlySet<string> = new Set(['ANY', 'HOME_NET', '!HOME_NET']);

/** Problem text for a from/to value, or undefined when it is fine. */
export function checkAddressField(value: string, position: number): string | undefined {
  if (value.trim() === '') return 'cannot be empty';
  if (ADDRESS_KEYWORDS.has(value)) return undefined;
  if (value.startsWith(':')) return checkReference(value, position);
  for (const item of splitList(value)) {
    const parsed = parseCidr(item.value);
    if (!parsed.ok) return parsed.error;
  }
  return undefined;
}

export function checkPortField(value: string, position: number): string | undefined {
  if (value === 'ANY') return undefined;
  if (value.startsWith(':')) return checkReference(value, position);
  for (const item of splitList(value)) {
    if (!/^[0-9]{1,5}$/.test(item.value)) return `"${item.value}" is not a port number`;
    const port = Number(item.value);
    if (port < 1 || port > 65535) return `${port} is not a valid TCP/UDP port number (1-65535)`;
  }
  return undefined;
}

/** References point at an earlier rule of the array (`:1` = the first rule); the first rule has none. */
export function checkReference(value: string, position: number): string | undefined {
  if (position === 1) return `the first rule cannot have a reference ("${value}")`;
  const m = REFERENCE.exec(value);
  if (m === null) return `"${value}" is not a valid reference (expected :1 to :99)`;
  const n = Number(m[1]);
  if (n >= position) return `reference "${value}" must point to an earlier rule (1 to ${position - 1})`;
  return undefined;
}

function ruleProblem(r: RuleWire, position: number, seenStages: ReadonlySet<number>): { field: string; problem: string } | undefined {
  if (r.type !== 'PluginRule' && r.type !== 'TaxonomyRule') {
    return { field: 'type', problem: `invalid rule type "${r.type}" (expected PluginRule or TaxonomyRule)` };
  }
  if (r.stage !== position && seenStages.has(r.stage)) return { field: 'stage', problem: `duplicate stage ${r.stage}` };
  if (r.stage !== position) {
    return { field: 'stage', problem: r.stage === 0 ? 'stage cannot be zero' : `stages must be numbered 1..N in array order; rule #${position} has stage ${r.stage}` };
  }
  if (position === 1 && r.occurrence !== 1) return { field: 'occurrence', problem: 'stage 1 must have occurrence = 1' };
  if (r.occurrence < 1) return { field: 'occurrence', problem: `must be at least 1, got ${r.occurrence}` };
  if (r.type === 'PluginRule') {
    if ((r.plugin_id ?? 0) < 1) return { field: 'plugin_id', problem: 'a PluginRule needs plugin_id >= 1' };
    const sids = r.plugin_sid ?? [];
    if (sids.length === 0) return { field: 'plugin_sid', problem: 'a PluginRule needs a non-empty plugin_sid list' };
    if (sids.some((s) => s < 1)) return { field: 'plugin_sid', problem: 'every plugin_sid must be >= 1' };
  } else {
    if ((r.product ?? []).length === 0) return { field: 'product', problem: 'a TaxonomyRule requires product to be defined' };
    if ((r.category ?? '') === '') return { field: 'category', problem: 'a TaxonomyRule requires category to be defined' };
  }
  if (r.reliability > 10) return { field: 'reliability', problem: `must be between 0 and 10, got ${r.reliability}` };
  if (r.timeout < 0) return { field: 'timeout', problem: `must be >= 0, got ${r.timeout}` };
  for (const field of ['port_from', 'port_to'] as const) {
    const problem = checkPortField(r[field], position);
    if (problem !== undefined) return { field, problem };
  }
  for (const field of ['from', 'to'] as const) {
    const problem = checkAddressField(r[field], position);
    if (problem !== undefined) return { field, problem };
  }
  for (const field of ['custom_data1', 'custom_data2', 'custom_data3'] as const) {
    const value = r[field] ?? '';
    if (value.startsWith(':')) {
      const problem = checkReference(value, position);
      if (problem !== undefined) return { field, problem };
    }
  }
  const sticky = r.sticky_different ?? '';
  if (sticky !== '' && !(STICKY_FIELDS as readonly string[]).includes(sticky)) {
    return { field: 'sticky_different', problem: `unknown value "${sticky}" (expected one of ${STICKY_FIELDS.join(', ')})` };
  }
  if (r.type === 'TaxonomyRule' && (sticky === 'PLUGIN_SID' || sticky.startsWith('CUSTOM_DATA'))) {
    return { field: 'sticky_different', problem: `${sticky} is never recorded for a TaxonomyRule, so the stage could never complete` };
  }
  return undefined;
}

function toRuleSpec(r: RuleWire): RuleSpec {
  return {
    name: r.name,
    stage: r.stage,
    occurrence: r.occurrence,
    from: r.from,
    to: r.to,
    port_from: r.port_from,
    port_to: r.port_to,
    type: r.type as RuleType,
    protocol: r.protocol,
    reliability: r.reliability,
    timeout: r.timeout,
    plugin_id: r.plugin_id ?? 0,
    plugin_sid: r.plugin_sid ?? [],
    product: r.product ?? [],
    category: r.category ?? '',
    subcategory: r.subcategory ?? [],
    sticky_different: (r.sticky_different ?? '') as StickyField | '',
    custom_data1: r.custom_data1 ?? '',
    custom_data2: r.custom_data2 ?? '',
    custom_data3: r.custom_data3 ?? '',
    custom_label1: r.custom_label1 ?? '',
    custom_label2: r.custom_label2 ?? '',
    custom_label3: r.custom_label3 ?? '',
  };
}

function ruleLabel(raw: unknown, index: number): string {
  const stage = raw !== null && typeof raw === 'object' && 'stage' in raw ? (raw as { stage: unknown }).stage : undefined;
  return typeof stage === 'number' ? `stage ${stage} (rule #${index + 1})` : `rule #${index + 1}`;
}

function idOf(raw: unknown): string {
  if (raw !== null && typeof raw === 'object' && 'id' in raw) return JSON.stringify((raw as { id: unknown }).id);
  return '(no id)';
}

/**
 * Decodes and checks one directives file. `seen` holds the ids accepted so far (from earlier files); the
 * result lists the enabled directives and how many were disabled.
 */
export function decodeDirectiveFile(
  file: string,
  text: string,
  seen: ReadonlySet<number>,
): LoadResult<{ directives: Directive[]; disabled: number }> {
  const top = decodeJsonFile(file, text, DirectiveFileWire);
  if (!top.ok) return top;
  const directives: Directive[] = [];
  const ids = new Set(seen);
  let disabled = 0;
  for (const [i, raw] of top.value.directives.entries()) {
    const d = DirectiveWire.decode(raw);
    if (isLeft(d)) return { ok: false, error: `${file}: directive #${i + 1} (id ${idOf(raw)}): ${describeFirstError(d.left)}` };
    const where = `${file}: directive ${d.right.id}`;
    const rules: RuleWire[] = [];
    for (const [j, rawRule] of d.right.rules.entries()) {
      const r = RuleWire.decode(rawRule);
      if (isLeft(r)) return { ok: false, error: `${where}: ${ruleLabel(rawRule, j)}: ${describeFirstError(r.left)}` };
      rules.push(r.right);
    }
    if (d.right.disabled === true) {
      disabled++;
      continue;
    }
    const problem = directiveProblem(d.right, rules, ids);
    if (problem !== undefined) return { ok: false, error: `${where}: ${problem}` };
    ids.add(d.right.id);
    directives.push({
      id: d.right.id,
      name: d.right.name,
      priority: d.right.priority,
      kingdom: d.right.kingdom,
      category: d.right.category,
      allRulesAlwaysActive: d.right.all_rules_always_active === true,
      rules: rules.map(toRuleSpec),
      file,
    });
  }
  return { ok: true, value: { directives, disabled } };
}

function directiveProblem(d: t.TypeOf<typeof DirectiveWire>, rules: readonly RuleWire[], ids: ReadonlySet<number>): string | undefined {
  if (ids.has(d.id)) return 'id already used by another directive';
  if (d.name.trim() === '') return 'field "name" is empty';
  if (d.kingdom.trim() === '') return 'field "kingdom" is empty';
  if (d.category.trim() === '') return 'field "category" is empty';
  if (d.priority < 1 || d.priority > 5) return `field "priority" must be between 1 and 5, got ${d.priority}`;
  if (rules.length < 2) return `has ${rules.length} rule(s): at least 2 are needed, otherwise it would never expire`;
  const seenStages = new Set<number>();
  for (const [j, r] of rules.entries()) {
    const p = ruleProblem(r, j + 1, seenStages);
    seenStages.add(r.stage);
    if (p !== undefined) return `stage ${r.stage} (rule #${j + 1}): field "${p.field}": ${p.problem}`;
  }
  return undefined;
}
