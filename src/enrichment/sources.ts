/**
 * Threat-intel (`intel_*.json`) and vulnerability (`vuln_*.json`) source configs. Each source's `config` is a
 * JSON *string* holding at least a `url` with `${ip}` (and `${port}` for vulnerability lookups).
 *
 * A disabled source is never interpreted (Go and the Rust port never read one): its shape is checked, a plugin
 * we do not support is only a warning, and it is not in the result.
 */

import * as t from 'io-ts';
import type { ConfigProblem } from '../config-files/config-problem.js';
import { parseJsonDocument, type JsonPath } from '../config-files/json-document.js';
import { checkWireObject } from '../config-files/wire-object.js';

export const SourceWire = t.type({ name: t.string, type: t.string, enabled: t.boolean, plugin: t.string, config: t.string });
type SourceWire = t.TypeOf<typeof SourceWire>;
const SOURCE_FIELDS = Object.keys(SourceWire.props);

export interface EnrichmentSource {
  readonly name: string;
  readonly plugin: string;
  readonly type: string;
  readonly enabled: boolean;
  readonly url: string;
}

export type SourceKind = 'intel' | 'vuln';

const KNOWN_PLUGINS = { intel: 'Wise', vuln: 'Nesd' } as const;
const LIST_FIELD = { intel: 'intel_sources', vuln: 'vuln_sources' } as const;

export interface SourceFileResult {
  /** The enabled sources without problems. */
  readonly sources: EnrichmentSource[];
  readonly disabled: number;
  readonly problems: ConfigProblem[];
}

type Finding = { readonly severity: 'error' | 'warning'; readonly kind: string; readonly field: string; readonly message: string };

/** The url of an enabled source's config string, or what is wrong with it. */
function configUrl(kind: SourceKind, s: SourceWire): { url: string } | Finding {
  const bad = (message: string): Finding => ({ severity: 'error', kind: 'bad-source-config', field: 'config', message });
  let config: unknown;
  try {
    config = JSON.parse(s.config);
  } catch (err) {
    return bad(`is not a JSON string: ${(err as Error).message}`);
  }
  const url = config !== null && typeof config === 'object' ? (config as { url?: unknown }).url : undefined;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url) || !url.includes('${ip}')) return bad('"url" must be an http(s) URL containing ${ip}');
  if (kind === 'vuln' && !url.includes('${port}')) return bad('"url" must contain ${port}');
  return { url };
}

function findings(kind: SourceKind, s: SourceWire): { url?: string; found: Finding[] } {
  const supported = s.plugin === KNOWN_PLUGINS[kind];
  if (!s.enabled) {
    const found: Finding[] = supported ? [] : [{ severity: 'warning', kind: 'disabled-source', field: 'plugin', message: `unsupported plugin "${s.plugin}" (supported: ${KNOWN_PLUGINS[kind]}); accepted because the source is disabled` }];
    return { found };
  }
  if (!supported) return { found: [{ severity: 'error', kind: 'unsupported-plugin', field: 'plugin', message: `unsupported plugin "${s.plugin}" (supported: ${KNOWN_PLUGINS[kind]})` }] };
  const url = configUrl(kind, s);
  return 'url' in url ? { url: url.url, found: [] } : { found: [url] };
}

export function decodeSourceFile(kind: SourceKind, file: string, text: string): SourceFileResult {
  const parsed = parseJsonDocument(file, text);
  if (!parsed.ok) return { sources: [], disabled: 0, problems: [parsed.error] };
  const doc = parsed.value;
  const problems: ConfigProblem[] = [];
  const add = (path: JsonPath, at: 'key' | 'value', p: Omit<ConfigProblem, 'file' | 'line' | 'column' | 'offset'>) => problems.push({ ...p, file, ...doc.place(path, at) });
  const listField = LIST_FIELD[kind];
  const top = checkWireObject(doc.value, t.type({ [listField]: t.array(t.unknown) }), [listField], `an object with an "${listField}" list`);
  for (const i of top.issues) add(i.path, i.at, { severity: 'error', kind: i.kind, ...(i.field === undefined ? {} : { field: i.field }), message: i.message });
  const list = (top.value as Record<string, unknown[]> | undefined)?.[listField] ?? [];
  const sources: EnrichmentSource[] = [];
  let disabled = 0;
  for (const [index, raw] of list.entries()) {
    const base: JsonPath = [listField, index];
    const name = (raw as { name?: unknown } | null)?.name;
    const subject = `source #${index + 1}${typeof name === 'string' ? ` ${JSON.stringify(name)}` : ''}`;
    const s = checkWireObject(raw, SourceWire, SOURCE_FIELDS, 'a source');
    for (const i of s.issues) add([...base, ...i.path], i.at, { severity: 'error', kind: i.kind, subject, ...(i.field === undefined ? {} : { field: i.field }), message: i.message });
    if (s.value === undefined) continue;
    const { url, found } = findings(kind, s.value);
    for (const f of found) add([...base, f.field], 'value', { severity: f.severity, kind: f.kind, subject, field: f.field, message: f.message });
    if (!s.value.enabled) disabled++;
    else if (url !== undefined && s.issues.length === 0) sources.push({ name: s.value.name, plugin: s.value.plugin, type: s.value.type, enabled: true, url });
  }
  return { sources, disabled, problems };
}
