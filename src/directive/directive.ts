/**
 * Directives (`directives_*.json`): the validated model, and the decoding of one file with every problem it has.
 *
 * A directive is loaded only when it has no error; start-up is refused when any directive has one (D2: no
 * clamping, no skipping; `dsiem-backend migrate` applies Go Dsiem's silent corrections explicitly instead).
 * Disabled directives are skipped after their shape was checked. Beyond the Rust port's checks we refuse what
 * could never work at run time: stages that are not 1..N in array order, references to a rule that is not
 * earlier in the array (also in custom data), unknown `sticky_different` values, sticky fields a TaxonomyRule
 * never records, and unknown fields (with a "did you mean").
 */

import type { ConfigProblem } from '../config-files/config-problem.js';
import { parseJsonDocument, type JsonDocument, type JsonPath } from '../config-files/json-document.js';
import { checkWireObject, type WireIssue } from '../config-files/wire-object.js';
import { directiveFieldProblems, directiveWarnings, ruleProblems, type AssetFacts, type FieldProblem } from './directive-checks.js';
import type { RuleSpec, RuleType, StickyField } from './rule-spec.js';
import {
  DIRECTIVE_FIELDS,
  DIRECTIVE_FILE_FIELDS,
  DirectiveFileWire,
  DirectiveWire,
  RULE_FIELDS,
  RuleWire,
} from './directive-wire.js';

// ---- validated model ----------------------------------------------------------------------------------------

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


// ---- decoding a file ----------------------------------------------------------------------------------------

/**
 * Where a directive is (`file:line`), worked out when asked: placing a value builds the file's position tree
 * (several MB of short-lived objects for a big file), and only a duplicate-id message needs it.
 */
export type DirectivePlace = () => string;

export interface DirectiveFileOptions {
  /** Ids of the directives of earlier files, each with where it is, for duplicate-id messages. */
  readonly seen?: ReadonlyMap<number, DirectivePlace>;
  /** Facts about the loaded assets, for the warnings about rules no event can match. */
  readonly assets?: AssetFacts;
}

export interface DirectiveFileResult {
  /** The enabled directives without errors. */
  readonly directives: Directive[];
  readonly disabled: number;
  /** Ids of this file's enabled directives, each with where it is. */
  readonly ids: Map<number, DirectivePlace>;
  readonly problems: ConfigProblem[];
}

interface Subject {
  readonly subject: string;
  readonly directiveId?: number;
  readonly directiveName?: string;
}

function subjectOf(raw: unknown, index: number): Subject {
  const o = raw !== null && typeof raw === 'object' ? (raw as { id?: unknown; name?: unknown }) : {};
  const name = typeof o.name === 'string' ? o.name : undefined;
  if (typeof o.id === 'number' && Number.isSafeInteger(o.id)) {
    return { subject: `directive ${o.id}${name === undefined ? '' : ` ${JSON.stringify(name)}`}`, directiveId: o.id, ...(name === undefined ? {} : { directiveName: name }) };
  }
  return { subject: `directive #${index + 1}` };
}

function stageOf(raw: unknown): number | undefined {
  const stage = raw !== null && typeof raw === 'object' ? (raw as { stage?: unknown }).stage : undefined;
  return typeof stage === 'number' && Number.isSafeInteger(stage) ? stage : undefined;
}

/** Builds the problems of one file, each placed at its JSON path. */
class FileProblems {
  readonly list: ConfigProblem[] = [];
  constructor(private readonly doc: JsonDocument) {}

  add(path: JsonPath, at: 'key' | 'value', p: Omit<ConfigProblem, 'file' | 'line' | 'column' | 'offset'>): void {
    this.list.push({ ...p, file: this.doc.file, ...this.doc.place(path, at) });
  }

  wire(base: JsonPath, issues: readonly WireIssue[], where: Subject & { stage?: number; rule?: number }): void {
    for (const i of issues) {
      const field = i.field ?? (typeof i.path[0] === 'string' ? i.path[0] : undefined);
      this.add([...base, ...i.path], i.at, { severity: 'error', kind: i.kind, ...where, ...(field === undefined ? {} : { field }), message: i.message });
    }
  }

  meaning(base: JsonPath, problems: readonly FieldProblem[], where: Subject & { stage?: number; rule?: number }): void {
    for (const p of problems) {
      const path = p.field === undefined ? base : [...base, p.field];
      this.add(path, 'value', { severity: p.severity, kind: p.kind, ...where, ...(p.field === undefined ? {} : { field: p.field }), message: p.message });
    }
  }
}

/**
 * A directive's place, worked out when asked. It keeps only the file's `place` (its text, and the position tree
 * once built), not the parsed document.
 */
