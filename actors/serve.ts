/**
 * `serve`: the production backend. Start-up: HTTP server (metrics, probes) -> configs (frontend or local folder)
 * -> saved backlogs -> actor system -> NATS (events in, overload signals out). Every 10 s a watchdog report and an
 * expiry tick. On SIGTERM/SIGINT: stop intake, let every received event finish, save live backlogs, close the
 * files, exit 0 (1 when alarm lines could not be written). SIGHUP reopens the alarm files (log rotation) and
 * reloads the configuration (live-ops.ts); SIGUSR1 only reopens the files.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { start, stop as stopSystem } from 'nact';
import { connect, credsAuthenticator, type ConnectionOptions, type JetStreamManager, type NatsConnection } from 'nats';
import type { LoadedConfig } from '../src/config-files/config-dir.js';
import { logConfigWarnings } from './validate-command.js';
import { readConfig } from './config-source.js';
import { HttpServerError } from './http-server.js';
import { startLiveOps, type LiveOps } from './live-ops.js';
import { initialOverload, onLateEvent, onOverloadTick, type OverloadState, type OverloadStep } from '../src/overload/overload.js';
import { systemClock, type Clock } from '../src/shared/time.js';
import { correlationOf } from '../config/correlation-flags.js';
import type { ServeConfig } from '../config/schema.js';
import { redactUrl } from '../src/shared/redact-url.js';
import { startEngine, type Engine } from './engine.js';
import type { Logger } from './logger.js';
import { checkLogsFolder } from './logs-folder.js';
import { keepUnrestored, liveBacklogs, regeneratedLines, restoreCheckpoint, retireRestored, saveCheckpoint, startCheckpoints, type Checkpointer } from './checkpoints.js';
import { durableName, JetStreamError, placeConsumer, prepareStream, startJetStreamIngress, type ConsumerStart, type JetStreamIngress, type StreamIdentity } from './jetstream-ingress.js';
import { EVENTS_SUBJECT, startNatsIngress, type Ingress } from './nats-ingress.js';
import { StopRequested, watchStopSignals, type StopSignals } from './stop-signals.js';
import { streamAlarmId } from '../src/shared/ids.js';
import { streamTickTime } from '../src/correlation/stream-clock.js';
import { watchNatsStatus, type NatsConnectionStats } from './nats-status.js';
import { settleWithin } from './settle-within.js';
import { packageVersion } from './version.js';

export const OVERLOAD_SUBJECT = 'dsiem_overload_signals';
/** Request/reply subject answering the backend's counters as JSON (monitoring, benchmarks, tests). */
export const STATS_SUBJECT = 'dsiem_backend_stats';
const REPORT_EVERY_MS = 10_000;
const SHUTDOWN_DEADLINE_MS = 60_000;
/**
 * Bounds of the shutdown steps that wait on something else (SIGTERM must end with a save within a few seconds,
 * whatever NATS or a lookup service does): the subscription drain (nats-ingress.ts, 2 s), correlation of what
 * was received (lookups in flight included), the NATS close, and the exit once everything is done.
 */
const CORRELATION_WAIT_MS = 4_000;
const NATS_CLOSE_WAIT_MS = 1_000;
/** Bound of the wait for the server to confirm the subscriptions at start. */
const START_FLUSH_WAIT_MS = 5_000;
const EXIT_GRACE_MS = 1_000;
/**
 * JetStream mode, caught up with the stream: expiry follows the wall clock less this margin, so that an event the
 * server stored just before a tick but not yet fetched is still correlated before the tick (as it would be after
 * a crash, when the stream's own times drive expiry).
 */
