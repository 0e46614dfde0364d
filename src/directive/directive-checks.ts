/**
 * The meaning checks of a directive and its rules (D2), after the shape was checked: every problem, each tied
 * to its field. Errors refuse the directive; warnings flag what is valid but suspicious (a rule no event can
 * match, a field Dsiem never reads). Where Go Dsiem silently corrects a value at load time, the message says
 * what Go does, since `dsiem-backend migrate` writes exactly that.
 */

import { parseCidr, type Cidr } from '../net/ip.js';
import { splitList } from '../rule/list-match.js';
import type { ProblemSeverity } from '../config-files/config-problem.js';
import { referencedRule } from '../rule/reference.js';
import type { DirectiveWire, RuleWire } from './directive-wire.js';
import { STICKY_FIELDS } from './rule-spec.js';

export interface FieldProblem {
  readonly severity: ProblemSeverity;
  readonly kind: string;
  /** The field, or undefined for the directive or rule as a whole. */
  readonly field: string | undefined;
  readonly message: string;
}

const error = (kind: string, field: string | undefined, message: string): FieldProblem => ({ severity: 'error', kind, field, message });
const warning = (kind: string, field: string | undefined, message: string): FieldProblem => ({ severity: 'warning', kind, field, message });

/** What the rule checks need to know of the assets, to warn about rules no event can match. */
export interface AssetFacts {
  /** Whether any non-whitelisted asset exists (HOME_NET is not empty). */
  readonly hasHomeNet: boolean;
  /** Whether a whitelisted asset contains the whole network. */
  isWhitelistedNetwork(cidr: Cidr): boolean;
}

const ADDRESS_KEYWORDS: ReadonlySet<string> = new Set(['ANY', 'HOME_NET', '!HOME_NET']);
const MIGRATE = 'dsiem-backend migrate';

// ---- single values ------------------------------------------------------------------------------------------

/** References point at an earlier rule of the array (`:1` = the first rule); the first rule has none. */
export function checkReference(value: string, position: number): string | undefined {
  if (position === 1) return `the first rule cannot have a reference ("${value}")`;
  const n = referencedRule(value);
  if (n === undefined) return `"${value}" is not a valid reference (expected :1 to :99)`;
  if (n >= position) return `reference "${value}" must point to an earlier rule (1 to ${position - 1})`;
  return undefined;
}

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

// ---- rules --------------------------------------------------------------------------------------------------

function stageProblems(r: RuleWire, position: number, seenStages: ReadonlySet<number>): FieldProblem[] {
  if (r.stage === position) return [];
  if (seenStages.has(r.stage)) return [error('bad-stage', 'stage', `duplicate stage ${r.stage}`)];
  if (r.stage === 0) return [error('bad-stage', 'stage', 'stage cannot be zero')];
  return [error('bad-stage', 'stage', `stages must be numbered 1..N in array order; rule #${position} has stage ${r.stage}`)];
}

function occurrenceProblems(r: RuleWire, position: number): FieldProblem[] {
  if (position === 1 && r.occurrence !== 1) {
    return [error('out-of-range', 'occurrence', `stage 1 must have occurrence = 1, got ${r.occurrence} (Go Dsiem silently uses 1; ${MIGRATE} writes that)`)];
  }
  if (r.occurrence < 1) return [error('out-of-range', 'occurrence', `must be at least 1, got ${r.occurrence} (Go Dsiem counts it as 1; ${MIGRATE} writes that)`)];
  return [];
}

function keyProblems(r: RuleWire): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (r.type === 'PluginRule') {
    if ((r.plugin_id ?? 0) < 1) out.push(error('missing-key', 'plugin_id', 'a PluginRule needs plugin_id >= 1'));
    const sids = r.plugin_sid ?? [];
    if (sids.length === 0) out.push(error('missing-key', 'plugin_sid', 'a PluginRule needs a non-empty plugin_sid list'));
    else if (sids.some((s) => s < 1)) out.push(error('missing-key', 'plugin_sid', 'every plugin_sid must be >= 1'));
  } else if (r.type === 'TaxonomyRule') {
    if ((r.product ?? []).length === 0) out.push(error('missing-key', 'product', 'a TaxonomyRule requires product to be defined'));
    if ((r.category ?? '') === '') out.push(error('missing-key', 'category', 'a TaxonomyRule requires category to be defined'));
  }
  return out;
}

function valueProblems(r: RuleWire, position: number): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (r.reliability < 0 || r.reliability > 10) {
    const go = r.reliability < 0 ? 0 : 10;
    out.push(error('out-of-range', 'reliability', `must be a whole number from 0 to 10, got ${r.reliability} (Go Dsiem silently uses ${go}; ${MIGRATE} writes that)`));
  }
  if (r.timeout < 0) out.push(error('out-of-range', 'timeout', `must be >= 0, got ${r.timeout}`));
  for (const field of ['port_from', 'port_to'] as const) {
    const problem = checkPortField(r[field], position);
    if (problem !== undefined) out.push(error('bad-port', field, problem));
  }
  for (const field of ['from', 'to'] as const) {
    const problem = checkAddressField(r[field], position);
    if (problem !== undefined) out.push(error(r[field].startsWith(':') ? 'bad-reference' : 'bad-address', field, problem));
  }
  for (const field of ['custom_data1', 'custom_data2', 'custom_data3'] as const) {
    const value = r[field] ?? '';
    const problem = value.startsWith(':') ? checkReference(value, position) : undefined;
    if (problem !== undefined) out.push(error('bad-reference', field, problem));
  }
  return out;
}

