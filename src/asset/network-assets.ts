/**
 * Assets (`assets_*.json`): the networks a SOC protects, their values, and the whitelist.
 *
 * HOME_NET = every non-whitelisted asset network. Asset value of an address = the highest value among the
 * non-whitelisted assets containing it (D1). Asset name = the name of a non-whitelisted host entry (/32, /128)
 * equal to the address. Whitelisted sources are dropped before correlation.
 */

import * as t from 'io-ts';
import { cidrContains, formatCidr, isHostCidr, parseCidr, type Cidr, type IpAddress } from '../net/ip.js';
import type { ConfigProblem } from '../config-files/config-problem.js';
import { parseJsonDocument, type JsonPath } from '../config-files/json-document.js';
import { checkWireObject } from '../config-files/wire-object.js';
import { WholeNumber } from '../shared/decode.js';

const ASSET_REQUIRED = { name: t.string, cidr: t.string, value: WholeNumber };
const ASSET_OPTIONAL = { whitelisted: t.boolean, description: t.string };
export const AssetWire = t.intersection([t.type(ASSET_REQUIRED), t.partial(ASSET_OPTIONAL)]);
export type AssetWire = t.TypeOf<typeof AssetWire>;
export const AssetFileWire = t.type({ assets: t.array(t.unknown) });
const ASSET_FIELDS = [...Object.keys(ASSET_REQUIRED), ...Object.keys(ASSET_OPTIONAL)];

export interface Asset {
  readonly name: string;
  readonly cidr: Cidr;
  readonly value: number;
  readonly whitelisted: boolean;
}

export interface NetworkAssets {
  readonly count: number;
  isWhitelisted(ip: IpAddress | undefined): boolean;
  isHomeNet(ip: IpAddress | undefined): boolean;
  /** Highest value of the non-whitelisted assets containing ip; 0 when none. */
  value(ip: IpAddress | undefined): number;
  /** Name of the non-whitelisted host asset for ip, if there is one. */
  hostName(ip: IpAddress | undefined): string | undefined;
  /** Canonical texts of the non-host HOME_NET networks containing ip. */
  networks(ip: IpAddress | undefined): readonly string[];
}

export interface AssetFileResult {
  readonly assets: Asset[];
  readonly problems: ConfigProblem[];
}

