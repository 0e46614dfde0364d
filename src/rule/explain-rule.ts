/**
 * Why one event does or does not match one rule: the first field that fails, with the rule's and the event's
 * values, in the order Go Dsiem checks them (go-dsiem.md 3.3). A sibling of match-rule.ts for `explain`; it must
 * give the same answer as `matchRule` (a property test compares the two), including whether a
 * `sticky_different` value was recorded before the failure.
 */

import type { NetworkAssets } from '../asset/network-assets.js';
import type { RuleSpec } from '../directive/rule-spec.js';
import type { NormalizedEvent } from '../event/normalized-event.js';
import type { IpAddress } from '../net/ip.js';
import { addressListMatches, compileAddressList, compileCustomData, compilePortList, customDataMatches, portListMatches } from './list-match.js';

export type ExplainedField =
  | 'plugin_id' | 'plugin_sid' | 'category' | 'product' | 'subcategory'
  | 'from' | 'to' | 'port_from' | 'port_to' | 'custom_data1' | 'custom_data2' | 'custom_data3';

export type RuleVerdict =
  | { readonly matched: true }
  | {
      readonly matched: false;
      readonly field: ExplainedField;
      /** The rule's value and the event's, as text. */
      readonly expected: string;
      readonly actual: string;
      /** `"from" 10.0.0.9 is not in HOME_NET`. */
      readonly why: string;
      /** Whether the stage's sticky_different value was recorded before the failing check (Go records it mid-way). */
      readonly stickyRecorded: boolean;
    };

type Failure = { readonly field: ExplainedField; readonly expected: string; readonly actual: string; readonly why: string };

const fail = (field: ExplainedField, expected: string, actual: string, why: string): Failure => ({ field, expected, actual, why });

function addressFailure(field: 'from' | 'to', rule: string, text: string, ip: IpAddress | undefined, assets: NetworkAssets): Failure | undefined {
  if (rule === 'ANY') return undefined;
  if (rule === 'HOME_NET') return assets.isHomeNet(ip) ? undefined : fail(field, rule, text, `"${field}" ${text} is not in HOME_NET`);
  if (rule === '!HOME_NET') return assets.isHomeNet(ip) ? fail(field, rule, text, `"${field}" ${text} is in HOME_NET`) : undefined;
  return addressListMatches(compileAddressList(rule).list, ip) ? undefined : fail(field, rule, text, `"${field}" ${text} is not matched by "${rule}"`);
}

function portFailure(field: 'port_from' | 'port_to', rule: string, port: number): Failure | undefined {
  if (rule === 'ANY' || portListMatches(compilePortList(rule), port)) return undefined;
  return fail(field, rule, String(port), `"${field}" ${port} is not matched by "${rule}"`);
}

function addressesAndPorts(r: RuleSpec, e: NormalizedEvent, assets: NetworkAssets): Failure | undefined {
  return (
    addressFailure('from', r.from, e.src_ip, e.srcAddr, assets) ??
    addressFailure('to', r.to, e.dst_ip, e.dstAddr, assets) ??
    portFailure('port_from', r.port_from, e.src_port) ??
    portFailure('port_to', r.port_to, e.dst_port)
  );
}

function customDataFailure(r: RuleSpec, e: NormalizedEvent): Failure | undefined {
  for (const [field, rule, value] of [
    ['custom_data1', r.custom_data1, e.custom_data1],
    ['custom_data2', r.custom_data2, e.custom_data2],
    ['custom_data3', r.custom_data3, e.custom_data3],
  ] as const) {
    if (!customDataMatches(compileCustomData(rule), value)) return fail(field, rule, value, `"${field}" ${JSON.stringify(value)} is not matched by ${JSON.stringify(rule)}`);
  }
  return undefined;
}

function pluginVerdict(r: RuleSpec, e: NormalizedEvent, assets: NetworkAssets): RuleVerdict {
  const before = (f: Failure): RuleVerdict => ({ matched: false, ...f, stickyRecorded: false });
  if (e.plugin_id !== r.plugin_id) return before(fail('plugin_id', String(r.plugin_id), String(e.plugin_id), `"plugin_id" ${e.plugin_id} is not ${r.plugin_id}`));
  if (!r.plugin_sid.includes(e.plugin_sid)) {
    return before(fail('plugin_sid', r.plugin_sid.join(', '), String(e.plugin_sid), `"plugin_sid" ${e.plugin_sid} is not in [${r.plugin_sid.join(', ')}]`));
  }
  // Go records PLUGIN_SID right after the sid check, every other sticky field after addresses and ports.
  const place = addressesAndPorts(r, e, assets);
  if (place !== undefined) return { matched: false, ...place, stickyRecorded: r.sticky_different === 'PLUGIN_SID' };
  const custom = customDataFailure(r, e);
  if (custom !== undefined) return { matched: false, ...custom, stickyRecorded: r.sticky_different !== '' };
  return { matched: true };
}

function taxonomyVerdict(r: RuleSpec, e: NormalizedEvent, assets: NetworkAssets): RuleVerdict {
  const no = (f: Failure): RuleVerdict => ({ matched: false, ...f, stickyRecorded: false });
  if (e.category !== r.category) return no(fail('category', r.category, e.category, `"category" ${JSON.stringify(e.category)} is not ${JSON.stringify(r.category)}`));
  if (!r.product.includes(e.product)) return no(fail('product', r.product.join(', '), e.product, `"product" ${JSON.stringify(e.product)} is not in ${JSON.stringify(r.product)}`));
  const subs = r.subcategory;
  if (subs.length > 0 && !subs.includes(e.subcategory) && !subs.includes('ANY')) {
    return no(fail('subcategory', subs.join(', '), e.subcategory, `"subcategory" ${JSON.stringify(e.subcategory)} is not in ${JSON.stringify(subs)}`));
  }
  // Custom data is never checked on a TaxonomyRule, and a failed address or port check records nothing there.
  const place = addressesAndPorts(r, e, assets);
  return place === undefined ? { matched: true } : no(place);
}

export function explainRule(r: RuleSpec, e: NormalizedEvent, assets: NetworkAssets): RuleVerdict {
  return r.type === 'PluginRule' ? pluginVerdict(r, e, assets) : taxonomyVerdict(r, e, assets);
}
