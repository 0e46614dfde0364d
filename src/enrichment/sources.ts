/**
 * Threat-intel (`intel_*.json`) and vulnerability (`vuln_*.json`) source configs. Each source's `config` is a
 * JSON *string* holding at least a `url` with `${ip}` (and `${port}` for vulnerability lookups).
 */

import * as t from 'io-ts';
import { decodeJsonFile, type LoadResult } from '../shared/decode.js';

export const SourceWire = t.type({ name: t.string, type: t.string, enabled: t.boolean, plugin: t.string, config: t.string });
export const IntelFileWire = t.type({ intel_sources: t.array(SourceWire) });
export const VulnFileWire = t.type({ vuln_sources: t.array(SourceWire) });

export interface EnrichmentSource {
  readonly name: string;
  readonly plugin: string;
  readonly type: string;
  readonly enabled: boolean;
  readonly url: string;
}

const KNOWN_PLUGINS = { intel: 'Wise', vuln: 'Nesd' } as const;

export function decodeSourceFile(kind: 'intel' | 'vuln', file: string, text: string): LoadResult<EnrichmentSource[]> {
  const decoded =
    kind === 'intel'
      ? decodeJsonFile(file, text, IntelFileWire)
      : decodeJsonFile(file, text, VulnFileWire);
  if (!decoded.ok) return decoded;
  const list = 'intel_sources' in decoded.value ? decoded.value.intel_sources : decoded.value.vuln_sources;
  const sources: EnrichmentSource[] = [];
  for (const [i, s] of list.entries()) {
    const where = `${file}: source #${i + 1} "${s.name}"`;
    if (s.plugin !== KNOWN_PLUGINS[kind]) {
      return { ok: false, error: `${where}: field "plugin": unsupported plugin "${s.plugin}" (supported: ${KNOWN_PLUGINS[kind]})` };
    }
    let config: unknown;
    try {
      config = JSON.parse(s.config);
    } catch (err) {
      return { ok: false, error: `${where}: field "config" is not a JSON string: ${(err as Error).message}` };
    }
    const url = config !== null && typeof config === 'object' ? (config as { url?: unknown }).url : undefined;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url) || !url.includes('${ip}')) {
      return { ok: false, error: `${where}: field "config": "url" must be an http(s) URL containing \${ip}` };
    }
    if (kind === 'vuln' && !url.includes('${port}')) {
      return { ok: false, error: `${where}: field "config": "url" must contain \${port}` };
    }
    sources.push({ name: s.name, plugin: s.plugin, type: s.type, enabled: s.enabled, url });
  }
  return { ok: true, value: sources };
}
