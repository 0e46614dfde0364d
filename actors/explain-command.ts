/**
 * `dsiem-backend explain`, and what `replay --explain` and `replay --coverage` add after the run. The
 * explanations and coverage are read off a sequential trace of the events file (src/explain); after a replay the
 * trace's backlogs are paired with those the engine wrote, which gives the explanation the real alarm ids and
 * checks that the two agree. Nothing here runs while the engine replays: with neither flag, replay is untouched.
 */

import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildNetworkAssets } from '../src/asset/network-assets.js';
import type { BacklogContext } from '../src/backlog/state.js';
import type { LoadedConfig } from '../src/config-files/config-dir.js';
import type { Directive } from '../src/directive/directive.js';
import { readWrittenRun, type WrittenRun } from '../src/explain/alarm-lines.js';
import { matchBacklogs, matchedIds, TracedBacklogs, type BacklogMatch } from '../src/explain/backlog-match.js';
import { directiveScopedIds, type TraceIds } from '../src/explain/config-trace.js';
import { CoverageCounter, coverageRecords, formatCoverage } from '../src/explain/coverage.js';
import { ExplainSession, type ExplainSummary } from '../src/explain/explain-session.js';
import { formatDrained, formatEventRecord, formatExplainSummary } from '../src/explain/explanation-text.js';
import { ReplayTrace } from '../src/explain/replay-trace.js';
import { createRuleBook } from '../src/rule/rule-book.js';
import { randomIds, seededIds } from '../src/shared/ids.js';
import { LineSplitter } from '../src/shared/lines.js';
import { MAX_EVENT_BYTES } from '../src/intake/intake.js';
import { ALARM_EVENTS_FILE, ALARMS_FILE } from './alarm-writer-actor.js';
import { drainedOrGone } from './stdout-guard.js';
import type { CorrelationOptions } from '../src/shared/correlation-options.js';
import { runReplay, type ReplayOptions, type ReplaySummary } from './replay.js';

/** The settings correlation runs with, made from the config and the flags as the engine makes them. */
export function correlationContext(config: LoadedConfig, c: CorrelationOptions): BacklogContext {
  return {
    assets: buildNetworkAssets(config.assets),
    thresholds: c.thresholds,
    status: c.status,
    tag: c.tag,
    minLifetimeSec: c.minAlarmLifetimeMinutes * 60,
    rules: createRuleBook(),
  };
}

/**
 * Every line of a file, in order, split as replay splits them. `pause` is asked after each chunk (256 KB) and may
 * return a promise to wait for (a slow reader of the output: memory stays bounded).
 */
export async function forEachLine(file: string, visit: (line: Uint8Array) => void, pause?: () => Promise<unknown> | undefined): Promise<void> {
  // As replay reads it: a line longer than an event may be is kept only up to the bound (the intake refuses it).
  const splitter = new LineSplitter(MAX_EVENT_BYTES);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 18 })) {
    for (const line of splitter.push(chunk as Buffer)) visit(line);
    await pause?.();
  }
  for (const line of splitter.end()) visit(line);
}

/**
 * Waits while stdout's reader is behind (`explain | less`), so that explanations do not pile up in memory; not
 * once the reader is gone (`explain | head`: the rest goes nowhere, see stdout-guard.ts).
 */
export function stdoutReader(): Promise<void> | undefined {
  const out = process.stdout;
  if (out.destroyed || !out.writableNeedDrain) return undefined;
  // The reader may go away while waited for (EPIPE): the guard has the error, this goes on.
  return drainedOrGone(out);
}

/** The directive an id names, or why not (with the ids there are). */
export function chosenDirective(config: LoadedConfig, id: number | undefined): { directive?: Directive; error?: string } {
  if (id === undefined) return {};
  const directive = config.directives.find((d) => d.id === id);
  if (directive !== undefined) return { directive };
  const ids = config.directives.map((d) => d.id);
  return { error: `no enabled directive has this id (ids: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', ...' : ''})` };
}

export interface ExplainOptions {
  readonly config: LoadedConfig;
  readonly eventsFile: string;
  readonly correlation: CorrelationOptions;
  readonly drain: boolean;
  readonly directive?: Directive;
  readonly json: boolean;
  readonly write: (line: string) => void;
  /** Asked after each chunk of the events file: a promise to wait for while the output's reader is behind. */
  readonly pause?: () => Promise<unknown> | undefined;
  /** Backlog ids (default `<directive id>-<n>`). */
  readonly ids?: TraceIds;
}

