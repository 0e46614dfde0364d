/**
 * `dsiem-backend test <case>...`: runs directive test cases through the real replay pipeline and compares the
 * alarms raised with `expected.json`. A case is a folder with `events.jsonl`, `expected.json` and a config: its
 * own `directives_*.json`/`assets_*.json`, or a file `config` holding the path (relative to the case) of a shared
 * config folder. A folder that is not a case is searched for cases. Alarm ids come from `sequentialIds`, so a
 * case gives the same files every time. Time in a case is replay's: event time, `min_alarm_lifetime` (default 0)
 * added to stage timeouts, and with `"drain": true` every open backlog expires after the last event.
 */

import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { correlationOf } from '../config/correlation-flags.js';
import { serveSchema } from '../config/schema.js';
import { formatProblem } from '../src/config-files/config-problem.js';
import { loadConfigDir, type LoadedConfig } from '../src/config-files/config-dir.js';
import { caseAlarms } from '../src/directive-cases/case-alarms.js';
import { compareAlarms } from '../src/directive-cases/compare-alarms.js';
import { decodeExpectedFile, DEFAULT_CASE_OPTIONS, EXPECTED_FILE, renderExpectedFile, type CaseOptions, type ExpectedCase } from '../src/directive-cases/expected-file.js';
import { junitReport, type CaseResult } from '../src/directive-cases/junit.js';
import { readWrittenRun, type WrittenRun } from '../src/explain/alarm-lines.js';
import { matchBacklogs, TracedBacklogs } from '../src/explain/backlog-match.js';
import { directiveScopedIds } from '../src/explain/config-trace.js';
import { CoverageCounter, coverageRecords, formatCoverage } from '../src/explain/coverage.js';
import { ReplayTrace } from '../src/explain/replay-trace.js';
import { sequentialIds } from '../src/shared/ids.js';
import { ALARM_EVENTS_FILE, ALARMS_FILE } from './alarm-writer-actor.js';
import type { CorrelationOptions } from '../src/shared/correlation-options.js';
import { correlationContext, forEachLine } from './explain-command.js';
import { silentLogger } from './logger.js';
import { runReplay } from './replay.js';

export const EVENTS_FILE = 'events.jsonl';
/** A file in a case folder holding the path of the config folder the case uses. */
export const CONFIG_POINTER = 'config';

export interface TestOptions {
  readonly cases: readonly string[];
  /** Write `expected.json` from what happens instead of comparing. */
  readonly update: boolean;
  readonly junit?: string;
  readonly coverage: boolean;
  readonly json: boolean;
  readonly write: (line: string) => void;
}

class CaseError extends Error {
  override readonly name = 'CaseError';
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() === true;
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

/** The case folders under `dir` (itself when it is one), sorted. */
async function casesIn(dir: string): Promise<string[]> {
  if (await exists(path.join(dir, EVENTS_FILE))) return [dir];
  const found: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const sub = path.join(dir, name);
    if (await isDir(sub)) found.push(...(await casesIn(sub)));
  }
  return found;
}

/** The config folder of a case: the one its `config` file names, or the case folder itself. */
async function configDirOf(caseDir: string): Promise<string> {
  const pointer = path.join(caseDir, CONFIG_POINTER);
  if (!(await exists(pointer))) return caseDir;
  if (await isDir(pointer)) return pointer;
  const target = (await readFile(pointer, 'utf8')).trim();
  if (target === '') throw new CaseError(`${pointer} is empty: it should hold the path of a config folder (relative to the case)`);
  const dir = path.resolve(caseDir, target);
  if (!(await isDir(dir))) throw new CaseError(`${pointer} names ${target}, which is not a folder (resolved to ${dir})`);
  return dir;
}

/** replay's defaults (risk bounds, status, tag), with the case's minimum alarm lifetime. */
function correlationFor(options: CaseOptions): CorrelationOptions {
  const d = serveSchema;
  return correlationOf({ minAlarmLifetime: options.minAlarmLifetime, medRiskMin: d.medRiskMin.default, medRiskMax: d.medRiskMax.default, status: d.status.default, tags: d.tags.default });
}

async function readExpected(caseDir: string, update: boolean): Promise<ExpectedCase | undefined> {
  const file = path.join(caseDir, EXPECTED_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && update) return undefined;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CaseError(`${file} is missing: run with --update to write it from what happens`);
    throw new CaseError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const decoded = decodeExpectedFile(file, text);
  if (!decoded.ok) throw new CaseError(decoded.error.map(formatProblem).join('\n'));
  return decoded.value;
}

/** One run of the replay pipeline on a case, in a folder of its own; what it wrote, read back. */
async function replayCase(config: LoadedConfig, eventsFile: string, correlation: CorrelationOptions, drain: boolean): Promise<{ written: WrittenRun; skipped: number }> {
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-case-'));
  try {
    const summary = await runReplay({ config, eventsFile, logsDir: logs, drain, correlation, log: silentLogger(), engine: { newId: sequentialIds() } });
    const [alarms, events] = await Promise.all([readFile(path.join(logs, ALARMS_FILE), 'utf8').catch(() => ''), readFile(path.join(logs, ALARM_EVENTS_FILE), 'utf8').catch(() => '')]);
    return { written: readWrittenRun(alarms, events), skipped: summary.skipped };
  } finally {
    await rm(logs, { recursive: true, force: true });
  }
}

/** Coverage of one config folder over the cases that use it; the trace also checks itself against each run. */
interface ConfigCoverage {
  readonly counter: CoverageCounter;
  readonly config: LoadedConfig;
}

