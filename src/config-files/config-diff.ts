/**
 * What changed between two loaded configs (a hot reload): directives by id (added, changed, renamed, removed,
 * unchanged, by their canonical JSON), assets by network, and the intel/vuln sources. Pure: the engine swaps what
 * this says changed and leaves the rest untouched.
 */

import type { Asset } from '../asset/network-assets.js';
import type { Directive } from '../directive/directive.js';
import type { EnrichmentSource } from '../enrichment/sources.js';
import { formatCidr } from '../net/ip.js';
import type { LoadedConfig } from './config-dir.js';

export interface DirectiveDiff {
  /** Ids not in the old config. */
  readonly added: readonly Directive[];
  /** Same id and name, other content: the new versions (live backlogs keep their rules, new ones use these). */
  readonly changed: readonly Directive[];
  /** Same id, other name: the old backlogs are dropped, as saved backlogs of a renamed directive are. */
  readonly renamed: ReadonlyArray<{ readonly before: Directive; readonly after: Directive }>;
  readonly removed: readonly Directive[];
  /** Same content (the file it came from may differ): the new versions. */
  readonly unchanged: readonly Directive[];
}

export interface CountDiff {
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
}

export interface ConfigDiff {
  readonly directives: DirectiveDiff;
  /** Assets keyed by network (name, value and whitelisting compared). */
  readonly assets: CountDiff & { readonly before: number; readonly after: number };
  /** The asset list differs (in any way, order included): lookups must use the new one. */
  readonly assetsChanged: boolean;
  /** The intel or vuln source lists differ: lookups must use the new ones. */
  readonly enrichmentChanged: boolean;
}

/**
 * JSON with object keys sorted at every level (bigints as decimal strings): two values with the same content give
 * the same text whatever the order their fields were made in.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** A directive's content: everything but the file it was read from (moving it to another file changes nothing). */
export function directiveContent(d: Directive): string {
  const { file: _file, ...content } = d;
  return canonicalJson(content);
}

export function diffDirectives(before: readonly Directive[], after: readonly Directive[]): DirectiveDiff {
  const old = new Map(before.map((d) => [d.id, d]));
  const added: Directive[] = [];
  const changed: Directive[] = [];
  const renamed: Array<{ before: Directive; after: Directive }> = [];
  const unchanged: Directive[] = [];
  for (const d of after) {
    const previous = old.get(d.id);
    old.delete(d.id);
    if (previous === undefined) added.push(d);
    else if (previous.name !== d.name) renamed.push({ before: previous, after: d });
    else if (directiveContent(previous) === directiveContent(d)) unchanged.push(d);
    else changed.push(d);
  }
  return { added, changed, renamed, removed: [...old.values()], unchanged };
}

/** Assets by network: a network in one list only is added or removed; in both with other content, changed. */
function diffAssets(before: readonly Asset[], after: readonly Asset[]): CountDiff {
  const byNetwork = (assets: readonly Asset[]) => {
    const groups = new Map<string, string[]>();
    for (const a of assets) {
      const key = formatCidr(a.cidr);
      const list = groups.get(key);
      const content = canonicalJson(a);
      if (list === undefined) groups.set(key, [content]);
      else list.push(content);
    }
    return new Map([...groups].map(([k, list]) => [k, list.sort().join('\n')]));
  };
  const old = byNetwork(before);
  const next = byNetwork(after);
  let added = 0;
  let changed = 0;
  for (const [key, content] of next) {
    const previous = old.get(key);
    if (previous === undefined) added++;
    else if (previous !== content) changed++;
  }
  let removed = 0;
  for (const key of old.keys()) if (!next.has(key)) removed++;
  return { added, removed, changed };
}

const sourcesText = (intel: readonly EnrichmentSource[], vuln: readonly EnrichmentSource[]) => canonicalJson({ intel, vuln });

export function diffConfigs(before: LoadedConfig, after: LoadedConfig): ConfigDiff {
  return {
    directives: diffDirectives(before.directives, after.directives),
    assets: { ...diffAssets(before.assets, after.assets), before: before.assets.length, after: after.assets.length },
    assetsChanged: canonicalJson(before.assets) !== canonicalJson(after.assets),
    enrichmentChanged: sourcesText(before.intelSources, before.vulnSources) !== sourcesText(after.intelSources, after.vulnSources),
  };
}

/** The counts an operator reads in the reload's log line and reply. */
export interface ChangeSummary {
  readonly directives: { readonly added: number; readonly changed: number; readonly renamed: number; readonly removed: number; readonly unchanged: number };
  readonly assets: CountDiff & { readonly before: number; readonly after: number };
  readonly intel_vuln_sources_changed: boolean;
}

export function summarizeDiff(diff: ConfigDiff): ChangeSummary {
  const d = diff.directives;
  return {
    directives: { added: d.added.length, changed: d.changed.length, renamed: d.renamed.length, removed: d.removed.length, unchanged: d.unchanged.length },
    assets: diff.assets,
    intel_vuln_sources_changed: diff.enrichmentChanged,
  };
}