function stickyProblems(r: RuleWire, position: number): FieldProblem[] {
  const sticky = r.sticky_different ?? '';
  if (sticky === '') return [];
  if (!(STICKY_FIELDS as readonly string[]).includes(sticky)) {
    return [error('bad-sticky', 'sticky_different', `unknown value "${sticky}" (expected one of ${STICKY_FIELDS.join(', ')})`)];
  }
  if (r.type === 'TaxonomyRule' && (sticky === 'PLUGIN_SID' || sticky.startsWith('CUSTOM_DATA'))) {
    return [error('bad-sticky', 'sticky_different', `${sticky} is never recorded for a TaxonomyRule, so the stage could never complete`)];
  }
  if (position === 1) return [warning('ignored-field', 'sticky_different', 'has no effect on stage 1 (Dsiem applies it from stage 2 on)')];
  if (r.occurrence === 1) return [warning('ignored-field', 'sticky_different', 'has no effect with occurrence 1: the first event always brings a new value')];
  return [];
}

/** What is valid but suspicious in a rule that passed its error checks. */
function ruleWarnings(r: RuleWire, position: number, assets: AssetFacts | undefined): FieldProblem[] {
  // `protocol` is never matched either, but OSSIM-converted sets set it on most rules: a warning there is noise.
  const out: FieldProblem[] = [];
  if (r.type === 'TaxonomyRule') {
    for (const field of ['custom_data1', 'custom_data2', 'custom_data3'] as const) {
      const value = r[field] ?? '';
      if (value !== '' && value !== 'ANY') out.push(warning('ignored-field', field, 'custom data is never matched on a TaxonomyRule (only on PluginRules)'));
    }
  }
  if (position > 1 && r.timeout === 0) {
    out.push(warning('zero-timeout', 'timeout', 'is 0: the stage expires at the first expiry check, so it can hardly ever be reached'));
  }
  if (assets !== undefined) out.push(...reachWarnings(r, assets));
  return out;
}

/** Rules no event can match because of the assets: HOME_NET empty, or every source address whitelisted. */
function reachWarnings(r: RuleWire, assets: AssetFacts): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const field of ['from', 'to'] as const) {
    if (r[field] === 'HOME_NET' && !assets.hasHomeNet) {
      out.push(warning('never-matches', field, 'HOME_NET is empty (every asset is whitelisted or there is none), so no event can match this rule'));
    }
  }
  if (!ADDRESS_KEYWORDS.has(r.from) && !r.from.startsWith(':')) {
    const items = splitList(r.from);
    const networks = items.map((i) => parseCidr(i.value));
    const allWhitelisted = items.every((i) => !i.negated) && networks.every((n) => n.ok && assets.isWhitelistedNetwork(n.value));
    if (allWhitelisted) {
      out.push(warning('never-matches', 'from', 'every source address here is whitelisted: events from them are dropped before correlation, so no event can match this rule'));
    }
  }
  return out;
}

/** Every problem of one rule (1-based `position` in the array); `seenStages` holds the stages of earlier rules. */
export function ruleProblems(r: RuleWire, position: number, seenStages: ReadonlySet<number>, assets?: AssetFacts): FieldProblem[] {
  if (r.type !== 'PluginRule' && r.type !== 'TaxonomyRule') {
    return [error('bad-rule-type', 'type', `invalid rule type "${r.type}" (expected PluginRule or TaxonomyRule)`), ...stageProblems(r, position, seenStages)];
  }
  const errors = [
    ...stageProblems(r, position, seenStages),
    ...occurrenceProblems(r, position),
    ...keyProblems(r),
    ...valueProblems(r, position),
    ...stickyProblems(r, position).filter((p) => p.severity === 'error'),
  ];
  if (errors.length > 0) return errors;
  return [...stickyProblems(r, position), ...ruleWarnings(r, position, assets)];
}

// ---- directives ---------------------------------------------------------------------------------------------

/** Problems of the directive's own fields (not its rules). */
export function directiveFieldProblems(d: DirectiveWire): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const field of ['name', 'kingdom', 'category'] as const) {
    if (d[field].trim() === '') out.push(error('empty-field', field, 'is empty'));
  }
  if (d.priority < 1 || d.priority > 5) {
    out.push(error('out-of-range', 'priority', `must be a whole number from 1 to 5, got ${d.priority} (Go Dsiem silently uses 1; ${MIGRATE} writes that)`));
  }
  if (d.rules.length < 2) out.push(error('too-few-rules', 'rules', `has ${d.rules.length} rule(s): at least 2 are needed, otherwise it would never expire`));
  return out;
}

/** Warnings about the directive as a whole, once its rules are valid. */
export function directiveWarnings(rules: readonly RuleWire[]): FieldProblem[] {
  const types = new Set(rules.map((r) => r.type));
  if (types.size < 2) return [];
  return [
    warning('go-difference', 'rules', 'mixes PluginRule and TaxonomyRule: Go Dsiem lets only events of its PluginRules reach such a directive, this backend also lets taxonomy events in (D4)'),
  ];
}
