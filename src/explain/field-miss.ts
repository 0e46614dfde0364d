/**
 * The first field of a rule that an event fails, as explain shows it: what the directive wrote, what a backlog
 * resolved it to when that differs (a reference `:1`, or a stage-1 address pinned by all_rules_always_active),
 * and the event's value: `"from" 10.0.0.9 is not :1 = 192.168.1.5`.
 */

import type { ExplainedField, RuleVerdict } from '../rule/explain-rule.js';

export interface FieldMiss {
  readonly field: ExplainedField;
  /** The rule's value as the directive wrote it. */
  readonly rule: string;
  /** The value the backlog checked, when it differs from what the directive wrote. */
  readonly resolved?: string;
  readonly event: string;
  readonly why: string;
}

const isCustomData = (field: ExplainedField) => field.startsWith('custom_data');

/** A single value (one address, one port, one word): "is not"; a list, a range or a negation: "is not matched by". */
function verbFor(value: string): string {
  return /^[^,!\s]+$/.test(value) && !value.includes('/') ? 'is not' : 'is not matched by';
}

export function describeMiss(verdict: Extract<RuleVerdict, { matched: false }>, written: string): FieldMiss {
  const { field, expected, actual } = verdict;
  if (written === expected) return { field, rule: written, event: actual, why: verdict.why };
  const shown = (v: string) => (isCustomData(field) ? JSON.stringify(v) : v);
  return { field, rule: written, resolved: expected, event: actual, why: `"${field}" ${shown(actual)} ${verbFor(expected)} ${written} = ${shown(expected)}` };
}