async function traceCase(cov: ConfigCoverage, eventsFile: string, correlation: CorrelationOptions, drain: boolean, written: WrittenRun): Promise<string[]> {
  const trace = new ReplayTrace(cov.config.directives, correlationContext(cov.config, correlation), directiveScopedIds());
  const backlogs = new TracedBacklogs();
  await forEachLine(eventsFile, (line) => {
    const traced = trace.next(line);
    if (traced === undefined || !('trace' in traced)) return;
    cov.counter.event(traced.trace);
    backlogs.event(traced.trace);
  });
  if (drain) cov.counter.expiries(trace.drain());
  const match = matchBacklogs(backlogs.list, written);
  const n = match.unmatchedTraced.length + match.unmatchedWritten.length;
  return n === 0 ? [] : [`coverage does not agree with the run on ${n} backlogs (please report this)`];
}

interface Loaded {
  readonly configs: Map<string, Promise<LoadedConfig>>;
  readonly coverage: Map<string, ConfigCoverage>;
}

function loadOnce(state: Loaded, dir: string): Promise<LoadedConfig> {
  let config = state.configs.get(dir);
  if (config === undefined) {
    config = loadConfigDir(dir).then((r) => {
      if (!r.ok) throw new CaseError(`invalid config ${dir}: ${r.error}`);
      return r.value;
    });
    state.configs.set(dir, config);
  }
  return config;
}

async function runCase(caseDir: string, o: TestOptions, state: Loaded): Promise<{ result: CaseResult; notes: string[]; alarms: number }> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const configDir = await configDirOf(caseDir);
    const config = await loadOnce(state, configDir);
    const eventsFile = path.join(caseDir, EVENTS_FILE);
    const expected = await readExpected(caseDir, o.update);
    const options = expected?.options ?? DEFAULT_CASE_OPTIONS;
    const correlation = correlationFor(options);
    const { written, skipped } = await replayCase(config, eventsFile, correlation, options.drain);
    const actual = caseAlarms(written);
    const notes = skipped > 0 ? [`${skipped} invalid event${skipped === 1 ? '' : 's'} skipped (dsiem-backend explain shows why)`] : [];
    if (o.coverage) {
      let cov = state.coverage.get(configDir);
      if (cov === undefined) state.coverage.set(configDir, (cov = { counter: new CoverageCounter(config.directives), config }));
      notes.push(...(await traceCase(cov, eventsFile, correlation, options.drain, written)));
    }
    if (o.update) {
      await writeFile(path.join(caseDir, EXPECTED_FILE), renderExpectedFile({ ...(expected?.description === undefined ? {} : { description: expected.description }), options, alarms: actual }));
      return { result: { name: caseDir, seconds: elapsed(), outcome: 'pass', details: [] }, notes, alarms: actual.length };
    }
    const diff = compareAlarms(expected?.alarms ?? [], actual);
    return { result: { name: caseDir, seconds: elapsed(), outcome: diff.length === 0 ? 'pass' : 'fail', details: diff }, notes, alarms: actual.length };
  } catch (err) {
    if (!(err instanceof CaseError)) throw err;
    return { result: { name: caseDir, seconds: elapsed(), outcome: 'error', details: err.message.split('\n') }, notes: [], alarms: 0 };
  }
}

function report(o: TestOptions, r: CaseResult, notes: readonly string[], alarms: number): void {
  if (o.json) {
    o.write(JSON.stringify({ case: r.name, result: r.outcome, alarms, seconds: Number(r.seconds.toFixed(3)), ...(r.details.length > 0 ? { details: r.details } : {}), ...(notes.length > 0 ? { notes } : {}) }));
    return;
  }
  const head = r.outcome === 'pass' ? (o.update ? 'UPDATED' : 'PASS') : r.outcome === 'fail' ? 'FAIL' : 'ERROR';
  o.write(`${head} ${r.name}${r.outcome === 'error' ? '' : ` (${alarms} alarm${alarms === 1 ? '' : 's'}${o.update ? ` written to ${EXPECTED_FILE}` : ''})`}`);
  for (const line of r.details) o.write(`  ${line}`);
  for (const note of notes) o.write(`  note: ${note}`);
}

export async function runTests(o: TestOptions): Promise<{ code: 0 | 1 }> {
  const results: CaseResult[] = [];
  const state: Loaded = { configs: new Map(), coverage: new Map() };
  for (const given of o.cases) {
    const found = (await isDir(given)) ? await casesIn(given) : [];
    if (found.length === 0) {
      const r: CaseResult = { name: given, seconds: 0, outcome: 'error', details: [`${given}: no test case here (a case is a folder with ${EVENTS_FILE}, ${EXPECTED_FILE} and a config)`] };
      results.push(r);
      report(o, r, [], 0);
    }
    for (const caseDir of found) {
      const { result, notes, alarms } = await runCase(caseDir, o, state);
      results.push(result);
      report(o, result, notes, alarms);
    }
  }
  const count = (outcome: CaseResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  if (o.json) o.write(JSON.stringify({ summary: 'test', cases: results.length, passed: count('pass'), failed: count('fail'), errors: count('error') }));
  else o.write(`${results.length} case${results.length === 1 ? '' : 's'}: ${count('pass')} ${o.update ? 'updated' : 'passed'}, ${count('fail')} failed, ${count('error')} could not run`);
  for (const [dir, cov] of state.coverage) {
    const r = cov.counter.report();
    if (o.json) for (const record of coverageRecords(r)) o.write(JSON.stringify({ config: dir, ...record }));
    else for (const line of formatCoverage(r, `coverage of ${path.relative(process.cwd(), dir) || '.'}`)) o.write(line);
  }
  if (o.junit !== undefined) await writeFile(o.junit, junitReport(results));
  return { code: count('fail') + count('error') > 0 ? 1 : 0 };
}
