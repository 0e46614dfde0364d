/**
 * Quick check (D4): which directives could match an event at all. An event reaches a directive when it matches
 * the plugin pair (plugin_id, plugin_sid list) of one of its PluginRules, or the (product list, category) of one
 * of its TaxonomyRules. Built once at start-up; a lookup is a few map accesses with the event's own values as
 * keys (no key made per event).
 */

import type { Directive } from './directive.js';
import type { NormalizedEvent } from '../event/normalized-event.js';

export interface QuickCheckIndex {
  /** Indexes (into the directive list given to the builder) of the candidate directives, ascending. */
  candidates(e: NormalizedEvent): readonly number[];
}

const NONE: readonly number[] = Object.freeze([]);

/** Two-level map: first key, then second key, to ascending directive indexes. */
type Pairs<A, B> = Map<A, Map<B, number[]>>;

function addTo<A, B>(pairs: Pairs<A, B>, a: A, b: B, index: number): void {
  let inner = pairs.get(a);
  if (inner === undefined) pairs.set(a, (inner = new Map()));
  const list = inner.get(b);
  if (list === undefined) inner.set(b, [index]);
  else if (list[list.length - 1] !== index) list.push(index);
}

export function buildQuickCheckIndex(directives: readonly Directive[]): QuickCheckIndex {
  const byPlugin: Pairs<number, number> = new Map(); // plugin_id, then plugin_sid
  const byTaxonomy: Pairs<string, string> = new Map(); // category, then product
  directives.forEach((d, index) => {
    for (const rule of d.rules) {
      if (rule.type === 'PluginRule') for (const sid of rule.plugin_sid) addTo(byPlugin, rule.plugin_id, sid, index);
      else for (const product of rule.product) addTo(byTaxonomy, rule.category, product, index);
    }
  });
  return {
    candidates(e) {
      const plugin = e.plugin_id !== 0 ? byPlugin.get(e.plugin_id)?.get(e.plugin_sid) : undefined;
      const taxonomy = e.category !== '' ? byTaxonomy.get(e.category)?.get(e.product) : undefined;
      if (taxonomy === undefined) return plugin ?? NONE;
      if (plugin === undefined) return taxonomy;
      return [...new Set([...plugin, ...taxonomy])].sort((a, b) => a - b);
    },
  };
}