const CAUGHT_UP_SLACK_MS = 2_000;

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** nats.js connection options from `--msq` (credentials in the URL become options, never logged). */
export function natsOptions(msq: string, creds: string, tlsCa: string): ConnectionOptions {
  const servers: string[] = [];
  const options: ConnectionOptions = {};
  for (const text of msq.split(',').map((s) => s.trim())) {
    const url = new URL(text);
    if (url.username !== '' && url.password !== '') {
      options.user = decodeURIComponent(url.username);
      options.pass = decodeURIComponent(url.password);
    } else if (url.username !== '') {
      options.token = decodeURIComponent(url.username);
    }
    if (url.protocol === 'tls:') options.tls = {};
    servers.push(`${url.hostname}:${url.port || '4222'}`);
  }
  if (creds !== '') options.authenticator = credsAuthenticator(readFileSync(creds));
  if (tlsCa !== '') options.tls = { caFile: tlsCa };
  return { ...options, servers, name: 'dsiem-backend', maxReconnectAttempts: -1, reconnectTimeWait: 1000, pingInterval: 10_000 };
}

/** The configuration from the frontend or `--config` (config-source.ts, as every reload reads it). */
async function loadConfigs(c: ServeConfig, log: Logger): Promise<LoadedConfig> {
  const loaded = await readConfig(c, log);
  if (!loaded.ok) throw new StartupError(loaded.error.message);
  return loaded.value;
}

interface Overload {
  late(nowMs: number): void;
  tick(nowMs: number): void;
}

function overloadSignals(nc: () => NatsConnection | undefined, holdSec: number, log: Logger): Overload {
  let state: OverloadState = initialOverload;
  const apply = (step: OverloadStep) => {
    const previous = state;
    state = step.state;
    if (step.publish === undefined) return;
    const conn = nc();
    try {
      if (conn === undefined) throw new Error('not connected');
      conn.publish(OVERLOAD_SUBJECT, new TextEncoder().encode(String(step.publish)));
      log.info(`overload = ${step.publish} signal sent to frontend`);
    } catch (err) {
      // Try again on the next late event or tick.
      state = previous;
      log.error(`error sending overload = ${step.publish} signal to frontend`, { error: (err as Error).message });
    }
  };
  return {
    late: (now) => apply(onLateEvent(state, now)),
    tick: (now) => apply(onOverloadTick(state, now, holdSec)),
  };
}

/** The counters of a running backend (the `dsiem_backend_stats` reply). */
export function statsOf(engine: Engine, ingress: Ingress, nats: NatsConnectionStats, js?: JetStreamIngress, checkpoints?: Checkpointer) {
  const s = engine.stats;
  return {
    received: ingress.stats.received,
    accepted: ingress.stats.accepted,
    invalid: ingress.stats.invalid,
    invalid_by_reason: ingress.stats.invalidByReason,
    whitelisted: ingress.stats.whitelisted,
    dropped: ingress.stats.dropped,
    dropped_by_reason: ingress.stats.droppedByReason,
    ingress_batches: ingress.stats.batches,
    queue_length: ingress.load(),
    handled: s.handled,
    backlog_items_in_flight: s.inFlightItems,
    lines_not_written: engine.output.pending,
    backlogs: s.activeBacklogs,
    backlogs_created: s.backlogsCreated,
    backlogs_dropped_by_reload: s.backlogsDropped,
    directives: engine.directives.length,
    backlog_restarts: s.backlogRestarts,
    alarms: engine.output.stats.alarms,
    alarm_lines: engine.output.stats.alarmLines,
    alarm_event_lines: engine.output.stats.alarmEventLines,
    alarm_write_errors: engine.output.stats.writeErrors,
    unwritten_lines: engine.output.stats.unwritten,
    unwritten_bytes: engine.output.unwrittenBytes,
    intake_paused: engine.output.atBound,
    intake_pauses: engine.output.stats.boundReached,
    nats_slow_consumer_cuts: nats.slowConsumerCuts,
    jetstream: js === undefined ? null : jetstreamFigures(js, checkpoints),
    ...memoryFigures(),
  };
}

