/**
 * A problem found in a config file: where it is (file, line:column, directive, stage, field), how bad it is,
 * and what is wrong, in words. `validate` lists them all; `serve` and `replay` refuse start-up on any error and
 * show the first few.
 */

export type ProblemSeverity = 'error' | 'warning';

/** Where in a file: 1-based line and column, and the offset (for sorting). Line 0 means "the whole file". */
export interface TextPlace {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

export const WHOLE_FILE: TextPlace = { line: 0, column: 0, offset: -1 };

export interface ConfigProblem extends TextPlace {
  readonly severity: ProblemSeverity;
  /** A stable short name for counting problems by kind (`unknown-field`, `out-of-range`, ...). */
  readonly kind: string;
  readonly file: string;
  /** What the problem is in: `directive 2 "Ping flood"`, `directive #3`, `asset #2 "lan"`, `source #1 "Wise"`. */
  readonly subject?: string;
  readonly directiveId?: number;
  readonly directiveName?: string;
  /** The rule's stage as written, and its 1-based position in the rules array. */
  readonly stage?: number;
  readonly rule?: number;
  readonly field?: string;
  readonly message: string;
}

function ruleLabel(p: ConfigProblem): string | undefined {
  if (p.rule === undefined) return undefined;
  return p.stage === undefined ? `rule #${p.rule}` : `stage ${p.stage} (rule #${p.rule})`;
}

/** `file:line:col: error: directive 2 "x": stage 2 (rule #2): field "from": reference ":3" must ...`. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  const parts = [where, p.severity, p.subject, ruleLabel(p), p.field === undefined ? undefined : `field "${p.field}"`, p.message];
  return parts.filter((x) => x !== undefined).join(': ');
}

/** The JSON-lines form of `validate -j`: plain fields, names in snake case as the rest of Dsiem's JSON. */
export function problemRecord(p: ConfigProblem): Record<string, string | number> {
  const record: Record<string, string | number> = { severity: p.severity, kind: p.kind, file: p.file };
  if (p.line > 0) Object.assign(record, { line: p.line, column: p.column });
  if (p.directiveId !== undefined) record['directive_id'] = p.directiveId;
  if (p.directiveName !== undefined) record['directive_name'] = p.directiveName;
  if (p.subject !== undefined && p.directiveId === undefined) record['subject'] = p.subject;
  if (p.stage !== undefined) record['stage'] = p.stage;
  if (p.rule !== undefined) record['rule'] = p.rule;
  if (p.field !== undefined) record['field'] = p.field;
  record['message'] = p.message;
  return record;
}

/** By file, then position; problems of the whole file first. Stable for equal positions. */
export function compareProblems(a: ConfigProblem, b: ConfigProblem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.offset - b.offset;
}

export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort(compareProblems);
}

export function countBySeverity(problems: readonly ConfigProblem[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const p of problems) if (p.severity === 'error') errors++;
  return { errors, warnings: problems.length - errors };
}

/** "3 errors", "1 error and 2 warnings". */
export function describeCounts(problems: readonly ConfigProblem[]): string {
  const { errors, warnings } = countBySeverity(problems);
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return warnings === 0 ? n(errors, 'error') : `${n(errors, 'error')} and ${n(warnings, 'warning')}`;
}

/**
 * The start-up refusal of `serve` and `replay`: the first errors (sorted) and the count, not thousands of lines.
 */
export function summarizeErrors(problems: readonly ConfigProblem[], dir: string, shown = 10): string {
  const errors = sortProblems(problems.filter((p) => p.severity === 'error'));
  const lines = errors.slice(0, shown).map(formatProblem);
  if (errors.length === 1) return lines[0] ?? '';
  const more = errors.length > shown ? [`... and ${errors.length - shown} more`] : [];
  return [`${errors.length} errors in ${dir} (dsiem-backend validate --config ${dir} lists them all):`, ...lines, ...more].join('\n  ');
}
