/**
 * `migrate` on a folder (edge module: file I/O): reads a Go Dsiem config folder, writes the corrected assets and
 * directives files (and the intel/vuln files unchanged) into another folder, and returns every change and drop.
 * Files are read in the order Go reads them (lexicographic), so duplicate ids resolve as in Go.
 */

import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { migrateAssetFile } from '../migrate/migrate-assets.js';
import { migrateDirectiveFile } from '../migrate/migrate-directives.js';
import type { MigrationChange } from '../migrate/migration-change.js';
import { fail, ok, type Result } from '../shared/result.js';
import { directiveFilesOf } from './config-dir.js';

export interface MigrateDirOptions {
  readonly config: string;
  readonly out: string;
  readonly node?: string;
}

export interface MigrateDirResult {
  readonly changes: readonly MigrationChange[];
  /** Files Go Dsiem refuses as a whole (it would not start): not written. */
  readonly refused: ReadonlyArray<{ readonly file: string; readonly reasons: readonly string[] }>;
  readonly written: readonly string[];
}

const CONFIG_FILE = /^(assets|directives|intel|vuln)_.*\.json$/;

export async function migrateConfigDir(o: MigrateDirOptions): Promise<Result<MigrateDirResult, string>> {
  if (path.resolve(o.config) === path.resolve(o.out)) return fail('--out must be another folder than --config');
  let names: string[];
  try {
    names = (await readdir(o.config)).sort();
  } catch (err) {
    return fail(`cannot read config folder ${o.config}: ${(err as Error).message}`);
  }
  try {
    await mkdir(o.out, { recursive: true });
    const existing = (await readdir(o.out)).filter((n) => CONFIG_FILE.test(n));
    if (existing.length > 0) return fail(`${o.out} already holds config files (${existing.slice(0, 3).join(', ')}): give an empty or new folder`);
  } catch (err) {
    return fail(`cannot use output folder ${o.out}: ${(err as Error).message}`);
  }
  const changes: MigrationChange[] = [];
  const refused: Array<{ file: string; reasons: string[] }> = [];
  const written: string[] = [];
  const write = async (name: string, value: unknown) => {
    await writeFile(path.join(o.out, name), `${JSON.stringify(value, null, 2)}\n`);
    written.push(name);
  };
  const accepted = new Set<number>();
  const jobs: Array<[string, 'assets' | 'directives' | 'copy']> = [
    ...names.filter((n) => /^assets_.*\.json$/.test(n)).map((n) => [n, 'assets'] as [string, 'assets']),
    ...directiveFilesOf(names, o.node).map((n) => [n, 'directives'] as [string, 'directives']),
    ...names.filter((n) => /^(intel|vuln)_.*\.json$/.test(n)).map((n) => [n, 'copy'] as [string, 'copy']),
  ];
  try {
    for (const [name, kind] of jobs) {
      const source = path.join(o.config, name);
      if (kind === 'copy') {
        await copyFile(source, path.join(o.out, name));
        written.push(name);
        continue;
      }
      const text = await readFile(source, 'utf8');
      const m = kind === 'assets' ? migrateAssetFile(source, text) : migrateDirectiveFile(source, text, accepted);
      if (m.output === undefined) {
        refused.push({ file: source, reasons: m.refused });
        continue;
      }
      changes.push(...m.changes);
      await write(name, m.output);
    }
  } catch (err) {
    return fail(`migration stopped: ${(err as Error).message}`);
  }
  return ok({ changes, refused, written });
}
