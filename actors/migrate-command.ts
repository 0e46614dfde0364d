/**
 * `dsiem-backend migrate --config <dir> --out <dir>`: writes Go Dsiem's silent load-time corrections out
 * explicitly (src/migrate), prints every change and dropped directive, writes the same as JSON lines to
 * `<out>/migration-report.jsonl`, and checks that the result passes `validate`. Exit status 0 when it does,
 * 1 when a file could not be migrated or the result still has errors.
 */

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkConfigDir } from '../src/config-files/config-dir.js';
import { describeCounts, formatProblem } from '../src/config-files/config-problem.js';
import { migrateConfigDir } from '../src/config-files/migrate-dir.js';
import { changeRecord, formatChange } from '../src/migrate/migration-change.js';

export interface MigrateOptions {
  readonly config: string;
  readonly out: string;
  readonly node?: string;
  readonly json: boolean;
  readonly write: (line: string) => void;
}

export const REPORT_FILE = 'migration-report.jsonl';

export async function runMigrate(o: MigrateOptions): Promise<{ code: 0 | 1; fatal?: string }> {
  const migrated = await migrateConfigDir({ config: o.config, out: o.out, ...(o.node === undefined ? {} : { node: o.node }) });
  if (!migrated.ok) return { code: 1, fatal: migrated.error };
  const { changes, refused } = migrated.value;
  for (const c of changes) o.write(o.json ? JSON.stringify(changeRecord(c)) : formatChange(c));
  for (const r of refused) {
    for (const reason of r.reasons) o.write(o.json ? JSON.stringify({ file: r.file, action: 'refused', reason }) : `${r.file}: not migrated: ${reason} (Go Dsiem refuses this file too)`);
  }
  await writeFile(path.join(o.out, REPORT_FILE), changes.map((c) => `${JSON.stringify(changeRecord(c))}\n`).join(''));
  const check = await checkConfigDir(o.out);
  const problems = check.ok ? check.value.problems.filter((p) => p.severity === 'error') : [];
  if (!o.json) for (const p of problems) o.write(formatProblem(p));
  const dropped = changes.filter((c) => c.action === 'dropped').length;
  const summary = {
    changes: changes.length - dropped,
    dropped_directives: dropped,
    refused_files: refused.length,
    directives: check.ok ? check.value.config.directives.length : 0,
    output_errors: check.ok ? problems.length : 1,
  };
  if (o.json) o.write(JSON.stringify({ summary: 'migrate', ...summary }));
  else {
    o.write(
      `migrated into ${o.out}: ${summary.changes} changes, ${dropped} directives dropped, ${summary.directives} directives loaded; ` +
        (check.ok ? (problems.length === 0 ? 'the result passes validate' : `the result still has ${describeCounts(problems)}`) : check.error) +
        `; report in ${path.join(o.out, REPORT_FILE)}`,
    );
  }
  return { code: refused.length === 0 && check.ok && problems.length === 0 ? 0 : 1 };
}
