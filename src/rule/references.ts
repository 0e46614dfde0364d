/**
 * Stage references (`:N`), resolved once when a backlog is created, from its first event (D1, go-dsiem.md 3.4).
 *
 * Rules are resolved in array order, so a reference to a rule that itself referred to another resolves too.
 * For `from`/`to`: a referenced ANY, HOME_NET or !HOME_NET becomes the first event's source/destination
 * address; any other referenced value (an address list) is copied as written. Ports: a referenced ANY becomes
 * the first event's port. Custom data: a referenced ANY becomes the first event's value; an empty referenced
 * value is copied as empty (and then matches everything). With `all_rules_always_active`, stage 1's
 * ANY/HOME_NET/!HOME_NET are pinned to the first event's addresses.
 */

import type { RuleSpec } from '../directive/rule-spec.js';
import { referencedRule } from './reference.js';
import type { NormalizedEvent } from '../event/normalized-event.js';

const ADDRESS_KEYWORDS: ReadonlySet<string> = new Set(['ANY', 'HOME_NET', '!HOME_NET']);
function referencedIndex(value: string): number | undefined {
  const n = referencedRule(value);
  return n === undefined ? undefined : n - 1;
}

export type Field = 'from' | 'to' | 'port_from' | 'port_to' | 'custom_data1' | 'custom_data2' | 'custom_data3';

/** The event's value for a field a reference can take it from. */
export function fromEvent(field: Field, e: NormalizedEvent): string {
  switch (field) {
    case 'from':
      return e.src_ip;
    case 'to':
      return e.dst_ip;
    case 'port_from':
      return String(e.src_port);
    case 'port_to':
      return String(e.dst_port);
    case 'custom_data1':
      return e.custom_data1;
    case 'custom_data2':
      return e.custom_data2;
    case 'custom_data3':
      return e.custom_data3;
  }
}

function takesEventValue(field: Field, referenced: string): boolean {
  return field === 'from' || field === 'to' ? ADDRESS_KEYWORDS.has(referenced) : referenced === 'ANY';
}

type Editable = { -readonly [K in keyof RuleSpec]: RuleSpec[K] };

const FIELDS: readonly Field[] = ['from', 'to', 'port_from', 'port_to', 'custom_data1', 'custom_data2', 'custom_data3'];

/**
 * Every event field `resolveAfresh` may read for these rules: the fields holding a reference anywhere, and the
 * stage-1 addresses when they are pinned. (Whether a reference takes the event's value can depend on values
 * resolved before it, so any referencing field counts.)
 */
export function readableFields(rules: readonly RuleSpec[], allRulesAlwaysActive: boolean): Field[] {
  const fields = new Set<Field>();
  if (allRulesAlwaysActive && rules.length > 0) {
    fields.add('from');
    fields.add('to');
  }
  for (const rule of rules) for (const field of FIELDS) if (referencedIndex(rule[field]) !== undefined) fields.add(field);
  return FIELDS.filter((f) => fields.has(f));
}

/** The resolution itself, without sharing. */
export function resolveAfresh(rules: readonly RuleSpec[], allRulesAlwaysActive: boolean, e: NormalizedEvent): readonly RuleSpec[] {
  const resolved: RuleSpec[] = [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as RuleSpec;
    // One copy per rule that changes (made at its first change), written in place afterwards.
    let copy: Editable | undefined;
    if (i === 0 && allRulesAlwaysActive) {
      if (ADDRESS_KEYWORDS.has(rule.from)) (copy ??= { ...rule }).from = e.src_ip;
      if (ADDRESS_KEYWORDS.has(rule.to)) (copy ??= { ...rule }).to = e.dst_ip;
    }
    for (const field of FIELDS) {
      const n = referencedIndex((copy ?? rule)[field]);
      if (n === undefined || n >= i) continue;
      // Validation guarantees references point to an earlier rule; anything else stays as written.
      const referenced = (resolved[n] as RuleSpec)[field];
      (copy ??= { ...rule })[field] = takesEventValue(field, referenced) ? fromEvent(field, e) : referenced;
    }
    resolved.push(copy ?? rule);
  }
  // A pushed-to array keeps spare room; a backlog keeps its rules for life.
  return resolved.slice();
}
