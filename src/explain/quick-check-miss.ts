/**
 * Why an event does not reach a directive at all (the quick check, D4): no PluginRule takes its plugin pair and
 * no TaxonomyRule its category and product. Said with the pairs the directive's rules take, since a wrong
 * plugin_sid or product is the usual reason a directive never fires.
 */

import type { Directive } from '../directive/directive.js';
import type { NormalizedEvent } from '../event/normalized-event.js';

function pluginPairs(d: Directive): string[] {
  const byPlugin = new Map<number, Set<number>>();
  for (const r of d.rules) {
    if (r.type !== 'PluginRule') continue;
    const sids = byPlugin.get(r.plugin_id) ?? new Set<number>();
    for (const sid of r.plugin_sid) sids.add(sid);
    byPlugin.set(r.plugin_id, sids);
  }
  return [...byPlugin].map(([id, sids]) => `plugin_id ${id} with plugin_sid [${[...sids].join(', ')}]`);
}

function taxonomyPairs(d: Directive): string[] {
  const byCategory = new Map<string, Set<string>>();
  for (const r of d.rules) {
    if (r.type !== 'TaxonomyRule') continue;
    const products = byCategory.get(r.category) ?? new Set<string>();
    for (const p of r.product) products.add(p);
    byCategory.set(r.category, products);
  }
  return [...byCategory].map(([category, products]) => `category ${JSON.stringify(category)} with product ${JSON.stringify([...products])}`);
}

function eventKeys(e: NormalizedEvent): string {
  const keys: string[] = [];
  if (e.plugin_id !== 0) keys.push(`plugin_id ${e.plugin_id} plugin_sid ${e.plugin_sid}`);
  if (e.category !== '') keys.push(`category ${JSON.stringify(e.category)} product ${JSON.stringify(e.product)}`);
  return keys.length === 0 ? 'no plugin or taxonomy pair' : keys.join(', ');
}

export function quickCheckMiss(d: Directive, e: NormalizedEvent): string {
  const takes = [...pluginPairs(d), ...taxonomyPairs(d)];
  return `its rules take ${takes.join('; ')}; the event has ${eventKeys(e)}`;
}
