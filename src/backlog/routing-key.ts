/**
 * Routing keys: which events can touch a backlog at all, so a directive offers each event only to the backlogs
 * it can touch (instead of to all of them, as Go Dsiem does).
 *
 * When every rule a backlog may still use (its current stage to its last, or all of them with
 * `all_rules_always_active`) requires the same single source host (for example `from: ":1"` resolved to the
 * first event's address), an event from another source fails the address check of each of those rules, so it
 * can neither match nor record a sticky value there. The same holds for a single destination host. Rules with
 * a PLUGIN_SID sticky field record before the address check, so they make a backlog unkeyed. When those rules
 * require both one source and one destination host (`:1 -> :1`), the backlog is keyed on the pair: an event
 * must come from the one and go to the other to touch it (a directive with many host pairs then offers an event
 * to one backlog instead of to every backlog of its source). Event-id duplicates (D3) are not covered by keys:
 * the directive checks those separately.
 */

import { parseCidr, parseV4, type IpAddress } from '../net/ip.js';
import type { RuleSpec } from '../directive/rule-spec.js';
import type { BacklogState } from './state.js';

export type IpKey = number | string;

export type RoutingKey =
  | { readonly side: 'src' | 'dst'; readonly key: IpKey }
  /** `key` is the source host, `dst` the destination host as `pairDestination` gives it. */
  | { readonly side: 'pair'; readonly key: IpKey; readonly dst: IpKey }
  | undefined;

/**
 * The destination of a pair key: an IPv4 key as a signed 32-bit integer, which V8 keeps in the key object itself
 * (an address above 127.255.255.255 as a plain number would be a boxed number: 24 bytes more per backlog).
 */
export function pairDestination(key: IpKey): IpKey {
  return typeof key === 'number' ? key | 0 : key;
}

export function ipKey(ip: IpAddress): IpKey {
  return ip.family === 4 ? ip.v4 : `6:${ip.v6.toString(16)}`;
}

function hostKey(value: string): IpKey | undefined {
  if (value.includes(',') || value.includes('!')) return undefined;
  // An IPv4 address without a prefix (what a resolved `:1` is): a host, read without making a CIDR result.
  if (!value.includes('/') && !value.includes(':')) return parseV4(value.trim());
  const parsed = parseCidr(value.trim());
  if (!parsed.ok) return undefined;
  const c = parsed.value;
  if (c.prefix !== (c.family === 4 ? 32 : 128)) return undefined;
  return c.family === 4 ? c.base : `6:${c.base.toString(16)}`;
}

function sameHost(rules: readonly RuleSpec[], field: 'from' | 'to'): IpKey | undefined {
  let key: IpKey | undefined;
  for (const rule of rules) {
    const k = hostKey(rule[field]);
    if (k === undefined || (key !== undefined && k !== key)) return undefined;
    key = k;
  }
  return key;
}

export function routingKey(state: BacklogState): RoutingKey {
  const first = state.allRulesAlwaysActive ? 0 : state.currentStage - 1;
  const rules = state.rules.slice(first);
  if (rules.length === 0 || rules.some((r) => r.sticky_different === 'PLUGIN_SID')) return undefined;
  const src = sameHost(rules, 'from');
  const dst = sameHost(rules, 'to');
  if (src !== undefined && dst !== undefined) return { side: 'pair', key: src, dst: pairDestination(dst) };
  if (src !== undefined) return { side: 'src', key: src };
  return dst !== undefined ? { side: 'dst', key: dst } : undefined;
}