/** JetStream mode's part of the stats reply: where the backend stands in the stream, and its checkpoints. */
function jetstreamFigures(js: JetStreamIngress, checkpoints: Checkpointer | undefined) {
  return {
    taken_seq: js.stream.taken,
    acked_seq: js.stream.acked,
    caught_up: js.caughtUp,
    redelivered: js.stream.redelivered,
    fetch_errors: js.stream.fetchErrors,
    consumer_replaced: js.stream.replaced,
    lost_events: js.stream.lost,
    checkpoints_written: checkpoints?.stats.written ?? 0,
    checkpoints_failed: checkpoints?.stats.failed ?? 0,
    checkpoints_deferred: checkpoints?.stats.deferred ?? 0,
    last_checkpoint_seq: checkpoints?.stats.lastSeq ?? 0,
    last_checkpoint_ms: checkpoints?.stats.lastMs ?? 0,
    last_checkpoint_bytes: checkpoints?.stats.lastBytes ?? 0,
  };
}

/** Resident memory and live heap in MB (one decimal): what an operator watches for leaks and limits. */
function memoryFigures(): { rss_mb: number; heap_used_mb: number } {
  const m = process.memoryUsage();
  return { rss_mb: Math.round(m.rss / 1e5) / 10, heap_used_mb: Math.round(m.heapUsed / 1e5) / 10 };
}

function watchdog(engine: Engine, ingress: Ingress, nats: NatsConnectionStats, maxEps: number, log: Logger): () => void {
  let last = { received: 0, handled: 0, latency: 0, at: Date.now() };
  return () => {
    const now = Date.now();
    const s = engine.stats;
    const handled = s.handled - last.handled;
    const avg = handled > 0 ? (s.latencyMsSum - last.latency) / handled : 0;
    const eps = ((ingress.stats.received - last.received) * 1000) / Math.max(1, now - last.at);
    const queue = ingress.load();
    log.info('watchdog report', {
      eps: Math.round(eps * 100) / 100,
      queue_length: queue,
      avg_proc_time_ms: Math.round(avg * 1000) / 1000,
      ttl_directives: engine.directives.length,
      backlogs: s.activeBacklogs,
      alarms: engine.output.stats.alarms,
      received: ingress.stats.received,
      invalid: ingress.stats.invalid,
      whitelisted: ingress.stats.whitelisted,
      dropped: ingress.stats.dropped,
      alarm_write_errors: engine.output.stats.writeErrors,
      lines_not_written: engine.output.pending,
      intake_paused: engine.output.atBound,
      nats_slow_consumer_cuts: nats.slowConsumerCuts,
      ...memoryFigures(),
    });
    if (queue > 0 && avg > 1000 / maxEps) {
      log.warn(`avg. processing time maybe too long to sustain the target ${maxEps} event/sec`, { avg_proc_time_ms: avg });
    }
    last = { received: ingress.stats.received, handled: s.handled, latency: s.latencyMsSum, at: now };
  };
}

/**
 * SIGHUP and SIGUSR1 reopen the alarm files (what logrotate's postrotate sends to Filebeat-fed services); SIGHUP
 * also reloads the configuration, once the backend runs (reload.ts). Installed first thing: the default action of
 * SIGHUP would end the process. Returns the uninstaller.
 */
function reopenOnSignals(log: Logger, reopen: () => void): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('reopening the alarm files', { signal });
    reopen();
  };
  process.on('SIGHUP', onSignal);
  process.on('SIGUSR1', onSignal);
  return () => {
    process.off('SIGHUP', onSignal);
    process.off('SIGUSR1', onSignal);
  };
}

/**
 * Alarm lines that cannot be written reached `--max-unwritten-mb`: intake pauses (events that arrive meanwhile are
 * dropped, counted as `intake-paused`, and overload=true is sent) until a write brings them below it.
 */
function pauseIntakeAtBound(engine: Engine, ingress: Ingress, c: ServeConfig, log: Logger, overloaded: () => void): void {
  let droppedBefore = 0;
  engine.output.onBound((atBound) => {
    const dropped = ingress.stats.droppedByReason['intake-paused'] ?? 0;
    if (atBound) {
      droppedBefore = dropped;
      overloaded();
      log.error('alarm lines kept in memory reached --max-unwritten-mb (DSIEM_MAX_UNWRITTEN_MB): intake paused, new events are dropped and counted until the files can be written', {
        maxUnwrittenMb: c.maxUnwrittenMb,
        unwrittenLines: engine.output.pending,
        logsDir: c.logsDir,
      });
    } else {
      log.info('alarm lines written: intake resumed', { droppedWhilePaused: dropped - droppedBefore });
    }
  });
}

