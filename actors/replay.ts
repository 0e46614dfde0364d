/**
 * `replay`: the serve pipeline fed from a JSON-lines file, with the clock driven by event time (the latest
 * event timestamp seen so far). Each line goes through the intake serve uses (src/intake: invalid events skipped
 * and counted by reason, whitelisted sources dropped). The alarm files are started afresh unless `append`; with
 * `seed`, alarm ids are reproducible; with `drain`, every backlog still open expires after the last event. The
 * run ends once every event is correlated and every lookup has answered, so their alarm re-writes are on disk.
 */

import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LoadedConfig } from '../src/config-files/config-dir.js';
import { createIntake, MAX_EVENT_BYTES, type InvalidReason } from '../src/intake/intake.js';
import { seededIds } from '../src/shared/ids.js';
import { isBlankLine, LineSplitter } from '../src/shared/lines.js';
import { ALARM_EVENTS_FILE, ALARMS_FILE } from './alarm-writer-actor.js';
import { startEngine, type CorrelationOptions, type Engine, type EngineOptions } from './engine.js';
import type { Logger } from './logger.js';
import type { TimedEvent } from './messages.js';

export interface ReplayOptions {
  readonly config: LoadedConfig;
  readonly eventsFile: string;
  readonly logsDir: string;
  readonly drain: boolean;
  readonly correlation: CorrelationOptions;
  readonly log: Logger;
  /** Append to the alarm files (`--append`) instead of starting them empty. */
  readonly append?: boolean;
  /** Reproducible alarm ids from this seed (`--seed`); random ids otherwise. */
  readonly seed?: number;
  /** Intel/vulnerability lookups (`--cache`, `--intel_private_ip`), as serve does them. */
  readonly enrichment?: EngineOptions['enrichment'];
  /** A progress line this often (ms; 0: never). Default 2,000. */
  readonly progressEveryMs?: number;
  /** Milliseconds of a monotonic clock, for the progress lines and the run time (tests may drive it). */
  readonly wallClock?: () => number;
  /** Hooks for tests: ids, fault injection. */
  readonly engine?: Partial<Pick<EngineOptions, 'newId' | 'stepBatch' | 'budget'>>;
  readonly batchSize?: number;
  /** Bytes of alarm lines not on disk at which reading waits (default 64 MiB, as `serve`). */
  readonly maxUnwrittenBytes?: number;
}

/** The alarms of one directive. */
export interface DirectiveAlarms {
  readonly directiveId: number;
  readonly name: string;
  readonly alarms: number;
}

export interface ReplaySummary {
  readonly eventsRead: number;
  readonly skipped: number;
  readonly skippedByReason: Readonly<Partial<Record<InvalidReason, number>>>;
  readonly whitelisted: number;
  readonly backlogsCreated: number;
  readonly backlogRestarts: number;
  /** Events handed to a directive (an event routed to three directives counts three times). */
  readonly directiveEvents: number;
  readonly alarms: number;
  readonly alarmLines: number;
  readonly alarmEventLines: number;
  /** Alarms written by this run, per directive, most first. */
  readonly alarmsByDirective: readonly DirectiveAlarms[];
  readonly seconds: number;
  readonly alarmFiles: readonly string[];
}

/**
 * Events in flight before the reader waits for the actors to catch up (bounds memory on big files). Measured on
 * mixed: 5,000 ~80k ev/s, 10,000 ~92k, 20,000 ~96k with +15 MB RSS; each wait is a barrier through every actor.
 */
const MAX_IN_FLIGHT = 10_000;
const LOGGED_INVALID = 10;
const PROGRESS_EVERY_MS = 2_000;
/** Read size: lines are split here, per chunk (no readline: it costs a promise per line). */
const CHUNK_BYTES = 1 << 18;

/** Empties the alarm files, unless appending. */
async function prepareOutput(logsDir: string, append: boolean): Promise<void> {
  await mkdir(logsDir, { recursive: true });
  if (append) return;
  await Promise.all([writeFile(path.join(logsDir, ALARMS_FILE), ''), writeFile(path.join(logsDir, ALARM_EVENTS_FILE), '')]);
}

