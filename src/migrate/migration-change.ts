/**
 * One change `migrate` made, or one directive it dropped: file, directive, rule, field, old and new value, and
 * why (what Go Dsiem does with it).
 */

export interface MigrationChange {
  readonly file: string;
  readonly directiveId?: number;
  readonly directiveName?: string;
  readonly rule?: number;
  readonly stage?: number;
  readonly field?: string;
  /** `dropped`: a directive Go skips, or one that cannot be written so that it behaves as in Go. */
  readonly action: 'changed' | 'added' | 'removed' | 'renamed' | 'dropped';
  readonly old?: unknown;
  readonly new?: unknown;
  readonly reason: string;
}

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
};

export function formatChange(c: MigrationChange): string {
  const where = [
    c.file,
    c.directiveId === undefined ? undefined : `directive ${c.directiveId}${c.directiveName === undefined ? '' : ` ${JSON.stringify(c.directiveName)}`}`,
    c.rule === undefined ? undefined : c.stage === undefined ? `rule #${c.rule}` : `stage ${c.stage} (rule #${c.rule})`,
    c.field === undefined ? undefined : `field "${c.field}"`,
  ].filter((x) => x !== undefined);
  const what =
    c.action === 'changed' ? `${show(c.old)} -> ${show(c.new)}`
    : c.action === 'added' ? `added ${show(c.new)}`
    : c.action === 'removed' ? `removed (was ${show(c.old)})`
    : c.action === 'renamed' ? `renamed to "${String(c.new)}"`
    : 'directive dropped';
  return `${where.join(': ')}: ${what}: ${c.reason}`;
}

export function changeRecord(c: MigrationChange): Record<string, unknown> {
  const r: Record<string, unknown> = { file: c.file, action: c.action };
  if (c.directiveId !== undefined) r['directive_id'] = c.directiveId;
  if (c.directiveName !== undefined) r['directive_name'] = c.directiveName;
  if (c.rule !== undefined) r['rule'] = c.rule;
  if (c.stage !== undefined) r['stage'] = c.stage;
  if (c.field !== undefined) r['field'] = c.field;
  if ('old' in c) r['old'] = c.old;
  if ('new' in c) r['new'] = c.new;
  r['reason'] = c.reason;
  return r;
}
