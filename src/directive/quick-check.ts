/**
 * Quick check (D4): which directives could match an event at all. An event reaches a directive when it matches
 * the plugin pair (plugin_id, plugin_sid list) of one of its PluginRules, or the (product list, category) of one
 * of its TaxonomyRules. Built once at start-up; a lookup costs two map accesses and allocates nothing for
 * events that no directive wants.
 */

import type { Directive } from './directive.js';
import type { NormalizedEvent } from '../event/normalized-event.js';

export interface QuickCheckIndex {
  /** Indexes (into the directive list given to the builder) of the candidate directives, ascending. */
  candidates(e: NormalizedEvent): readonly number[];
}

const NONE: readonly number[] = [];

function addTo<K>(map: Map<K, number[]>, key: K, index: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [index]);
  else if (list[list.length - 1] !== index) list.push(index);
}

export function buildQuickCheckIndex(directives: readonly Directive[]): QuickCheckIndex {
  const byPlugin = new Map<string, number[]>(); // "plugin_id:sid"
  const byTaxonomy = new Map<string, number[]>(); // "category\u0000product"
  directives.forEach((d, index) => {
    for (const rule of d.rules) {
      if (rule.type === 'PluginRule') for (const sid of rule.plugin_sid) addTo(byPlugin, `${rule.plugin_id}:${sid}`, index);
      else for (const product of rule.product) addTo(byTaxonomy, `${rule.category}\u0000${product}`, index);
    }
  });
  return {
    candidates(e) {
      const plugin = e.plugin_id !== 0 ? byPlugin.get(`${e.plugin_id}:${e.plugin_sid}`) : undefined;
      const taxonomy = e.category !== '' ? byTaxonomy.get(`${e.category}\u0000${e.product}`) : undefined;
      if (taxonomy === undefined) return plugin ?? NONE;
      if (plugin === undefined) return taxonomy;
      return [...new Set([...plugin, ...taxonomy])].sort((a, b) => a - b);
    },
  };
}
