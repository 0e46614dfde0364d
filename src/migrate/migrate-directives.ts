/**
 * `migrate` for one directives file: applies, explicitly, what Go Dsiem does silently when it loads the file
 * (internal/pkg/dsiem/siem/directive.go LoadDirectivesFromFile, validate.go ValidateDirective), so that the
 * result loads under our strict rules and behaves as Go ran it:
 * - fields Go ignores (unknown, `sub_category`) are removed; case variants of known names are renamed; null and
 *   missing fields get Go's zero value, written out;
 * - Go's corrections: priority outside 1..5 -> 1, reliability clamped to 0..10, occurrence of stage 1 -> 1;
 * - directives Go skips (duplicate id, empty name/kingdom/category, fewer than 2 rules, bad stage, rule type,
 *   plugin or taxonomy keys, addresses, ports or references as Go checks them) are dropped;
 * - what Go accepts and means but our format writes otherwise: stages renumbered in array order (Go uses the
 *   array order), occurrence below 1 -> 1 (Go completes such a stage with its first event), negative timeout
 *   -> 0, lists split on white space as Go does, networks with their host bits cleared (the network Go uses),
 *   references to the same or a later rule replaced by what Go resolves them to.
 * A directive Go loads that still cannot be written so that it behaves the same is dropped, saying why.
 */

import { isLeft } from 'fp-ts/lib/Either.js';
import { parseJsonDocument } from '../config-files/json-document.js';
import { fieldErrors, formatPath } from '../shared/decode.js';
import { directiveFieldProblems, ruleProblems } from '../directive/directive-checks.js';
import { splitList } from '../rule/list-match.js';
import { DIRECTIVE_FIELDS, DirectiveWire, RULE_FIELDS, RuleWire } from '../directive/directive-wire.js';
import { asGoSees, isJsonObject, type ChangePlace, type JsonObject } from './go-json.js';
import { GO_ADDRESS_KEYWORDS, goAddressList, goPortList, goReferenceOk } from './go-values.js';
import type { MigrationChange } from './migration-change.js';

export interface DirectiveFileMigration {
  /** The corrected file; undefined when Go Dsiem refuses the file as a whole (then `refused` says why). */
  readonly output: { directives: unknown[] } | undefined;
  readonly changes: MigrationChange[];
  readonly refused: string[];
}

type Change = Omit<MigrationChange, 'file'>;

const DIRECTIVE_ZERO = { id: 0, name: '', priority: 0, kingdom: '', category: '', rules: [] };
const RULE_ZERO = { name: '', stage: 0, occurrence: 0, from: '', to: '', port_from: '', port_to: '', type: '', protocol: '', reliability: 0, timeout: 0 };

/** Go's json.Unmarshal errors: a value of the wrong type refuses the whole file. */
function typeErrors(value: JsonObject, codec: typeof DirectiveWire | typeof RuleWire, what: string): string[] {
  const decoded = codec.decode(value);
  if (!isLeft(decoded)) return [];
  return fieldErrors(decoded.left).map((e) => `${what}: field "${formatPath(e.path)}": expected ${e.expected}, got ${e.got}`);
}

interface Normalised {
  readonly directive: JsonObject;
  readonly rules: JsonObject[];
  readonly changes: Change[];
}

/** The directive with Go's JSON reading made explicit, or the reasons Go refuses the file. */
function normalise(raw: unknown, index: number): Normalised | { refused: string[] } {
  const label = `directive #${index + 1}`;
  if (!isJsonObject(raw)) return { refused: [`${label}: not an object`] };
  const changes: Change[] = [];
  const id = typeof raw['id'] === 'number' ? raw['id'] : undefined;
  const place: ChangePlace = { ...(id === undefined ? {} : { directiveId: id }), ...(typeof raw['name'] === 'string' ? { directiveName: raw['name'] } : {}) };
  const directive = asGoSees(raw, DIRECTIVE_FIELDS, DIRECTIVE_ZERO, place, changes);
  const refused = typeErrors(directive, DirectiveWire, label);
  const rawRules = Array.isArray(directive['rules']) ? (directive['rules'] as unknown[]) : [];
  const rules: JsonObject[] = [];
  for (const [j, rawRule] of rawRules.entries()) {
    if (!isJsonObject(rawRule)) {
      refused.push(`${label}: rule #${j + 1}: not an object`);
      continue;
    }
    const rule = asGoSees(rawRule, RULE_FIELDS, RULE_ZERO, { ...place, rule: j + 1 }, changes);
    refused.push(...typeErrors(rule, RuleWire, `${label}: rule #${j + 1}`));
    rules.push(rule);
  }
  return refused.length > 0 ? { refused } : { directive, rules, changes };
}

// ---- Go's ValidateDirective, in its order -------------------------------------------------------------------

