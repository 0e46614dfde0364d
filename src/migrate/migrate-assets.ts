/**
 * `migrate` for one assets file: Go Dsiem ignores unknown fields and uses a network whose host bits are set as
 * the network itself (net.ParseCIDR); both are written out explicitly. Go refuses the whole start-up on anything
 * else wrong with an asset (a cidr it cannot parse, value 0, empty name), so those refuse the file here too.
 */

import { isLeft } from 'fp-ts/lib/Either.js';
import { AssetWire } from '../asset/network-assets.js';
import { parseJsonDocument } from '../config-files/json-document.js';
import { fieldErrors, formatPath } from '../shared/decode.js';
import { formatCidr } from '../net/ip.js';
import { asGoSees, isJsonObject } from './go-json.js';
import { goNetwork } from './go-values.js';
import type { MigrationChange } from './migration-change.js';

const ASSET_FIELDS = ['name', 'cidr', 'value', 'whitelisted', 'description'];

export interface AssetFileMigration {
  readonly output: { assets: unknown[] } | undefined;
  readonly changes: MigrationChange[];
  readonly refused: string[];
}

export function migrateAssetFile(file: string, text: string): AssetFileMigration {
  const parsed = parseJsonDocument(file, text);
  if (!parsed.ok) return { output: undefined, changes: [], refused: [parsed.error.message] };
  const top = parsed.value.value;
  const list = isJsonObject(top) && Array.isArray(top['assets']) ? (top['assets'] as unknown[]) : undefined;
  if (list === undefined) return { output: undefined, changes: [], refused: ['not an object with an "assets" list'] };
  const changes: MigrationChange[] = [];
  const refused: string[] = [];
  const assets: unknown[] = [];
  for (const [i, raw] of list.entries()) {
    if (!isJsonObject(raw)) {
      refused.push(`asset #${i + 1}: not an object`);
      continue;
    }
    const local: Omit<MigrationChange, 'file'>[] = [];
    const asset = asGoSees(raw, ASSET_FIELDS, { name: '', cidr: '', value: 0 }, {}, local);
    changes.push(...local.map((c) => ({ file, ...c, field: `assets[${i}].${c.field ?? ''}` })));
    const decoded = AssetWire.decode(asset);
    if (isLeft(decoded)) {
      refused.push(...fieldErrors(decoded.left).map((e) => `asset #${i + 1}: field "${formatPath(e.path)}": expected ${e.expected}, got ${e.got}`));
      continue;
    }
    const cidr = decoded.right.cidr;
    const net = cidr.includes('/') ? goNetwork(cidr.trim()) : undefined;
    if (net !== undefined && net !== 'v6-host' && formatCidr(net) !== cidr) {
      changes.push({ file, field: `assets[${i}].cidr`, action: 'changed', old: cidr, new: formatCidr(net), reason: 'Go Dsiem uses the network of an address with host bits set' });
      asset['cidr'] = formatCidr(net);
    }
    assets.push(asset);
  }
  return refused.length > 0 ? { output: undefined, changes: [], refused } : { output: { assets }, changes, refused };
}