/** The engine's clock for expiry ticks: the wall clock; in JetStream mode see streamTickTime (and README). */
function tickClock(clock: Clock, js: JetStreamIngress | undefined): () => number {
  if (js === undefined) return () => clock.now();
  return () => streamTickTime(js, clock.now(), CAUGHT_UP_SLACK_MS);
}

/**
 * JetStream recovery: once correlation has caught up with the stream, no line can be made again any more; the
 * writer stops skipping (and ends a cut line that nothing completed).
 */
function finishRecoveryWhenCaughtUp(engine: Engine, js: JetStreamIngress, log: Logger): () => void {
  if (engine.output.regeneratedPending === 0 && !engine.output.regeneratedCutLines.events && !engine.output.regeneratedCutLines.alarms) return () => undefined;
  const timer = setInterval(() => {
    if (!js.caughtUp || js.load() > 0 || engine.stats.inFlightItems > 0) return;
    clearInterval(timer);
    const done = engine.output.finishRegenerated();
    log.info('caught up with the stream after a restart', { skippedLines: done.skipped, cutLinesEnded: done.endedCutLines, linesNotMadeAgain: done.neverMadeAgain });
  }, 500);
  timer.unref();
  return () => clearInterval(timer);
}

export async function runServe(c: ServeConfig, log: Logger, clock: Clock = systemClock): Promise<number> {
  const stops = watchStopSignals(log);
  let reopen: () => void = () => {
    log.info('no alarm files open yet: nothing to reopen');
  };
  const uninstallReopen = reopenOnSignals(log, () => reopen());
  try {
    return await serveUntilStopped(c, log, clock, stops, (f) => (reopen = f));
  } catch (err) {
    if (!(err instanceof StopRequested)) {
      // A start that failed late (the engine, its timers or the HTTP server already running) still ends the process.
      setTimeout(() => process.exit(process.exitCode ?? 1), EXIT_GRACE_MS).unref();
      throw err;
    }
    log.info('stopped during start-up: nothing was taken from the saved backlogs', { signal: err.signal });
    // The step it stopped (a download, a connection) may still hold a socket: the process exits anyway.
    setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
    return 0;
  } finally {
    stops.uninstall();
    uninstallReopen();
  }
}

async function serveUntilStopped(c: ServeConfig, log: Logger, clock: Clock, stops: StopSignals, setReopen: (f: () => void) => void): Promise<number> {
  const source = c.configDir !== '' ? `(local folder ${c.configDir})` : redactUrl(c.frontend);
  const logs = path.resolve(c.logsDir);
  log.info(`starting dsiem backend server with frontend ${source} and message queue ${redactUrl(c.msq)}`, {
    version: packageVersion(),
    node: c.node,
    config: source,
    logs,
    msq: redactUrl(c.msq),
    mode: c.jetstream ? `jetstream (stream ${c.jsStream})` : 'core nats',
  });
  const writable = await checkLogsFolder(logs);
  if (!writable.ok) throw new StartupError(writable.error.message, { cause: writable.error });
  // Metrics and probes answer from here on (/readyz: not ready until the backend runs).
  const ops = await startLiveOps(c, log).catch((err: unknown) => {
    throw err instanceof HttpServerError ? new StartupError(err.message, { cause: err }) : err;
  });
  const config = await stops.during(loadConfigs(c, log));
  logConfigWarnings(config, log);
  log.info('config loaded', {
    directives: config.directives.length,
    disabledDirectives: config.disabledDirectives,
    assets: config.assets.length,
    intelSources: config.intelSources.length,
    vulnSources: config.vulnSources.length,
    files: config.files,
  });
  let nc: NatsConnection;
  try {
    nc = await stops.during(connect(natsOptions(c.msq, c.natsCreds, c.natsTlsCa)));
  } catch (err) {
    if (err instanceof StopRequested) throw err;
    throw new StartupError(`cannot connect to NATS at ${redactUrl(c.msq)}: ${(err as Error).message}`);
  }
  const conn = nc;
  try {
    return await serveConnected(c, log, clock, stops, setReopen, config, conn, ops);
  } finally {
    // A start that fails after the connection (a JetStream stream refused, ...) must not keep the process alive.
    if (!conn.isClosed()) await settleWithin(conn.close(), NATS_CLOSE_WAIT_MS);
  }
}