/** Why Go skips the directive, or undefined; Go's corrections go into `changes`. */
function goSkips(d: DirectiveWire, rules: RuleWire[], accepted: ReadonlySet<number>, place: ChangePlace, changes: Change[]): string | undefined {
  if (accepted.has(d.id)) return `Go Dsiem skips it: id ${d.id} is already used by a directive it loaded`;
  if (d.name === '') return 'Go Dsiem skips it: the name is empty';
  if (d.kingdom === '') return 'Go Dsiem skips it: the kingdom is empty';
  if (d.category === '') return 'Go Dsiem skips it: the category is empty';
  if (d.priority < 1 || d.priority > 5) {
    changes.push({ ...place, action: 'changed', field: 'priority', old: d.priority, new: 1, reason: 'outside 1..5: Go Dsiem uses 1' });
    d.priority = 1;
  }
  if (rules.length <= 1) return 'Go Dsiem skips it: fewer than 2 rules (a single stage would never expire)';
  const stages = new Set<number>();
  for (const [j, r] of rules.entries()) {
    const where = { ...place, rule: j + 1, stage: r.stage };
    const problem = goRuleProblem(r, rules.length, stages, where, changes);
    if (problem !== undefined) return `Go Dsiem skips it: rule #${j + 1}: ${problem}`;
    stages.add(r.stage);
  }
  return undefined;
}

function goRuleProblem(r: RuleWire, ruleCount: number, stages: ReadonlySet<number>, where: ChangePlace, changes: Change[]): string | undefined {
  if (r.stage === 0) return 'stage 0';
  if (stages.has(r.stage)) return `duplicate stage ${r.stage}`;
  if (r.stage === 1 && r.occurrence !== 1) {
    changes.push({ ...where, action: 'changed', field: 'occurrence', old: r.occurrence, new: 1, reason: 'stage 1: Go Dsiem uses occurrence 1' });
    r.occurrence = 1;
  }
  if (r.type !== 'PluginRule' && r.type !== 'TaxonomyRule') return `invalid rule type "${r.type}"`;
  if (r.type === 'PluginRule') {
    if ((r.plugin_id ?? 0) < 1) return 'plugin_id below 1';
    if ((r.plugin_sid ?? []).length === 0) return 'no plugin_sid';
    if ((r.plugin_sid ?? []).some((s) => s < 1)) return 'a plugin_sid below 1';
  } else {
    if ((r.product ?? []).length === 0) return 'no product';
    if ((r.category ?? '') === '') return 'no category';
  }
  if (r.reliability < 0 || r.reliability > 10) {
    const clamped = r.reliability < 0 ? 0 : 10;
    changes.push({ ...where, action: 'changed', field: 'reliability', old: r.reliability, new: clamped, reason: `outside 0..10: Go Dsiem uses ${clamped}` });
    r.reliability = clamped;
  }
  const first = r.stage === 1;
  for (const field of ['from', 'to'] as const) {
    const v = r[field];
    if (v === '') return `${field} is empty`;
    if (GO_ADDRESS_KEYWORDS.includes(v)) continue;
    if (v.startsWith(':')) {
      if (first || !goReferenceOk(v, ruleCount)) return `${field} "${v}" is not a reference Go accepts`;
    } else if (goAddressList(v) === undefined) {
      return `${field} "${v}" is not an address list Go accepts`;
    }
  }
  for (const field of ['port_from', 'port_to'] as const) {
    const v = r[field];
    if (v === 'ANY') continue;
    if (v.startsWith(':')) {
      if (first || !goReferenceOk(v, ruleCount)) return `${field} "${v}" is not a reference Go accepts`;
    } else if (goPortList(v) === undefined) {
      return `${field} "${v}" is not a port list Go accepts (2 to 65534)`;
    }
  }
  return undefined;
}

// ---- writing what Go meant in the strict format -------------------------------------------------------------

const REF_FIELDS = ['from', 'to', 'port_from', 'port_to', 'custom_data1', 'custom_data2', 'custom_data3'] as const;
type RefField = (typeof REF_FIELDS)[number];

const isKeyword = (field: RefField, v: string) => (field === 'from' || field === 'to' ? GO_ADDRESS_KEYWORDS.includes(v) : v === 'ANY');

/**
 * A reference to the same or a later rule, as Go resolves it at backlog creation (initBackLogRules): that rule's
 * value as written; a keyword there means the creating event's value, which `:1` also gives when rule 1 has a
 * keyword. Undefined when no strict reference or literal means the same.
 */
function forwardReference(rules: readonly RuleWire[], field: RefField, target: number): string | undefined {
  const value = rules[target - 1]?.[field] ?? '';
  if (value.startsWith(':')) return undefined; // Go copies the reference text itself: that stage never matches
  if (!isKeyword(field, value)) return field === 'from' || field === 'to' ? goAddressList(value) : field.startsWith('port') ? goPortList(value) : value;
  return isKeyword(field, rules[0]?.[field] ?? '') ? ':1' : undefined;
}