function lazyPlace(file: string, placeOf: JsonDocument['place'], path: JsonPath): DirectivePlace {
  return () => {
    const place = placeOf(path);
    return place.line > 0 ? `${file}:${place.line}` : file;
  };
}

/**
 * Once a file's position tree exists (some problem of the file was placed), its directives' places are worked out
 * at once: cheap then, and the tree is not kept while the other files load.
 */
function settlePlaces(ids: Map<number, DirectivePlace>): void {
  for (const [id, place] of ids) {
    const text = place();
    ids.set(id, () => text);
  }
}

/** Decodes and checks one directives file: the valid enabled directives, and every problem found. */
export function decodeDirectiveFile(file: string, text: string, options: DirectiveFileOptions = {}): DirectiveFileResult {
  const parsed = parseJsonDocument(file, text);
  if (!parsed.ok) return { directives: [], disabled: 0, ids: new Map(), problems: [parsed.error] };
  const directives: Directive[] = [];
  const ids = new Map<number, DirectivePlace>();
  let disabled = 0;
  const doc = parsed.value;
  const problems = new FileProblems(doc);
  const top = checkWireObject(doc.value, DirectiveFileWire, DIRECTIVE_FILE_FIELDS, 'an object with a "directives" list');
  problems.wire([], top.issues, { subject: 'file' });
  for (const [i, raw] of (top.value?.directives ?? []).entries()) {
    const directive = decodeDirective(raw, i, doc, problems, options, ids);
    if (directive === 'disabled') disabled++;
    else if (directive !== undefined) directives.push(directive);
  }
  if (problems.list.length > 0) settlePlaces(ids);
  return { directives, disabled, ids, problems: problems.list.map((p) => (p.subject === 'file' ? withoutSubject(p) : p)) };
}

function withoutSubject(p: ConfigProblem): ConfigProblem {
  const { subject: _subject, ...rest } = p;
  return rest;
}

function decodeDirective(
  raw: unknown,
  index: number,
  doc: JsonDocument,
  problems: FileProblems,
  options: DirectiveFileOptions,
  ids: Map<number, DirectivePlace>,
): Directive | 'disabled' | undefined {
  const base: JsonPath = ['directives', index];
  const where = subjectOf(raw, index);
  const before = problems.list.filter((p) => p.severity === 'error').length;
  const d = checkWireObject(raw, DirectiveWire, DIRECTIVE_FIELDS, 'a directive');
  problems.wire(base, d.issues, where);
  const rawRules = Array.isArray((raw as { rules?: unknown } | null)?.rules) ? ((raw as { rules: unknown[] }).rules) : [];
  const rules: Array<RuleWire | undefined> = rawRules.map((rawRule, j) => {
    const r = checkWireObject(rawRule, RuleWire, RULE_FIELDS, 'a rule');
    const stage = stageOf(rawRule);
    problems.wire([...base, 'rules', j], r.issues, { ...where, rule: j + 1, ...(stage === undefined ? {} : { stage }) });
    return r.value;
  });
  if (d.value === undefined) return undefined;
  if (d.value.disabled === true) return 'disabled';
  checkId(d.value.id, base, doc, problems, where, options.seen, ids);
  problems.meaning(base, directiveFieldProblems(d.value), where);
  const seenStages = new Set<number>();
  for (const [j, r] of rules.entries()) {
    if (r === undefined) continue;
    problems.meaning([...base, 'rules', j], ruleProblems(r, j + 1, seenStages, options.assets), { ...where, stage: r.stage, rule: j + 1 });
    seenStages.add(r.stage);
  }
  const valid = rules.filter((r): r is RuleWire => r !== undefined);
  if (problems.list.filter((p) => p.severity === 'error').length > before || valid.length !== rules.length) return undefined;
  problems.meaning(base, directiveWarnings(valid), where);
  return {
    id: d.value.id,
    name: d.value.name,
    priority: d.value.priority,
    kingdom: d.value.kingdom,
    category: d.value.category,
    allRulesAlwaysActive: d.value.all_rules_always_active === true,
    rules: valid.map(toRuleSpec),
    file: doc.file,
  };
}

function checkId(
  id: number,
  base: JsonPath,
  doc: JsonDocument,
  problems: FileProblems,
  where: Subject,
  seen: ReadonlyMap<number, DirectivePlace> | undefined,
  ids: Map<number, DirectivePlace>,
): void {
  const first = seen?.get(id) ?? ids.get(id);
  if (first !== undefined) {
    problems.add([...base, 'id'], 'value', { severity: 'error', kind: 'duplicate-id', ...where, field: 'id', message: `id ${id} is already used by the directive at ${first()}` });
    return;
  }
  ids.set(id, lazyPlace(doc.file, doc.place, base));
}