function subjectOf(raw: unknown, index: number): string {
  const name = raw !== null && typeof raw === 'object' ? (raw as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name !== '' ? `asset #${index + 1} ${JSON.stringify(name)}` : `asset #${index + 1}`;
}

/** Decodes and checks one assets file: every valid asset, and every problem (an asset with one is left out). */
export function decodeAssetFile(file: string, text: string): AssetFileResult {
  const parsed = parseJsonDocument(file, text);
  if (!parsed.ok) return { assets: [], problems: [parsed.error] };
  const doc = parsed.value;
  const problems: ConfigProblem[] = [];
  const add = (path: JsonPath, at: 'key' | 'value', p: Omit<ConfigProblem, 'file' | 'line' | 'column' | 'offset'>) =>
    problems.push({ ...p, file, ...doc.place(path, at) });
  const top = checkWireObject(doc.value, AssetFileWire, ['assets'], 'an object with an "assets" list');
  for (const i of top.issues) add(i.path, i.at, { severity: 'error', kind: i.kind, ...(i.field === undefined ? {} : { field: i.field }), message: i.message });
  const assets: Asset[] = [];
  for (const [index, raw] of (top.value?.assets ?? []).entries()) {
    const subject = subjectOf(raw, index);
    const base: JsonPath = ['assets', index];
    const a = checkWireObject(raw, AssetWire, ASSET_FIELDS, 'an asset');
    for (const i of a.issues) add([...base, ...i.path], i.at, { severity: 'error', kind: i.kind, subject, ...(i.field === undefined ? {} : { field: i.field }), message: i.message });
    if (a.value === undefined) continue;
    const meaning = assetProblems(a.value);
    for (const m of meaning) add([...base, m.field], 'value', { severity: 'error', kind: m.kind, subject, field: m.field, message: m.message });
    const cidr = parseCidr(a.value.cidr.trim());
    if (meaning.length === 0 && a.issues.length === 0 && cidr.ok) {
      assets.push({ name: a.value.name, cidr: cidr.value, value: a.value.value, whitelisted: a.value.whitelisted === true });
    }
  }
  return { assets, problems };
}

function assetProblems(a: AssetWire): Array<{ field: string; kind: string; message: string }> {
  const out: Array<{ field: string; kind: string; message: string }> = [];
  if (a.value < 1 || a.value > 255) out.push({ field: 'value', kind: 'out-of-range', message: `must be a whole number from 1 to 255, got ${a.value}` });
  if (a.name.trim() === '') out.push({ field: 'name', kind: 'empty-field', message: 'cannot be empty' });
  const cidr = parseCidr(a.cidr.trim());
  if (!cidr.ok) out.push({ field: 'cidr', kind: 'bad-address', message: `is invalid: ${cidr.error}` });
  return out;
}

/** Whether HOME_NET has anything, and whether a whitelisted asset covers a whole network (for rule warnings). */
export function assetFacts(assets: readonly Asset[]): { hasHomeNet: boolean; isWhitelistedNetwork(cidr: Cidr): boolean } {
  const white = assets.filter((a) => a.whitelisted);
  return {
    hasHomeNet: assets.some((a) => !a.whitelisted),
    isWhitelistedNetwork: (c) =>
      white.some((w) => w.cidr.family === c.family && w.cidr.prefix <= c.prefix && cidrContains(w.cidr, c.family === 4 ? { family: 4, v4: c.base } : { family: 6, v6: c.base })),
  };
}

/** Up to this many HOME_NET networks, an address's value is worked out each time (a few integer tests); past it, kept per address. */
const DIRECT_VALUE_MAX = 16;
/** Values kept per address, at most (then they are worked out each time). */
const MAX_CACHED_VALUES = 100_000;

/** An address as a map key: IPv4 as its number (no string made per lookup), IPv6 as text. */
const addressKey = (family: 4 | 6, v: number | bigint): number | string => (family === 4 ? (v as number) : `6:${v}`);

export function buildNetworkAssets(assets: readonly Asset[]): NetworkAssets {
  const home = assets.filter((a) => !a.whitelisted);
  const white = assets.filter((a) => a.whitelisted);
  // Host entries by address: the common lookups (title names) become one map access.
  const hosts = new Map<number | string, string>();
  for (const a of home) {
    const k = addressKey(a.cidr.family, a.cidr.base);
    if (isHostCidr(a.cidr) && !hosts.has(k)) hosts.set(k, a.name);
  }
  const valueOf = (ip: IpAddress): number => {
    let best = 0;
    for (const a of home) if (a.value > best && cidrContains(a.cidr, ip)) best = a.value;
    return best;
  };
  const valueCache = new Map<number | string, number>();
  const keyOf = (ip: IpAddress) => (ip.family === 4 ? ip.v4 : addressKey(6, ip.v6));
  return {
    count: assets.length,
    isWhitelisted: (ip) => ip !== undefined && white.some((a) => cidrContains(a.cidr, ip)),
    isHomeNet: (ip) => ip !== undefined && home.some((a) => cidrContains(a.cidr, ip)),
    value: (ip) => {
      if (ip === undefined) return 0;
      if (home.length <= DIRECT_VALUE_MAX) return valueOf(ip);
      const k = keyOf(ip);
      const cached = valueCache.get(k);
      if (cached !== undefined) return cached;
      const best = valueOf(ip);
      if (valueCache.size < MAX_CACHED_VALUES) valueCache.set(k, best);
      return best;
    },
    hostName: (ip) => (ip === undefined ? undefined : hosts.get(keyOf(ip))),
    networks: (ip) =>
      ip === undefined ? [] : home.filter((a) => !isHostCidr(a.cidr) && cidrContains(a.cidr, ip)).map((a) => formatCidr(a.cidr)),
  };
}
