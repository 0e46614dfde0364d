/**
 * How Go Dsiem reads the values of a directive file (internal/pkg/dsiem/siem/validate.go, encoding/json), for
 * `migrate`: which address and port lists it accepts, and what it takes them to mean. Facts from Go's code,
 * written here as plain functions; nothing here decides what *we* accept (that is src/directive).
 */

import { formatCidr, parseIp, type Cidr } from '../net/ip.js';
import { referencedRule } from '../rule/reference.js';

/** Go splits lists on commas and on any white space (str.CsvToSlice = strings.Fields after replacing ","). */
export function goListItems(text: string): string[] {
  return text.replace(/,/g, ' ').split(/\s+/).filter((s) => s !== '');
}

/** Go drops the first character of a negated item and trims (str.TrimLeftChar). */
function goItem(item: string): { negated: boolean; value: string } {
  return item.startsWith('!') ? { negated: true, value: item.slice(1).trim() } : { negated: false, value: item };
}

const prefixOf = (text: string, max: number): number | undefined => (/^[0-9]{1,3}$/.test(text) && Number(text) <= max ? Number(text) : undefined);

/**
 * Go's net.ParseCIDR after appending "/32" to an item without "/": the network it means (host bits masked), or
 * undefined when Go refuses the item. An IPv6 item without a prefix gets /32 in Go too; we keep it a host (D5).
 */
export function goNetwork(value: string): Cidr | 'v6-host' | undefined {
  const slash = value.indexOf('/');
  const addr = parseIp(slash < 0 ? value : value.slice(0, slash));
  if (addr === undefined) return undefined;
  const v6Text = value.slice(0, slash < 0 ? value.length : slash).includes(':');
  if (slash < 0 && v6Text) return 'v6-host';
  if (addr.family === 4 && !v6Text) {
    const prefix = slash < 0 ? 32 : prefixOf(value.slice(slash + 1), 32);
    if (prefix === undefined) return undefined;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { family: 4, base: (addr.v4 & mask) >>> 0, mask, prefix };
  }
  if (addr.family === 6) {
    const prefix = prefixOf(value.slice(slash + 1), 128);
    if (prefix === undefined) return undefined;
    const all = (1n << 128n) - 1n;
    const mask = prefix === 0 ? 0n : (all << BigInt(128 - prefix)) & all;
    return { family: 6, base: addr.v6 & mask, mask, prefix };
  }
  return undefined; // a mapped IPv4 written as IPv6 with a prefix: left to the strict check
}

/**
 * An address list as Go reads it, written the way our strict loader accepts: items joined with ", ", networks
 * with their host bits cleared. Undefined when Go refuses the list (it then skips the directive).
 */
export function goAddressList(text: string): string | undefined {
  const items = goListItems(text);
  if (items.length === 0) return undefined;
  const out: string[] = [];
  for (const raw of items) {
    const item = goItem(raw);
    const net = goNetwork(item.value);
    if (net === undefined) return undefined;
    const written = net === 'v6-host' ? item.value : item.value.includes('/') ? formatCidr(net) : item.value;
    out.push(`${item.negated ? '!' : ''}${written}`);
  }
  return out.join(', ');
}

/** A port list as Go reads it (strconv.Atoi, then 2..65534), written canonically; undefined when Go refuses it. */
export function goPortList(text: string): string | undefined {
  const out: string[] = [];
  for (const raw of goListItems(text)) {
    const item = goItem(raw);
    if (!/^[+-]?[0-9]+$/.test(item.value)) return undefined;
    const n = Number(item.value);
    if (n <= 1 || n >= 65535) return undefined;
    out.push(`${item.negated ? '!' : ''}${n}`);
  }
  return out.join(', ');
}

export const GO_ADDRESS_KEYWORDS: readonly string[] = ['ANY', 'HOME_NET', '!HOME_NET'];
/** Go's reference check (validateReference): `:n` with n below the number of rules; any rule may be named. */
export function goReferenceOk(value: string, ruleCount: number): boolean {
  const n = referencedRule(value);
  return n !== undefined && n < ruleCount;
}
