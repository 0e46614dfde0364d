/**
 * The rules of one engine in the forms correlation uses them: compiled (matchers built once per rule object)
 * and resolved (the references of a directive's rules filled in from a backlog's first event). Both are
 * memoised here, per engine, instead of in module-level caches: a test or a second engine starts empty.
 */

import type { RuleSpec } from '../directive/rule-spec.js';
import type { NormalizedEvent } from '../event/normalized-event.js';
import { fromEvent, readableFields, resolveAfresh, type Field } from './references.js';
import { compileRule, type CompiledRule } from './match-rule.js';

export interface RuleBook {
  /** The compiled form of a rule, made once per rule object (rules are immutable). */
  compile(spec: RuleSpec): CompiledRule;
  /** `compile` of every rule of a list, made once per list object: one lookup for a loop over a backlog's stages. */
  compileAll(rules: readonly RuleSpec[]): readonly CompiledRule[];
  /**
   * The directive's rules with references resolved from the first event. Backlogs whose first events agree on
   * every field the resolution can read get the same list (one list and one compiled form for all backlogs of a
   * host pair, instead of one per backlog). Lists are immutable, so sharing is safe.
   */
  resolve(rules: readonly RuleSpec[], allRulesAlwaysActive: boolean, e: NormalizedEvent): readonly RuleSpec[];
  /** Resolutions held for sharing now (bounded by `maxShared`). */
  readonly sharedResolutions: number;
}

/** Resolutions kept for sharing, over all directives: a bound on memory, not on correctness. */
export const DEFAULT_MAX_SHARED = 8192;

interface RuleList {
  /** Tells rule lists apart in the cache keys. */
  readonly id: number;
  /** `readableFields` without and with all_rules_always_active. */
  readonly fields: readonly [readonly Field[], readonly Field[]];
}

export function createRuleBook(maxShared = DEFAULT_MAX_SHARED): RuleBook {
  const compiled = new WeakMap<RuleSpec, CompiledRule>();
  const compiledLists = new WeakMap<readonly RuleSpec[], readonly CompiledRule[]>();
  const lists = new WeakMap<readonly RuleSpec[], RuleList>();
  const shared = new Map<string, readonly RuleSpec[]>();
  let listCount = 0;

  const listOf = (rules: readonly RuleSpec[]): RuleList => {
    let list = lists.get(rules);
    if (list === undefined) {
      list = { id: listCount++, fields: [readableFields(rules, false), readableFields(rules, true)] };
      lists.set(rules, list);
    }
    return list;
  };

  const compile = (spec: RuleSpec): CompiledRule => {
    let rule = compiled.get(spec);
    if (rule === undefined) {
      rule = compileRule(spec);
      compiled.set(spec, rule);
    }
    return rule;
  };

  return {
    compile,
    compileAll(rules) {
      let list = compiledLists.get(rules);
      if (list === undefined) {
        list = rules.map(compile);
        compiledLists.set(rules, list);
      }
      return list;
    },
    resolve(rules, allRulesAlwaysActive, e) {
      const list = listOf(rules);
      const which = allRulesAlwaysActive ? 1 : 0;
      // Length-prefixed values: no two lists of values give the same key, whatever characters they hold.
      let key = `${list.id}/${which}`;
      for (const field of list.fields[which]) {
        const value = fromEvent(field, e);
        key += `|${value.length}:${value}`;
      }
      const hit = shared.get(key);
      if (hit !== undefined) return hit;
      const resolved = resolveAfresh(rules, allRulesAlwaysActive, e);
      if (shared.size >= maxShared) shared.clear();
      shared.set(key, resolved);
      return resolved;
    },
    get sharedResolutions() {
      return shared.size;
    },
  };
}
