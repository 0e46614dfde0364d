/**
 * IP addresses and CIDR networks, IPv4 and IPv6, without dependencies.
 *
 * IPv4 values are unsigned 32-bit numbers (fast path: most SOC traffic is IPv4); IPv6 values are bigints.
 * Parsing is strict: no zone ids, no brackets, no leading zeros in IPv4 octets, IPv4 only in full dotted form
 * (Go refuses `10.0.0` and `192.168/16`, so we do: D2); a network's host bits must be zero. This is what
 * start-up validation needs and what event addresses are checked with. An IPv4-mapped IPv6 address
 * (`::ffff:192.168.0.2`) parses as its IPv4 address, as Go's `To4` makes it, so the whitelist, the assets and
 * the rule lists see one address whichever way a sensor wrote it.
 */

import { fail, ok, type Result } from '../shared/result.js';

export type IpAddress =
  | { readonly family: 4; readonly v4: number }
  | { readonly family: 6; readonly v6: bigint };

export type Cidr =
  | { readonly family: 4; readonly base: number; readonly mask: number; readonly prefix: number }
  | { readonly family: 6; readonly base: bigint; readonly mask: bigint; readonly prefix: number };

export type CidrResult = Result<Cidr>;

const V6_ALL = (1n << 128n) - 1n;

// ---- parsing ------------------------------------------------------------------------------------------------

/** Dotted quad, strictly: four decimal octets of 1-3 digits, no leading zero, each <= 255. No allocation. */
export function parseV4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3 || (digits === 1 && octet === 0)) return undefined;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

function parseV6(text: string): bigint | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] ?? '', halves.length === 1);
  if (head === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? join(head) : undefined;
  const tail = groupsOf(halves[1] ?? '', true);
  if (tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return join([...head, ...new Array<number>(missing).fill(0), ...tail]);
}

/** Hex groups of one side of "::"; an embedded IPv4 is allowed only at the very end of the address. */
function groupsOf(side: string, mayEndWithV4: boolean): number[] | undefined {
  if (side === '') return [];
  const raw = side.split(':');
  const groups: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const g = raw[i] ?? '';
    if (i === raw.length - 1 && mayEndWithV4 && g.includes('.')) {
      const v4 = parseV4(g);
      if (v4 === undefined) return undefined;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
  }
  return groups;
}

function join(groups: readonly number[]): bigint {
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/** The IPv4-mapped block ::ffff:0:0/96: its addresses are IPv4 addresses written as IPv6. */
const V4_MAPPED_PREFIX = 0xffffn;

/** Parses an IPv4 or IPv6 literal; undefined when it is not one. IPv4-mapped IPv6 comes back as IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const v6 = parseV6(text);
    if (v6 === undefined) return undefined;
    if (v6 >> 32n === V4_MAPPED_PREFIX) return { family: 4, v4: Number(v6 & 0xffffffffn) };
    return { family: 6, v6 };
  }
  const v4 = parseV4(text);
  return v4 === undefined ? undefined : { family: 4, v4 };
}

/**
 * Parses "addr" or "addr/len" strictly: the host part must be zero. An address without a length is a host
 * (/32 for IPv4, /128 for IPv6: decision D5).
 */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? undefined : text.slice(slash + 1);
  const isV6 = addrText.includes(':');
  const max = isV6 ? 128 : 32;
  let prefix = max;
  if (lenText !== undefined) {
    if (!/^[0-9]{1,3}$/.test(lenText) || Number(lenText) > max) return fail(`invalid prefix length in "${text}"`);
    prefix = Number(lenText);
  }
  if (isV6) {
    const v6 = parseV6(addrText);
    if (v6 === undefined) return fail(`invalid IP address syntax: "${text}"`);
    const mask = prefix === 0 ? 0n : (V6_ALL << BigInt(128 - prefix)) & V6_ALL;
    if ((v6 & mask) !== v6) return fail(`host part of address was not zero: "${text}"`);
    return ok({ family: 6, base: v6, mask, prefix });
  }
  const v4 = parseV4(addrText);
  if (v4 === undefined) return fail(`invalid IP address syntax: "${text}"${shortFormHint(addrText)}`);
  const mask = v4Mask(prefix);
  if ((v4 & mask) >>> 0 !== v4) return fail(`host part of address was not zero: "${text}"`);
  return ok({ family: 4, base: v4, mask, prefix });
}

/** Says why `10.0.0` or `192.168` is refused: other parsers take these short forms, Go Dsiem does not. */
function shortFormHint(addrText: string): string {
  return /^[0-9]{1,3}(\.[0-9]{1,3}){0,2}$/.test(addrText) ? ' (IPv4 needs all four numbers, e.g. 10.0.0.0)' : '';
}

function v4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

// ---- queries ------------------------------------------------------------------------------------------------

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family === 4) return ip.family === 4 && (ip.v4 & cidr.mask) >>> 0 === cidr.base;
  return ip.family === 6 && (ip.v6 & cidr.mask) === cidr.base;
}

export function isHostCidr(cidr: Cidr): boolean {
  return cidr.prefix === (cidr.family === 4 ? 32 : 128);
}

export function formatIp(ip: IpAddress): string {
  return ip.family === 4 ? formatV4(ip.v4) : formatV6(ip.v6);
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.family === 4 ? formatV4(cidr.base) : formatV6(cidr.base)}/${cidr.prefix}`;
}

function formatV4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text: lower case, the longest run (>= 2) of zero groups compressed, the first one on a tie. */
function formatV6(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** IPv4 networks that are not globally routable (as the Rust port's intel lookups skip them). */
const V4_NON_GLOBAL = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.2.0/24',
  '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '240.0.0.0/4',
].map(mustCidr);
const V4_SPECIAL_192_0_0 = mustCidr('192.0.0.0/24');
const V6_NON_GLOBAL = ['::/128', '::1/128', 'fe80::/10', 'fc00::/7', '2001:db8::/32'].map(mustCidr);
const V6_MULTICAST = mustCidr('ff00::/8');

function mustCidr(text: string): Cidr {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(`bad built-in network ${text}: ${r.error}`);
  return r.value;
}

/** True for addresses a public threat-intel service can know about (`--intel_private_ip` turns the filter off). */
export function isGlobalIp(ip: IpAddress): boolean {
  if (ip.family === 4) {
    if (ip.v4 === 0xffffffff) return false;
    if (cidrContains(V4_SPECIAL_192_0_0, ip)) return ip.v4 === 0xc0000009 || ip.v4 === 0xc000000a;
    return !V4_NON_GLOBAL.some((c) => cidrContains(c, ip));
  }
  if (cidrContains(V6_MULTICAST, ip)) return ((ip.v6 >> 112n) & 0xfn) === 0xen;
  return !V6_NON_GLOBAL.some((c) => cidrContains(c, ip));
}
