/**
 * `dsiem-backend validate`: checks a config folder completely and prints every problem, sorted by file and
 * position, then a count (text, or JSON lines with `-j` for CI). Exit status 1 on any error, 0 otherwise
 * (warnings included).
 */

import { checkConfigDir, type LoadedConfig } from '../src/config-files/config-dir.js';
import { countBySeverity, describeCounts, formatProblem, problemRecord } from '../src/config-files/config-problem.js';
import type { Logger } from './logger.js';

export interface ValidateOptions {
  readonly config: string;
  /** Only `directives_{node}_*.json`, as `serve --node` reads them. */
  readonly node?: string;
  readonly json: boolean;
  /** Where the report goes, one line per call (stdout in the CLI). */
  readonly write: (line: string) => void;
}

export type ValidateOutcome = { readonly code: 0 | 1 } | { readonly code: 1; readonly fatal: string };

export async function runValidate(o: ValidateOptions): Promise<ValidateOutcome> {
  const report = await checkConfigDir(o.config, o.node === undefined ? {} : { node: o.node });
  if (!report.ok) return { code: 1, fatal: report.error };
  const { problems, config: c } = report.value;
  for (const p of problems) o.write(o.json ? JSON.stringify(problemRecord(p)) : formatProblem(p));
  const { errors, warnings } = countBySeverity(problems);
  const stages = c.directives.reduce((n, d) => n + d.rules.length, 0);
  if (o.json) {
    o.write(JSON.stringify({
      summary: errors === 0 ? 'config ok' : 'invalid config',
      errors,
      warnings,
      directives: c.directives.length,
      stages,
      disabled_directives: c.disabledDirectives,
      assets: c.assets.length,
      intel_sources: c.intelSources.length,
      vuln_sources: c.vulnSources.length,
      files: c.files.length,
    }));
  } else if (errors > 0) {
    const files = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.file)).size;
    o.write(`invalid config: ${describeCounts(problems)} in ${files} file${files === 1 ? '' : 's'}`);
  } else {
    o.write(
      `config ok: ${c.directives.length} directives (${stages} stages, ${c.disabledDirectives} disabled skipped), ` +
        `${c.assets.length} assets, ${c.intelSources.length} intel and ${c.vulnSources.length} vuln sources, from ${c.files.length} files` +
        (warnings > 0 ? `; ${warnings} warning${warnings === 1 ? '' : 's'}` : ''),
    );
  }
  return { code: errors > 0 ? 1 : 0 };
}

/** The loader's warnings at start-up: the first few, and how many there are (validate lists them all). */
export function logConfigWarnings(c: LoadedConfig, log: Logger, shown = 10): void {
  const warnings = c.warnings ?? [];
  for (const w of warnings.slice(0, shown)) log.warn('config warning', { problem: formatProblem(w) });
  if (warnings.length > shown) log.warn('more config warnings', { more: warnings.length - shown, hint: 'dsiem-backend validate lists them all' });
}