/** Explains every line of the events file, then (with `drain`) the end of time, then a summary line. */
export async function runExplain(o: ExplainOptions): Promise<ExplainSummary> {
  const session = new ExplainSession(o.config.directives, correlationContext(o.config, o.correlation), o.ids ?? directiveScopedIds(), o.directive);
  const out = (lines: readonly string[]) => lines.forEach((l) => o.write(l));
  await forEachLine(o.eventsFile, (line) => {
    const record = session.line(line);
    if (record !== undefined) out(o.json ? [JSON.stringify(record)] : formatEventRecord(record));
  }, o.pause);
  if (o.drain) {
    const drained = session.drain();
    if (o.json) {
      if (drained.length > 0) o.write(JSON.stringify({ drain: true, expired: drained }));
    } else out(formatDrained(drained));
  }
  const summary = session.summary();
  o.write(o.json ? JSON.stringify(summary) : formatExplainSummary(summary));
  return summary;
}

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** What this run wrote: the alarm ids it drew, looked up in the alarm files (which may hold earlier runs too). */
async function writtenBy(logsDir: string, drawn: ReadonlySet<string>): Promise<WrittenRun> {
  const [alarms, events] = await Promise.all([readOrEmpty(path.join(logsDir, ALARMS_FILE)), readOrEmpty(path.join(logsDir, ALARM_EVENTS_FILE))]);
  return readWrittenRun(alarms, events, (id) => drawn.has(id));
}

function disagreements(match: BacklogMatch): string[] {
  const lines: string[] = [];
  for (const t of match.unmatchedTraced.slice(0, 10)) lines.push(`explain has backlog ${t.id} of directive ${t.directiveId} ${JSON.stringify(t.title)} that the engine did not write`);
  for (const w of match.unmatchedWritten.slice(0, 10)) lines.push(`the engine wrote backlog ${w.id} that explain does not have`);
  const more = match.unmatchedTraced.length + match.unmatchedWritten.length - lines.length;
  if (more > 0) lines.push(`and ${more} more`);
  return lines;
}

export interface InsightOptions {
  /** `--explain [directive]`: explain every event (for this directive only, when given). */
  readonly explain?: { readonly directive?: Directive };
  readonly coverage: boolean;
  readonly json: boolean;
  readonly write: (line: string) => void;
  readonly pause?: () => Promise<unknown> | undefined;
}

export interface InsightOutcome {
  readonly summary: ReplaySummary;
  /** Backlogs that the trace and the engine do not both have (a bug if ever non-empty). */
  readonly disagreements: readonly string[];
  /** Lines to print after the replay summary (the coverage). */
  readonly after: readonly string[];
}

/**
 * `replay --explain` / `--coverage`: the replay exactly as without them (only its id source is wrapped, to know
 * which alarm ids are this run's), then a trace of the same file paired with what the engine wrote, then the
 * explanation with the engine's alarm ids.
 */
export async function runReplayWithInsight(replay: ReplayOptions, insight: InsightOptions): Promise<InsightOutcome> {
  const drawn = new Set<string>();
  const source = replay.engine?.newId ?? (replay.seed !== undefined ? seededIds(replay.seed) : randomIds());
  const newId = () => {
    const id = source();
    drawn.add(id);
    return id;
  };
  const summary = await runReplay({ ...replay, engine: { ...replay.engine, newId } });
  const written = await writtenBy(replay.logsDir, drawn);
  const { config, correlation } = replay;
  const trace = new ReplayTrace(config.directives, correlationContext(config, correlation), directiveScopedIds());
  const backlogs = new TracedBacklogs();
  const coverage = new CoverageCounter(config.directives);
  await forEachLine(replay.eventsFile, (line) => {
    const traced = trace.next(line);
    if (traced === undefined || !('trace' in traced)) return;
    backlogs.event(traced.trace);
    coverage.event(traced.trace);
  });
  if (replay.drain) coverage.expiries(trace.drain());
  const match = matchBacklogs(backlogs.list, written);
  if (insight.explain !== undefined) {
    const unpaired = directiveScopedIds();
    await runExplain({
      config,
      eventsFile: replay.eventsFile,
      correlation,
      drain: replay.drain,
      ...(insight.explain.directive === undefined ? {} : { directive: insight.explain.directive }),
      json: insight.json,
      write: insight.write,
      ...(insight.pause === undefined ? {} : { pause: insight.pause }),
      ids: matchedIds(match, (d) => `unpaired-${unpaired(d)}`),
    });
  }
  const report = coverage.report();
  const after = insight.coverage ? (insight.json ? coverageRecords(report).map((r) => JSON.stringify(r)) : formatCoverage(report)) : [];
  return { summary, disagreements: disagreements(match), after };
}
