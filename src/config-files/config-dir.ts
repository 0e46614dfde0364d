/**
 * Reads a Dsiem config folder (edge module: file I/O): `assets_*.json`, `directives_*.json`, `intel_*.json`,
 * `vuln_*.json`, each group in lexicographic order. All-or-nothing: the first problem is returned, naming
 * the file (and, from the decoders, the directive, stage and field).
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeAssetFile, type Asset } from '../asset/network-assets.js';
import { decodeDirectiveFile, type Directive } from '../directive/directive.js';
import { decodeSourceFile, type EnrichmentSource } from '../enrichment/sources.js';
import type { LoadResult } from '../shared/decode.js';

export interface LoadedConfig {
  readonly directives: readonly Directive[];
  readonly disabledDirectives: number;
  readonly assets: readonly Asset[];
  readonly intelSources: readonly EnrichmentSource[];
  readonly vulnSources: readonly EnrichmentSource[];
  readonly files: readonly string[];
}

/** Config files bigger than this are refused: a directive file of this size is a mistake or an attack. */
export const MAX_CONFIG_FILE_BYTES = 64 * 1024 * 1024;

const GROUPS = { assets: /^assets_.*\.json$/, directives: /^directives_.*\.json$/, intel: /^intel_.*\.json$/, vuln: /^vuln_.*\.json$/ };

async function readConfigFile(dir: string, name: string): Promise<LoadResult<string>> {
  const file = path.join(dir, name);
  try {
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, error: `${file}: not a regular file` };
    if (info.size > MAX_CONFIG_FILE_BYTES) return { ok: false, error: `${file}: ${info.size} bytes, larger than ${MAX_CONFIG_FILE_BYTES}: refused` };
    return { ok: true, value: await readFile(file, 'utf8') };
  } catch (err) {
    return { ok: false, error: `${file}: cannot read: ${(err as Error).message}` };
  }
}

export async function loadConfigDir(dir: string): Promise<LoadResult<LoadedConfig>> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    return { ok: false, error: `cannot read config folder ${dir}: ${(err as Error).message}` };
  }
  const pick = (re: RegExp) => names.filter((n) => re.test(n));
  const files: string[] = [];

  const assets: Asset[] = [];
  const assetFiles = pick(GROUPS.assets);
  if (assetFiles.length === 0) return { ok: false, error: `no assets_*.json file in ${dir}` };
  for (const name of assetFiles) {
    const text = await readConfigFile(dir, name);
    if (!text.ok) return text;
    const decoded = decodeAssetFile(path.join(dir, name), text.value);
    if (!decoded.ok) return decoded;
    assets.push(...decoded.value);
    files.push(name);
  }

  const directives: Directive[] = [];
  const ids = new Set<number>();
  let disabled = 0;
  for (const name of pick(GROUPS.directives)) {
    const text = await readConfigFile(dir, name);
    if (!text.ok) return text;
    const decoded = decodeDirectiveFile(path.join(dir, name), text.value, ids);
    if (!decoded.ok) return decoded;
    for (const d of decoded.value.directives) {
      directives.push(d);
      ids.add(d.id);
    }
    disabled += decoded.value.disabled;
    files.push(name);
  }
  if (directives.length === 0) return { ok: false, error: `cannot load any directive: no enabled directive in ${dir}/directives_*.json` };

  const sources = { intel: [] as EnrichmentSource[], vuln: [] as EnrichmentSource[] };
  for (const kind of ['intel', 'vuln'] as const) {
    for (const name of pick(GROUPS[kind])) {
      const text = await readConfigFile(dir, name);
      if (!text.ok) return text;
      const decoded = decodeSourceFile(kind, path.join(dir, name), text.value);
      if (!decoded.ok) return decoded;
      sources[kind].push(...decoded.value);
      files.push(name);
    }
  }
  return {
    ok: true,
    value: { directives, disabledDirectives: disabled, assets, intelSources: sources.intel, vulnSources: sources.vuln, files },
  };
}