export async function runReplay(o: ReplayOptions): Promise<ReplaySummary> {
  const wall = o.wallClock ?? (() => performance.now());
  const started = wall();
  await prepareOutput(o.logsDir, o.append === true);
  let clockMs = 0;
  const engine: Engine = startEngine({
    config: o.config,
    correlation: o.correlation,
    logsDir: o.logsDir,
    clock: { now: () => clockMs },
    log: o.log,
    ...(o.seed !== undefined ? { newId: seededIds(o.seed) } : {}),
    ...(o.enrichment !== undefined ? { enrichment: o.enrichment } : {}),
    ...o.engine,
  });
  if (o.maxUnwrittenBytes !== undefined) engine.output.maxUnwrittenBytes = o.maxUnwrittenBytes;
  const intake = createIntake({ assets: engine.assets, clock: 'event-time' });
  const batchSize = o.batchSize ?? MAX_IN_FLIGHT;
  const progress = progressReporter(o, engine, wall, started);
  let line = 0;
  let read = 0;
  let inFlight = 0;
  let batch: TimedEvent[] = [];
  const send = () => {
    if (batch.length === 0) return;
    engine.ingest(batch);
    inFlight += batch.length;
    batch = [];
  };
  const handle = async (lines: readonly Uint8Array[]) => {
    // Indexed: a for-of in this async function makes an iterator result per line.
    for (let k = 0; k < lines.length; k++) {
      const bytes = lines[k] as Uint8Array;
      line++;
      if (isBlankLine(bytes)) continue;
      read++;
      const taken = intake.take(bytes, clockMs);
      if (taken.kind === 'invalid') {
        const skipped = intake.tally.invalid;
        if (skipped <= LOGGED_INVALID) o.log.warn('invalid event skipped', { file: o.eventsFile, line, reason: taken.reason, detail: taken.detail });
        if (skipped === LOGGED_INVALID) o.log.warn('further invalid events are counted but not logged');
        continue;
      }
      if (taken.kind === 'whitelisted') continue;
      clockMs = taken.now;
      batch.push(taken);
      if (batch.length >= batchSize) send();
      if (inFlight >= MAX_IN_FLIGHT) {
        await engine.barrier();
        inFlight = 0;
      }
      // Alarm lines that cannot be written reached their bound: stop reading until the writer's retry succeeds.
      if (engine.output.atBound) await engine.output.belowBound();
    }
    progress(read);
  };
  try {
    // A line longer than an event may be is kept only up to the bound: the intake refuses it as too large.
    const splitter = new LineSplitter(MAX_EVENT_BYTES);
    for await (const chunk of createReadStream(o.eventsFile, { highWaterMark: CHUNK_BYTES })) await handle(splitter.push(chunk as Buffer));
    await handle(splitter.end());
    send();
    await engine.barrier();
    if (o.drain) {
      clockMs = Number.MAX_SAFE_INTEGER;
      engine.tick(clockMs);
      await engine.barrier();
    }
    await engine.close();
  } finally {
    engine.stop();
  }
  const seconds = (wall() - started) / 1000;
  const out = engine.output.stats;
  const alarmsFile = path.join(o.logsDir, ALARMS_FILE);
  return {
    eventsRead: read,
    skipped: intake.tally.invalid,
    skippedByReason: intake.tally.invalidByReason,
    whitelisted: intake.tally.whitelisted,
    backlogsCreated: engine.stats.backlogsCreated,
    backlogRestarts: engine.stats.backlogRestarts,
    directiveEvents: engine.stats.handled,
    alarms: out.alarms,
    alarmLines: out.alarmLines,
    alarmEventLines: out.alarmEventLines,
    alarmsByDirective: alarmsByDirective(engine.output.alarmsByDirective(), o.config),
    seconds,
    alarmFiles: [alarmsFile, path.join(o.logsDir, ALARM_EVENTS_FILE)],
  };
}

