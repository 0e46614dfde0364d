/**
 * Assets (`assets_*.json`): the networks a SOC protects, their values, and the whitelist.
 *
 * HOME_NET = every non-whitelisted asset network. Asset value of an address = the highest value among the
 * non-whitelisted assets containing it (D1). Asset name = the name of a non-whitelisted host entry (/32, /128)
 * equal to the address. Whitelisted sources are dropped before correlation.
 */

import * as t from 'io-ts';
import { cidrContains, formatCidr, formatIp, isHostCidr, parseCidr, type Cidr, type IpAddress } from '../net/ip.js';
import { decodeJsonFile, type LoadResult } from '../shared/decode.js';

export const AssetWire = t.intersection([
  t.type({ name: t.string, cidr: t.string, value: t.number }),
  t.partial({ whitelisted: t.boolean, description: t.string }),
]);
export const AssetFileWire = t.type({ assets: t.array(AssetWire) });
export type AssetFileWire = t.TypeOf<typeof AssetFileWire>;

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

/** Checks one decoded assets file; the error names the file and the asset. */
export function validateAssetFile(file: string, wire: AssetFileWire): LoadResult<Asset[]> {
  const assets: Asset[] = [];
  for (const [i, a] of wire.assets.entries()) {
    const where = `${file}: asset #${i + 1}${a.name ? ` "${a.name}"` : ''}`;
    if (!Number.isInteger(a.value) || a.value < 1 || a.value > 255) {
      return { ok: false, error: `${where}: field "value" must be an integer from 1 to 255, got ${a.value}` };
    }
    if (a.name.trim() === '') return { ok: false, error: `${where}: field "name" cannot be empty` };
    const parsed = parseCidr(a.cidr.trim());
    if (!parsed.ok) return { ok: false, error: `${where}: field "cidr" is invalid: ${parsed.error}` };
    assets.push({ name: a.name, cidr: parsed.cidr, value: a.value, whitelisted: a.whitelisted === true });
  }
  return { ok: true, value: assets };
}

export function decodeAssetFile(file: string, text: string): LoadResult<Asset[]> {
  const decoded = decodeJsonFile(file, text, AssetFileWire);
  return decoded.ok ? validateAssetFile(file, decoded.value) : decoded;
}

export function buildNetworkAssets(assets: readonly Asset[]): NetworkAssets {
  const home = assets.filter((a) => !a.whitelisted);
  const white = assets.filter((a) => a.whitelisted);
  // Host entries by address text: the common lookups (title names) become one map access.
  const hosts = new Map<string, string>();
  for (const a of home) if (isHostCidr(a.cidr) && !hosts.has(formatCidr(a.cidr))) hosts.set(formatCidr(a.cidr), a.name);
  const valueCache = new Map<string, number>();
  const key = (ip: IpAddress) => (ip.family === 4 ? `4:${ip.v4}` : `6:${ip.v6}`);
  return {
    count: assets.length,
    isWhitelisted: (ip) => ip !== undefined && white.some((a) => cidrContains(a.cidr, ip)),
    isHomeNet: (ip) => ip !== undefined && home.some((a) => cidrContains(a.cidr, ip)),
    value: (ip) => {
      if (ip === undefined) return 0;
      const k = key(ip);
      const cached = valueCache.get(k);
      if (cached !== undefined) return cached;
      let best = 0;
      for (const a of home) if (a.value > best && cidrContains(a.cidr, ip)) best = a.value;
      if (valueCache.size < 100_000) valueCache.set(k, best);
      return best;
    },
    hostName: (ip) => (ip === undefined ? undefined : hosts.get(`${formatIp(ip)}/${ip.family === 4 ? 32 : 128}`)),
    networks: (ip) =>
      ip === undefined ? [] : home.filter((a) => !isHostCidr(a.cidr) && cidrContains(a.cidr, ip)).map((a) => formatCidr(a.cidr)),
  };
}