function rewriteRule(rules: RuleWire[], j: number, original: readonly RuleWire[], where: ChangePlace, changes: Change[]): string | undefined {
  const r = rules[j] as RuleWire;
  const set = <K extends keyof RuleWire>(field: K, value: RuleWire[K], reason: string) => {
    changes.push({ ...where, action: 'changed', field, old: r[field], new: value, reason });
    r[field] = value;
  };
  if (r.stage !== j + 1) set('stage', j + 1, 'Go Dsiem uses the rules in array order; stage numbers are labels (alarms show the new number)');
  if (j === 0 && r.occurrence !== 1) set('occurrence', 1, 'the first rule starts the backlog with one event in Go Dsiem');
  if (r.occurrence < 1) set('occurrence', 1, 'below 1: Go Dsiem completes the stage with its first event, as with 1');
  if (r.timeout < 0) set('timeout', 0, 'negative: the stage expires at the first check, as with 0');
  for (const field of REF_FIELDS) {
    const v = r[field] ?? '';
    const n = /^:([1-9][0-9]?)$/.exec(v);
    if (n !== null && Number(n[1]) > j) {
      const resolved = forwardReference(original, field, Number(n[1]));
      if (resolved === undefined) return `field "${field}": reference "${v}" to the same or a later rule has no equivalent here (Go Dsiem copies that rule's value as written)`;
      set(field, resolved, `reference to the same or a later rule: Go Dsiem resolves it to ${JSON.stringify(resolved)}`);
    } else if (n === null && !v.startsWith(':') && !isKeyword(field, v) && (field === 'from' || field === 'to' || field.startsWith('port'))) {
      const list = field === 'from' || field === 'to' ? goAddressList(v) : goPortList(v);
      if (list !== undefined && !sameItems(list, v)) set(field, list, 'written as Go Dsiem reads it (items split on commas and spaces, networks with host bits cleared)');
    }
  }
  return undefined;
}

/** Whether our list reading of `original` gives the items Go's reading wrote into `list` (then no change). */
function sameItems(list: string, original: string): boolean {
  const ours = splitList(original).map((i) => `${i.negated ? '!' : ''}${i.value}`);
  return ours.join(', ') === list;
}

/** Our own errors on what Go accepted (after the rewrites): the reason it cannot be migrated, or undefined. */
function strictProblem(d: DirectiveWire, rules: readonly RuleWire[]): string | undefined {
  const directive = directiveFieldProblems(d).find((p) => p.severity === 'error');
  if (directive !== undefined) return `field "${directive.field ?? ''}": ${directive.message}`;
  const stages = new Set<number>();
  for (const [j, r] of rules.entries()) {
    const p = ruleProblems(r, j + 1, stages).find((x) => x.severity === 'error');
    if (p !== undefined) return `rule #${j + 1}: field "${p.field ?? ''}": ${p.message}`;
    stages.add(r.stage);
  }
  return undefined;
}

function migrateDirective(raw: unknown, index: number, accepted: Set<number>): { kept?: JsonObject; changes: Change[]; refused?: string[] } {
  const n = normalise(raw, index);
  if ('refused' in n) return { changes: [], refused: n.refused };
  const d = n.directive as unknown as DirectiveWire;
  const rules = n.rules as unknown as RuleWire[];
  const place: ChangePlace = { directiveId: d.id, directiveName: d.name };
  if (d.disabled === true) return { kept: { ...n.directive, rules }, changes: n.changes };
  const changes = [...n.changes];
  const skipped = goSkips(d, rules, accepted, place, changes);
  if (skipped !== undefined) return { changes: [{ ...place, action: 'dropped', reason: skipped }] };
  accepted.add(d.id);
  const original = rules.map((r) => ({ ...r }));
  for (const j of rules.keys()) {
    const problem = rewriteRule(rules, j, original, { ...place, rule: j + 1, stage: original[j]?.stage ?? j + 1 }, changes);
    if (problem !== undefined) return { changes: [{ ...place, action: 'dropped', reason: `Go Dsiem loads it, but rule #${j + 1} ${problem}; fix it by hand` }] };
  }
  const remaining = strictProblem(d, rules);
  if (remaining !== undefined) return { changes: [{ ...place, action: 'dropped', reason: `Go Dsiem loads it, but it cannot be written so that it behaves the same: ${remaining}; fix it by hand` }] };
  return { kept: { ...n.directive, priority: d.priority, rules }, changes };
}

/** Migrates one file; `accepted` holds the ids Go loaded from earlier files (and gets this file's). */
export function migrateDirectiveFile(file: string, text: string, accepted: Set<number>): DirectiveFileMigration {
  const parsed = parseJsonDocument(file, text);
  if (!parsed.ok) return { output: undefined, changes: [], refused: [parsed.error.message] };
  const top = parsed.value.value;
  const list = isJsonObject(top) && Array.isArray(top['directives']) ? (top['directives'] as unknown[]) : undefined;
  if (list === undefined) return { output: undefined, changes: [], refused: ['not an object with a "directives" list'] };
  const directives: unknown[] = [];
  const changes: MigrationChange[] = [];
  const refused: string[] = [];
  for (const [i, raw] of list.entries()) {
    const m = migrateDirective(raw, i, accepted);
    changes.push(...m.changes.map((c) => ({ file, ...c })));
    if (m.refused !== undefined) refused.push(...m.refused);
    if (m.kept !== undefined) directives.push(m.kept);
  }
  return refused.length > 0 ? { output: undefined, changes: [], refused } : { output: { directives }, changes, refused };
}