/** A progress line (events read, events/s, live backlogs, alarms) at most every `progressEveryMs`. */
function progressReporter(o: ReplayOptions, engine: Engine, wall: () => number, started: number): (read: number) => void {
  const every = o.progressEveryMs ?? PROGRESS_EVERY_MS;
  let next = started + every;
  return (read) => {
    if (every <= 0) return;
    const now = wall();
    if (now < next) return;
    next = now + every;
    o.log.info('replay progress', {
      events: read,
      eventsPerSecond: Math.round((read * 1000) / Math.max(1, now - started)),
      backlogs: engine.stats.activeBacklogs,
      alarms: engine.output.stats.alarms,
    });
  };
}

/** Alarms per directive, most first (the engine knows each alarm's directive). */
function alarmsByDirective(counts: ReadonlyMap<number, number>, config: LoadedConfig): DirectiveAlarms[] {
  const names = new Map(config.directives.map((d) => [d.id, d.name]));
  return [...counts]
    .map(([directiveId, alarms]) => ({ directiveId, name: names.get(directiveId) ?? '', alarms }))
    .sort((a, b) => b.alarms - a.alarms || a.directiveId - b.directiveId);
}

/** Why a run's input gave nothing to correlate (the command exits 1), or undefined when some event was valid. */
export function noValidEvent(file: string, s: ReplaySummary): string | undefined {
  if (s.eventsRead === 0) return `no events in ${file}: the file is empty`;
  if (s.skipped < s.eventsRead) return undefined;
  const reasons = Object.entries(s.skippedByReason).map(([reason, n]) => `${n} ${reason}`).join(', ');
  return `no valid event in ${file}: all ${s.eventsRead} lines were refused (${reasons}); events are JSON objects, one per line (a pretty-printed JSON file or a binary file is not)`;
}

/** Directives listed by name in the text summary; the rest are summed up in one line. */
const LISTED_DIRECTIVES = 10;

export function formatSummary(s: ReplaySummary): string {
  const reasons = Object.entries(s.skippedByReason)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
  const directive = (d: DirectiveAlarms) => `directive ${d.directiveId} "${d.name}"`;
  const listed = s.alarmsByDirective.slice(0, LISTED_DIRECTIVES).map((d) => `  ${d.alarms} from ${directive(d)}`);
  const rest = s.alarmsByDirective.slice(LISTED_DIRECTIVES);
  if (rest.length > 0) listed.push(`  ${rest.reduce((n, d) => n + d.alarms, 0)} from ${rest.length} more directives`);
  return [
    `events read:      ${s.eventsRead}`,
    `skipped invalid:  ${s.skipped}${reasons ? ` (${reasons})` : ''}`,
    `whitelisted:      ${s.whitelisted}`,
    `backlogs created: ${s.backlogsCreated}${s.backlogRestarts > 0 ? ` (${s.backlogRestarts} restarts after failures)` : ''}`,
    `alarms:           ${s.alarms} (${s.alarmLines} alarm lines, ${s.alarmEventLines} alarm-event lines)`,
    ...listed,
    `time:             ${s.seconds.toFixed(2)} s (${Math.round(s.eventsRead / Math.max(s.seconds, 1e-9))} events/s)`,
    `alarm files:      ${s.alarmFiles.join(', ')}`,
  ].join('\n');
}

/** The summary as one JSON object (`replay -j`), with the field names of the stats reply where they exist. */
export function summaryJson(s: ReplaySummary): Record<string, unknown> {
  return {
    events_read: s.eventsRead,
    invalid: s.skipped,
    invalid_by_reason: s.skippedByReason,
    whitelisted: s.whitelisted,
    backlogs_created: s.backlogsCreated,
    backlog_restarts: s.backlogRestarts,
    directive_events: s.directiveEvents,
    alarms: s.alarms,
    alarm_lines: s.alarmLines,
    alarm_event_lines: s.alarmEventLines,
    alarms_by_directive: s.alarmsByDirective.map((d) => ({ directive_id: d.directiveId, name: d.name, alarms: d.alarms })),
    seconds: Math.round(s.seconds * 1000) / 1000,
    events_per_second: Math.round(s.eventsRead / Math.max(s.seconds, 1e-9)),
    alarm_files: s.alarmFiles,
  };
}
