/**
 * Reads a Dsiem config folder (edge module: file I/O): `assets_*.json`, `directives_*.json` (with a node name,
 * only `directives_{node}_*.json`, as serve downloads them), `intel_*.json`, `vuln_*.json`, each group in
 * lexicographic order. Every file is checked completely: `checkConfigDir` returns every problem (for
 * `validate`), `loadConfigDir` the config when there is no error, else the first errors and their count.
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { assetFacts, decodeAssetFile, type Asset } from '../asset/network-assets.js';
import { decodeDirectiveFile, type Directive, type DirectivePlace } from '../directive/directive.js';
import { decodeSourceFile, type EnrichmentSource } from '../enrichment/sources.js';
import { fail, ok, type Result } from '../shared/result.js';
import { sortProblems, summarizeErrors, WHOLE_FILE, type ConfigProblem } from './config-problem.js';

export interface LoadedConfig {
  readonly directives: readonly Directive[];
  readonly disabledDirectives: number;
  readonly assets: readonly Asset[];
  readonly intelSources: readonly EnrichmentSource[];
  readonly vulnSources: readonly EnrichmentSource[];
  readonly disabledSources?: number;
  readonly files: readonly string[];
  /** What is valid but suspicious (for the start-up log); sorted by file and position. */
  readonly warnings?: readonly ConfigProblem[];
}

export interface ConfigDirOptions {
  /** Node name: when set, only `directives_{node}_*.json` are read (D7), as `serve` downloads them. */
  readonly node?: string;
}

export interface ConfigReport {
  /** Every problem, sorted by file and position. */
  readonly problems: readonly ConfigProblem[];
  /** What loaded (the valid part, when there are errors). */
  readonly config: LoadedConfig;
}

/** Config files bigger than this are refused: a directive file of this size is a mistake or an attack. */
export const MAX_CONFIG_FILE_BYTES = 64 * 1024 * 1024;

const GROUPS = { assets: /^assets_.*\.json$/, directives: /^directives_.*\.json$/, intel: /^intel_.*\.json$/, vuln: /^vuln_.*\.json$/ };

const folderProblem = (file: string, kind: string, message: string): ConfigProblem => ({ severity: 'error', kind, file, ...WHOLE_FILE, message });

async function readConfigFile(file: string): Promise<Result<string, ConfigProblem>> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return fail(folderProblem(file, 'unreadable', 'not a regular file'));
    if (info.size > MAX_CONFIG_FILE_BYTES) return fail(folderProblem(file, 'too-large', `${info.size} bytes, larger than ${MAX_CONFIG_FILE_BYTES}: refused`));
    return ok(await readFile(file, 'utf8'));
  } catch (err) {
    return fail(folderProblem(file, 'unreadable', `cannot read: ${(err as Error).message}`));
  }
}

/** The directive files a node reads: all of them without a node name, else `directives_{node}_*.json` (D7). */
export function directiveFilesOf(names: readonly string[], node: string | undefined): string[] {
  const all = names.filter((n) => GROUPS.directives.test(n));
  return node === undefined || node === '' ? all : all.filter((n) => n.startsWith(`directives_${node}_`));
}

/** Reads every file of a group, decoding each one; unreadable files become problems. */
async function eachFile(dir: string, names: readonly string[], decode: (file: string, text: string) => void, problems: ConfigProblem[]): Promise<void> {
  for (const name of names) {
    const file = path.join(dir, name);
    const text = await readConfigFile(file);
    if (text.ok) decode(file, text.value);
    else problems.push(text.error);
  }
}

/** Loads and checks a config folder completely; `config` holds what is valid even when there are errors. */
export async function checkConfigDir(dir: string, options: ConfigDirOptions = {}): Promise<Result<ConfigReport, string>> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    return fail(`cannot read config folder ${dir}: ${(err as Error).message}`);
  }
  const problems: ConfigProblem[] = [];
  const pick = (re: RegExp) => names.filter((n) => re.test(n));

  const assets: Asset[] = [];
  const assetFiles = pick(GROUPS.assets);
  if (assetFiles.length === 0) problems.push(folderProblem(dir, 'no-assets', 'no assets_*.json file in this folder'));
  await eachFile(dir, assetFiles, (file, text) => {
    const r = decodeAssetFile(file, text);
    assets.push(...r.assets);
    problems.push(...r.problems);
  }, problems);

  const directives: Directive[] = [];
  const seen = new Map<number, DirectivePlace>();
  let disabledDirectives = 0;
  const directiveFiles = directiveFilesOf(names, options.node);
  const facts = assetFacts(assets);
  await eachFile(dir, directiveFiles, (file, text) => {
    const r = decodeDirectiveFile(file, text, { seen, assets: facts });
    directives.push(...r.directives);
    for (const [id, where] of r.ids) seen.set(id, where);
    disabledDirectives += r.disabled;
    problems.push(...r.problems);
  }, problems);
  // Said only when nothing else explains it: every directive disabled, or no file, or empty lists.
  const directiveErrors = problems.some((p) => p.severity === 'error' && directiveFiles.includes(path.basename(p.file)));
  if (seen.size === 0 && !directiveErrors) {
    const pattern = options.node ? `directives_${options.node}_*.json` : 'directives_*.json';
    problems.push(folderProblem(dir, 'no-directive', `cannot load any directive: no enabled directive in ${path.join(dir, pattern)}`));
  }

  const sources = { intel: [] as EnrichmentSource[], vuln: [] as EnrichmentSource[] };
  let disabledSources = 0;
  for (const kind of ['intel', 'vuln'] as const) {
    await eachFile(dir, pick(GROUPS[kind]), (file, text) => {
      const r = decodeSourceFile(kind, file, text);
      sources[kind].push(...r.sources);
      disabledSources += r.disabled;
      problems.push(...r.problems);
    }, problems);
  }
  const files = [...assetFiles, ...directiveFiles, ...pick(GROUPS.intel), ...pick(GROUPS.vuln)];
  const sorted = sortProblems(problems);
  const config: LoadedConfig = {
    directives,
    disabledDirectives,
    assets,
    intelSources: sources.intel,
    vulnSources: sources.vuln,
    disabledSources,
    files,
    warnings: sorted.filter((p) => p.severity === 'warning'),
  };
  return ok({ problems: sorted, config });
}

/** The config when it has no error; else the first errors, sorted, and their count, in one message. */
export async function loadConfigDir(dir: string, options: ConfigDirOptions = {}): Promise<Result<LoadedConfig, string>> {
  const report = await checkConfigDir(dir, options);
  if (!report.ok) return report;
  const errors = report.value.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) return fail(summarizeErrors(errors, dir));
  return ok(report.value.config);
}
