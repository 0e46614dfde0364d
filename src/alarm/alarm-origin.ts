/**
 * Which directive an alarm came from, told from the alarm document alone: Dsiem's alarm format carries no
 * directive id, and `replay` reports alarms per directive from the lines it wrote. An alarm keeps its
 * directive's kingdom and category, a title made from the directive's name (SRC_IP and DST_IP replaced by a host
 * name or an address), and the directive's rules with only their references resolved; the fields that are never
 * references (name, stage, type, plugin pair, taxonomy, occurrence, reliability, timeout, protocol,
 * sticky_different) identify the directive unless two directives agree on all of them and on their title.
 */

import type { Directive } from '../directive/directive.js';

/** The ids of the directives the alarm may come from: one, or several that nothing in an alarm tells apart. */
export type AlarmOrigin = (alarm: unknown) => readonly number[];

interface RuleFields {
  readonly name?: unknown;
  readonly stage?: unknown;
  readonly type?: unknown;
  readonly occurrence?: unknown;
  readonly reliability?: unknown;
  readonly timeout?: unknown;
  readonly plugin_id?: unknown;
  readonly plugin_sid?: unknown;
  readonly product?: unknown;
  readonly category?: unknown;
  readonly subcategory?: unknown;
  readonly protocol?: unknown;
  readonly sticky_different?: unknown;
}

/** The alarm format leaves out empty values (Go's omitempty): absent and empty are the same here. */
function ruleKey(r: RuleFields): unknown[] {
  return [
    r.name, r.stage, r.type, r.occurrence, r.reliability, r.timeout, r.plugin_id ?? 0, r.plugin_sid ?? [], r.product ?? [],
    r.category ?? '', r.subcategory ?? [], r.protocol, r.sticky_different ?? '',
  ];
}

function keyOf(kingdom: unknown, category: unknown, rules: readonly RuleFields[]): string {
  return JSON.stringify([kingdom, category, rules.map(ruleKey)]);
}

/** The titles a directive's alarms can have: its name, with SRC_IP and DST_IP standing for any text. */
function titlePattern(name: string): RegExp {
  const parts = name.split(/(SRC_IP|DST_IP)/).map((part) => (part === 'SRC_IP' || part === 'DST_IP' ? '[\\s\\S]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('')}$`);
}

export function alarmOrigins(directives: readonly Directive[]): AlarmOrigin {
  const byKey = new Map<string, Array<{ readonly id: number; readonly title: RegExp }>>();
  for (const d of directives) {
    const key = keyOf(d.kingdom, d.category, d.rules);
    const list = byKey.get(key) ?? [];
    list.push({ id: d.id, title: titlePattern(d.name) });
    byKey.set(key, list);
  }
  return (alarm) => {
    if (alarm === null || typeof alarm !== 'object') return [];
    const a = alarm as { kingdom?: unknown; category?: unknown; title?: unknown; rules?: unknown };
    if (!Array.isArray(a.rules) || typeof a.title !== 'string') return [];
    const title = a.title;
    const rules = (a.rules as unknown[]).map((r): RuleFields => (r !== null && typeof r === 'object' ? r : {}));
    const candidates = byKey.get(keyOf(a.kingdom, a.category, rules)) ?? [];
    return candidates.filter((c) => c.title.test(title)).map((c) => c.id);
  };
}
