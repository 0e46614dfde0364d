/**
 * Where `serve` reads its configuration, at start-up and at every reload alike: the `--config` folder, or a
 * download from the frontend into a temporary folder; `--node` selects the directive files either way, and the
 * whole of it goes through the strict loader (`checkConfigDir`), which names every problem.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkConfigDir, type LoadedConfig } from '../src/config-files/config-dir.js';
import { formatProblem, summarizeErrors } from '../src/config-files/config-problem.js';
import { downloadConfig } from '../src/config-files/frontend.js';
import { fail, ok, type Result } from '../src/shared/result.js';
import type { ServeConfig } from '../config/schema.js';
import type { Logger } from './logger.js';

export interface ConfigFailure {
  /** One message: the first errors and their count (start-up refusal, log). */
  readonly message: string;
  /** Every error, one line each (`file:line:column: error: ...`). */
  readonly errors: readonly string[];
}

type Source = Pick<ServeConfig, 'configDir' | 'frontend' | 'node' | 'frontendRetries'>;

async function checkFolder(dir: string, prefix: string, node = ''): Promise<Result<LoadedConfig, ConfigFailure>> {
  const report = await checkConfigDir(dir, { node });
  if (!report.ok) return fail({ message: `${prefix}: ${report.error}`, errors: [report.error] });
  const errors = report.value.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) return fail({ message: `${prefix}: ${summarizeErrors(errors, dir)}`, errors: errors.map(formatProblem) });
  return ok(report.value.config);
}

/** Reads and checks the configuration from where `serve` was told to take it. */
export async function readConfig(c: Source, log: Logger): Promise<Result<LoadedConfig, ConfigFailure>> {
  if (c.configDir !== '') return checkFolder(c.configDir, 'invalid config', c.node);
  const dest = await mkdtemp(path.join(tmpdir(), 'dsiem-configs-'));
  try {
    log.info('downloading configs from the frontend', { frontend: c.frontend, node: c.node });
    const downloaded = await downloadConfig({
      frontend: c.frontend,
      node: c.node,
      dest,
      retries: c.frontendRetries,
      onRetry: (url, attempt, error) => log.warn('config download failed, retrying', { url, attempt, error }),
    });
    if (!downloaded.ok) return fail({ message: downloaded.error, errors: [downloaded.error] });
    log.info('configs downloaded', { files: downloaded.value.length });
    return await checkFolder(dest, `invalid config from ${c.frontend}`);
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
}