async function serveConnected(
  c: ServeConfig,
  log: Logger,
  clock: Clock,
  stops: StopSignals,
  setReopen: (f: () => void) => void,
  config: LoadedConfig,
  conn: NatsConnection,
  ops: LiveOps,
): Promise<number> {
  // Saved backlogs are read here, once nothing but the stream can fail the start; they are not removed before the
  // running backend holds them (D9), so a start that fails keeps them.
  const restored = c.reloadBacklogs ? await restoreCheckpoint(c.logsDir, config.directives, log) : undefined;
  let jetstream: { jsm: JetStreamManager; stream: StreamIdentity; durable: string; start: ConsumerStart; resumesCheckpoint: boolean; onlyEvents: boolean } | undefined;
  if (c.jetstream) {
    const { jsm, info } = await stops.during(
      prepareStream(conn, { name: c.jsStream, maxAgeSec: c.jsMaxAge * 3600, maxBytes: c.jsMaxBytes, durable: durableName(c.node) }, log).catch((err: unknown) => {
        throw err instanceof JetStreamError ? new StartupError(err.message, { cause: err }) : err;
      }),
    );
    const stream: StreamIdentity = { name: info.config.name, created: info.created };
    const saved = restored?.header?.stream;
    const checkpointSeq = saved !== null && saved !== undefined && saved.name === stream.name && saved.created === stream.created ? saved.seq : undefined;
    if (saved !== null && saved !== undefined && checkpointSeq === undefined) {
      log.warn('the checkpoint is of another stream (made anew since?): its position is not used', { checkpointStream: `${saved.name} created ${saved.created}`, stream: `${stream.name} created ${stream.created}` });
    }
    const durable = durableName(c.node);
    const start = await stops.during(placeConsumer(jsm, info, durable, checkpointSeq));
    if (start.ahead > 0) {
      log.error("the checkpoint's stream position is past the stream's last message (the stream was restored from a backup, or replaced under the same name and creation time?): events from the stream's end on are correlated", { stream: stream.name, checkpointSeq, lastSeq: info.state.last_seq, ahead: start.ahead });
    }
    if (start.lost > 0) {
      log.error('the stream no longer holds events the backend had not correlated (its limits dropped them while the backend was down)', { stream: stream.name, lost: start.lost, firstKept: start.seq, maxAgeSec: info.config.max_age / 1e9, maxBytes: info.config.max_bytes });
    }
    log.info('jetstream consumer placed', { stream: stream.name, consumer: durable, firstSeq: start.seq, from: start.from, pending: Math.max(0, info.state.last_seq - start.seq + 1) });
    const onlyEvents = (info.config.subjects ?? []).every((subject) => subject === EVENTS_SUBJECT);
    jetstream = { jsm, stream, durable, start, resumesCheckpoint: checkpointSeq !== undefined, onlyEvents };
  }
  // After a crash, the lines written since the checkpoint are made again: those the files hold are skipped.
  const regenerated = jetstream?.resumesCheckpoint === true ? await regeneratedLines(c.logsDir, restored?.header, log) : undefined;
  if (stops.signal !== undefined) throw new StopRequested(stops.signal);

  const overload = overloadSignals(() => conn, c.holdDuration, log);
  const streamKey = jetstream === undefined ? undefined : `${jetstream.stream.name}@${jetstream.stream.created}`;
  const engine = startEngine({
    config,
    correlation: correlationOf(c),
    logsDir: c.logsDir,
    clock,
    log,
    restored: restored?.backlogs ?? new Map(),
    maxDelaySec: c.maxDelay,
    enrichment: { cacheMinutes: c.cache, intelPrivateIp: c.intelPrivateIp, ...(ops.observeLookup !== undefined ? { observe: ops.observeLookup } : {}) },
    onLate: (now) => overload.late(now),
    ...(regenerated !== undefined ? { regenerated } : {}),
    ...(streamKey !== undefined ? { streamId: (directiveId: number, seq: number, salt: number) => streamAlarmId(streamKey, directiveId, seq, salt) } : {}),
  });
  engine.output.maxUnwrittenBytes = c.maxUnwrittenMb * 1024 * 1024;
  setReopen(() => engine.output.reopen());
  const natsStats = watchNatsStatus(conn, log);

  const system = start();
  const maxQueue = c.maxQueue === 0 ? 1_000_000 : c.maxQueue;
  const js =
    jetstream === undefined
      ? undefined
      : startJetStreamIngress({
          nc: conn,
          jsm: jetstream.jsm,
          stream: jetstream.stream.name,
          durable: jetstream.durable,
          start: jetstream.start,
          onlyEvents: jetstream.onlyEvents,
          engine,
          clock,
          maxQueue,
          log,
          parent: system,
          paused: () => engine.output.atBound,
          // Caught up: backlogs whose deadline passed while the backend was down expire now, not at the next tick.
          onCaughtUp: () => engine.tick(js === undefined ? clock.now() : streamTickTime(js, clock.now(), CAUGHT_UP_SLACK_MS)),
        });
  const ingress: Ingress =
    js ??
    startNatsIngress({
      nc: conn,
      engine,
      clock,
      maxQueue,
      maxPendingBytes: c.natsPendingMb * 1024 * 1024,
      log,
      parent: system,
      onDrop: (now) => overload.late(now),
      paused: () => engine.output.atBound,
    });
  pauseIntakeAtBound(engine, ingress, c, log, () => overload.late(clock.now()));
  // The directives of the running configuration (a reload replaces them).
  const saveOptions = { logsDir: c.logsDir, engine, get directives() { return engine.directives; }, node: c.node, log };
  const checkpoints =
    js === undefined || jetstream === undefined
      ? undefined
      : startCheckpoints({ intervalMs: c.checkpointInterval * 1000, source: js, save: saveOptions, stream: jetstream.stream, now: () => clock.now() });
  const stopRecovery = js === undefined ? () => undefined : finishRecoveryWhenCaughtUp(engine, js, log);
  // JetStream: the checkpoints to come replace the restored one; backlogs of directives not loaded now are kept aside.
  if (jetstream !== undefined && restored !== undefined) await keepUnrestored(restored, log, clock.now(), true);
  if (checkpoints !== undefined && jetstream !== undefined && !jetstream.resumesCheckpoint && c.reloadBacklogs) {
    // No checkpoint of this stream yet: one now, so that a crash at any moment after it knows which alarm lines
    // were written since (the files may hold lines of earlier runs). It pauses intake like any checkpoint, so its
    // sequence and the files' positions agree even if the first fetch has brought events already. One that cannot
    // be written (it needs the alarm files' positions) is skipped: the next interval tries again.
    if ((await checkpoints.checkpoint('interval', true)) !== 'written') log.error('first checkpoint not written: a crash before the next one may write again the alarm lines made since the start', { logsDir: c.logsDir, nextTryInSec: c.checkpointInterval });
  }
  conn.subscribe(STATS_SUBJECT, {
    callback: (err, m) => {
      if (err === null) m.respond(new TextEncoder().encode(JSON.stringify(statsOf(engine, ingress, natsStats, js, checkpoints))));
    },
  });
  const checkpointFirst =
    js === undefined || checkpoints === undefined
      ? undefined
      : async <T>(swap: () => Promise<T>): Promise<T> => {
          // The checkpoint keeps intake paused; the swap comes before any event after it.
          if ((await checkpoints.checkpoint('interval', false)) !== 'written') log.warn('no checkpoint before the reload: a crash before the next one correlates the events since the last one again under the new configuration');
          try {
            return await swap();
          } finally {
            js.resume();
          }
        };
  ops.attach({
    engine,
    ingress,
    nc: conn,
    nats: natsStats,
    maxQueue,
    clock,
    ...(checkpointFirst !== undefined ? { aroundSwap: checkpointFirst } : {}),
    ...(js !== undefined && checkpoints !== undefined ? { jetstream: { intake: js, checkpoints } } : {}),
  });
  // The subscriptions are on the server before "listening" is logged; a server that does not answer does not hold
  // the start (the client resubscribes when it reconnects), nor a stop asked for meanwhile.
  const subscribed = await stops.during(settleWithin(conn.flush(), START_FLUSH_WAIT_MS));
  if (subscribed !== 'done') log.warn('the NATS server did not confirm the subscriptions; going on (they are made again at reconnect)', { error: subscribed === 'timeout' ? `no answer within ${START_FLUSH_WAIT_MS} ms` : subscribed.message });
  // Core NATS: the running backend holds the restored backlogs now, and saves them again on stop (D9).
  if (js === undefined && restored !== undefined) await retireRestored(c.logsDir, restored, log, clock.now());
  log.info('listening for new events', {
    subject: 'dsiem_events',
    directives: config.directives.length,
    restoredBacklogs: restored?.count ?? 0,
    pendingLimits: js === undefined ? `${maxQueue} events (--max_queue), ${c.natsPendingMb} MB (--nats-pending-mb)` : `${maxQueue} events (--max_queue; the stream holds the rest)`,
  });

  const ticks = tickClock(clock, js);
  const report = watchdog(engine, ingress, natsStats, c.maxEps, log);
  engine.tick(ticks());
  report();
  const reportTimer = setInterval(() => {
    engine.tick(ticks());
    report();
  }, REPORT_EVERY_MS);
  const overloadTimer = setInterval(() => overload.tick(clock.now()), 1000);

  const signal = await stops.received;
  stops.shuttingDown();
  log.info('shutting down', { signal });
  clearInterval(reportTimer);
  clearInterval(overloadTimer);
  stopRecovery();
  // Lines held behind a cut line that nothing completed yet are written by the last flush, not lost with the process.
  engine.output.endCutLines('stop');
  const deadline = setTimeout(() => {
    log.error('shutdown did not finish in time, exiting without a complete save', { deadlineMs: SHUTDOWN_DEADLINE_MS });
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  await ops.stopReloads();
  let code = 0;
  if (checkpoints !== undefined) {
    await checkpoints.stop();
    // The last checkpoint, with intake stopped for good: the stream keeps everything after it.
    // Deferred (stopped while catching up after a restart): the restored checkpoint is still the right one.
    if (c.reloadBacklogs && (await checkpoints.checkpoint('shutdown', false)) === 'skipped') code = 1;
    await ingress.stop();
  } else {
    await ingress.stop();
    const correlated = await settleWithin(engine.barrier(), CORRELATION_WAIT_MS);
    if (correlated !== 'done') {
      log.warn('received events or lookups still in flight at the save; the save holds the backlogs as they are', {
        waitedMs: CORRELATION_WAIT_MS,
        queueLength: ingress.load(),
        backlogItemsInFlight: engine.stats.inFlightItems,
      });
    }
    if (c.reloadBacklogs) {
      const live = await liveBacklogs(engine, log);
      const saved = live === undefined ? undefined : await saveCheckpoint({ ...saveOptions, reason: 'shutdown', stream: null, now: clock.now() }, live, engine.output.onDisk());
      if (saved === undefined) code = 1;
    }
  }
  try {
    await engine.close();
  } catch (err) {
    code = 1;
    const lost = engine.output.pending;
    log.error(`alarm lines could not be written before exit: ${lost} lines lost`, { error: (err as Error).message, unwrittenLines: lost, logsDir: c.logsDir });
  }
  report();
  engine.stop();
  stopSystem(system);
  const closed = await settleWithin(conn.close(), NATS_CLOSE_WAIT_MS);
  if (closed !== 'done') log.warn('nats connection not closed cleanly', { error: closed === 'timeout' ? `no answer within ${NATS_CLOSE_WAIT_MS} ms` : closed.message });
  clearTimeout(deadline);
  await ops.close();
  log.info('backlog manager exiting');
  // A connection to a hung server may keep a socket open: the process exits anyway once everything is saved.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  return code;
}
