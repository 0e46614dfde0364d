/**
 * Matching an event against one rule, with Go Dsiem's semantics (go-dsiem.md 3.3):
 * PluginRule: plugin_id, plugin_sid list, addresses and ports, then custom data.
 * TaxonomyRule: category, product list, subcategory list (an "ANY" entry accepts all), addresses and ports;
 * custom data is not checked. `protocol` is never checked.
 *
 * `sticky_different` values are recorded *during* the check: PLUGIN_SID right after the sid check, the others
 * after the address/port check. So the result has three outcomes: failed before the recording point, failed
 * after it (the value is still recorded), or matched.
 */

import type { NormalizedEvent } from '../event/normalized-event.js';
import type { NetworkAssets } from '../asset/network-assets.js';
import type { RuleSpec, StickyField } from '../directive/rule-spec.js';
import {
  addressListMatches,
  compileAddressList,
  compileCustomData,
  compilePortList,
  customDataMatches,
  portListMatches,
  type CompiledAddressList,
  type CompiledPortList,
  type CustomDataMatcher,
} from './list-match.js';

export type AddressMatcher =
  | { readonly kind: 'any' }
  | { readonly kind: 'home' }
  | { readonly kind: 'not-home' }
  | { readonly kind: 'list'; readonly list: CompiledAddressList };

export type PortMatcher = { readonly kind: 'any' } | { readonly kind: 'list'; readonly list: CompiledPortList };

export interface CompiledRule {
  readonly spec: RuleSpec;
  readonly isPlugin: boolean;
  /** The spec's values the first checks read, here so that a check does not go through `spec` (of two shapes). */
  readonly pluginId: number;
  readonly category: string;
  readonly subcategory: readonly string[];
  readonly sids: ReadonlySet<number>;
  readonly products: ReadonlySet<string>;
  readonly from: AddressMatcher;
  readonly to: AddressMatcher;
  readonly portFrom: PortMatcher;
  readonly portTo: PortMatcher;
  readonly customData: readonly [CustomDataMatcher, CustomDataMatcher, CustomDataMatcher];
  readonly sticky: StickyField | undefined;
}

export const MatchResult = {
  /** Failed before the sticky-different recording point. */
  NoMatch: 0,
  /** Failed after the recording point: the sticky value counts as seen. */
  FailedAfterSticky: 1,
  Matched: 2,
} as const;
export type MatchResult = (typeof MatchResult)[keyof typeof MatchResult];

function compileAddress(value: string): AddressMatcher {
  if (value === 'ANY') return { kind: 'any' };
  if (value === 'HOME_NET') return { kind: 'home' };
  if (value === '!HOME_NET') return { kind: 'not-home' };
  return { kind: 'list', list: compileAddressList(value).list };
}

function compilePort(value: string): PortMatcher {
  return value === 'ANY' ? { kind: 'any' } : { kind: 'list', list: compilePortList(value) };
}

/** Compiled form of a rule (not memoised: an engine keeps them in its `RuleBook`). */
export function compileRule(spec: RuleSpec): CompiledRule {
  return {
    spec,
    isPlugin: spec.type === 'PluginRule',
    pluginId: spec.plugin_id,
    category: spec.category,
    subcategory: spec.subcategory,
    sids: new Set(spec.plugin_sid),
    products: new Set(spec.product),
    from: compileAddress(spec.from),
    to: compileAddress(spec.to),
    portFrom: compilePort(spec.port_from),
    portTo: compilePort(spec.port_to),
    customData: [compileCustomData(spec.custom_data1), compileCustomData(spec.custom_data2), compileCustomData(spec.custom_data3)],
    sticky: spec.sticky_different === '' ? undefined : spec.sticky_different,
  };
}

function addressMatches(m: AddressMatcher, ip: NormalizedEvent['srcAddr'], assets: NetworkAssets): boolean {
  switch (m.kind) {
    case 'any':
      return true;
    case 'home':
      return assets.isHomeNet(ip);
    case 'not-home':
      return !assets.isHomeNet(ip);
    case 'list':
      return addressListMatches(m.list, ip);
  }
}

function portMatches(m: PortMatcher, port: number): boolean {
  return m.kind === 'any' || portListMatches(m.list, port);
}

function addressesAndPortsMatch(r: CompiledRule, e: NormalizedEvent, assets: NetworkAssets): boolean {
  return (
    addressMatches(r.from, e.srcAddr, assets) &&
    addressMatches(r.to, e.dstAddr, assets) &&
    portMatches(r.portFrom, e.src_port) &&
    portMatches(r.portTo, e.dst_port)
  );
}

function includesOrAny(list: readonly string[], value: string): boolean {
  for (const item of list) if (item === value || item === 'ANY') return true;
  return false;
}

export function matchRule(r: CompiledRule, e: NormalizedEvent, assets: NetworkAssets): MatchResult {
  if (r.isPlugin) {
    if (e.plugin_id !== r.pluginId || !r.sids.has(e.plugin_sid)) return MatchResult.NoMatch;
    const sidRecorded = r.sticky === 'PLUGIN_SID';
    if (!addressesAndPortsMatch(r, e, assets)) return sidRecorded ? MatchResult.FailedAfterSticky : MatchResult.NoMatch;
    const cd = r.customData;
    const ok =
      customDataMatches(cd[0], e.custom_data1) && customDataMatches(cd[1], e.custom_data2) && customDataMatches(cd[2], e.custom_data3);
    return ok ? MatchResult.Matched : r.sticky === undefined ? MatchResult.NoMatch : MatchResult.FailedAfterSticky;
  }
  if (e.category !== r.category || !r.products.has(e.product)) return MatchResult.NoMatch;
  const subs = r.subcategory;
  if (subs.length > 0 && !includesOrAny(subs, e.subcategory)) return MatchResult.NoMatch;
  return addressesAndPortsMatch(r, e, assets) ? MatchResult.Matched : MatchResult.NoMatch;
}

/** The value a stage with `sticky_different` records for this event (as text). */
export function stickyValue(field: StickyField, e: NormalizedEvent): string {
  switch (field) {
    case 'PLUGIN_SID':
      return String(e.plugin_sid);
    case 'SRC_IP':
      return e.src_ip;
    case 'DST_IP':
      return e.dst_ip;
    case 'SRC_PORT':
      return String(e.src_port);
    case 'DST_PORT':
      return String(e.dst_port);
    case 'CUSTOM_DATA1':
      return e.custom_data1;
    case 'CUSTOM_DATA2':
      return e.custom_data2;
    case 'CUSTOM_DATA3':
      return e.custom_data3;
  }
}
