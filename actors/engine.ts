/**
 * The correlation engine: the actor system (supervisor -> directives -> backlogs, plus the alarm writer) built
 * from a loaded config and the correlation options. `replay` feeds it from a file, `serve` from NATS. `reload`
 * swaps in a new config between two batches (what changed: src/config-files/config-diff.ts).
 */

import { start, stop, dispatch, type Ref } from 'nact';
import { stepBatch } from '../src/backlog/batch.js';
import type { BacklogContext, BacklogState } from '../src/backlog/state.js';
import { diffConfigs, type ConfigDiff } from '../src/config-files/config-diff.js';
import { createRuleBook } from '../src/rule/rule-book.js';
import type { RegeneratedLines } from '../src/alarm/regenerated-lines.js';
import type { Directive } from '../src/directive/directive.js';
import { buildNetworkAssets, type NetworkAssets } from '../src/asset/network-assets.js';
import type { LoadedConfig } from '../src/config-files/config-dir.js';
import type { CorrelationOptions } from '../src/shared/correlation-options.js';
import type { Clock } from '../src/shared/time.js';
import { randomIds, type IdSource } from '../src/shared/ids.js';
import { WeightedHistogram } from '../src/shared/histogram.js';
import { createEnricher, type Enricher, type EnrichmentStats, type LookupObservation } from '../src/enrichment/enricher.js';
import { switchableEnricher } from '../src/enrichment/switchable-enricher.js';
import { AlarmOutput, spawnAlarmWriter } from './alarm-writer-actor.js';
import type { BacklogDeps, RestartBudget } from './backlog-actor.js';
import type { DirectiveStats, DirectiveView } from './directive-actor.js';
import type { Logger } from './logger.js';
import type { SupervisorMsg, TimedEvent } from './messages.js';
import { applyNactPatch } from './nact-patch.js';
import { spawnSupervisor, type SupervisorStats } from './supervisor-actor.js';

export type { CorrelationOptions };

export interface EngineOptions {
  readonly config: LoadedConfig;
  readonly correlation: CorrelationOptions;
  readonly logsDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly newId?: IdSource;
  /** Alarm ids per directive instead (tests: a directive's ids stay the same whatever other directives do). */
  readonly idsByDirective?: (directiveId: number) => string;
  /** JetStream recovery: the lines the alarm files hold past the checkpoint, skipped when made again. */
  readonly regenerated?: { readonly events?: RegeneratedLines; readonly alarms?: RegeneratedLines };
  /** JetStream mode: backlog ids from the stream position of their first event (`streamAlarmId`). */
  readonly streamId?: (directiveId: number, seq: number, salt: number) => string;
  readonly budget?: RestartBudget;
  readonly restored?: ReadonlyMap<number, readonly BacklogState[]>;
  /** Replaceable for fault-injection tests. */
  readonly stepBatch?: BacklogDeps['stepBatch'];
  /** `--max_delay` (s, 0 = off) and the late-event callback (overload signalling). */
  readonly maxDelaySec?: number;
  readonly onLate?: (nowMs: number) => void;
  /** Intel/vulnerability lookups: cache minutes and `--intel_private_ip` (defaults 10 and false). */
  readonly enrichment?: {
    readonly cacheMinutes: number;
    readonly intelPrivateIp: boolean;
    readonly timeoutMs?: number;
    /** Told of every lookup answer (metrics). */
    readonly observe?: (o: LookupObservation) => void;
  };
}

export interface EngineStats extends SupervisorStats, DirectiveStats {
  backlogRestarts: number;
  backlogsStopped: number;
  /** Live backlogs dropped by reloads (their directive was renamed or removed). */
  backlogsDropped: number;
}

/** What a reload changed, once it took effect. */
export interface EngineReload {
  readonly diff: ConfigDiff;
  /** Live backlogs of renamed and removed directives, dropped. */
  readonly droppedBacklogs: number;
}

/** Upper bounds (s) of the event latency histogram: milliseconds when idle, seconds under a backlog of events. */
export const LATENCY_BUCKETS_SEC: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface Engine {
  /** The running config's assets and directives (a reload replaces them). */
  readonly assets: NetworkAssets;
  readonly directives: readonly Directive[];
  readonly config: LoadedConfig;
  readonly stats: EngineStats;
  /** Intel/vulnerability lookup counters, over every reload. */
  readonly enrichment: EnrichmentStats;
  readonly output: AlarmOutput;
  ingest(batch: readonly TimedEvent[]): void;
  tick(now: number): void;
  /**
   * Resolves when everything ingested so far has been fully processed, and the lookups running have been applied
   * unless `lookups` is false (checkpoints and the intake gate do not wait for a slow Wise/Nesd server).
   */
  barrier(opts?: { readonly lookups?: boolean }): Promise<void>;
  /** Live backlogs per directive id (call after a barrier). */
  snapshot(): Promise<ReadonlyMap<number, readonly BacklogState[]>>;
  /** Writes every queued alarm line and makes the files durable (fsync); rejects when they cannot be written. */
  flush(): Promise<void>;
  /** Writes every queued alarm line and closes the alarm files. */
  close(): Promise<void>;
  stop(): void;
  /**
   * Swaps in `next` (already validated) for the events ingested after this call; resolves once renamed and removed
   * directives have finished the events ingested before it and dropped their live backlogs.
   */
  reload(next: LoadedConfig): Promise<EngineReload>;
  /** Every running directive with its own counters (per-directive metrics). */
  running(): Iterable<DirectiveView>;
}

export function startEngine(o: EngineOptions): Engine {
  applyNactPatch();
  const system = start();
  let config = o.config;
  const output = new AlarmOutput();
  if (o.regenerated !== undefined) output.skipRegenerated(o.regenerated.events, o.regenerated.alarms);
  const writer = spawnAlarmWriter(system, o.logsDir, output, o.log);
  const stats: EngineStats = {
    eventsRouted: 0,
    eventsWithoutCandidate: 0,
    waiting: 0,
    backlogsCreated: 0,
    backlogRestarts: 0,
    backlogsStopped: 0,
    activeBacklogs: 0,
    handled: 0,
    latencyMsSum: 0,
    inFlightItems: 0,
    waits: 0,
    backlogsExpired: 0,
    backlogsCompleted: 0,
    backlogsDropped: 0,
    latency: new WeightedHistogram(LATENCY_BUCKETS_SEC),
  };
  let ctx: BacklogContext = {
    assets: buildNetworkAssets(config.assets),
    thresholds: o.correlation.thresholds,
    status: o.correlation.status,
    tag: o.correlation.tag,
    minLifetimeSec: o.correlation.minAlarmLifetimeMinutes * 60,
    rules: createRuleBook(),
  };
  const enricherFor = (c: LoadedConfig): Enricher =>
    createEnricher({
      intelSources: c.intelSources,
      vulnSources: c.vulnSources,
      cacheMinutes: o.enrichment?.cacheMinutes ?? 10,
      intelPrivateIp: o.enrichment?.intelPrivateIp ?? false,
      ...(o.enrichment?.timeoutMs !== undefined ? { timeoutMs: o.enrichment.timeoutMs } : {}),
      ...(o.enrichment?.observe !== undefined ? { observe: o.enrichment.observe } : {}),
    });
  const enricher = switchableEnricher(enricherFor(config));
  const running = new Set<DirectiveView>();
  const supervisor: Ref<SupervisorMsg> = spawnSupervisor(
    system,
    o.config.directives,
    {
      ctx,
      stepBatch: o.stepBatch ?? stepBatch,
      output,
      budget: o.budget ?? { maxRestarts: 3, windowMs: 60_000 },
      clock: o.clock,
      log: o.log,
      stats,
      newId: o.newId ?? randomIds(),
      ...(o.idsByDirective !== undefined ? { idsByDirective: o.idsByDirective } : {}),
      ...(o.streamId !== undefined ? { streamId: o.streamId } : {}),
      maxDelaySec: o.maxDelaySec ?? 0,
      onLate: o.onLate ?? (() => undefined),
      enricher,
      running,
    },
    o.restored ?? new Map(),
    stats,
  );
  const ask = (type: 'sync' | 'close') =>
    new Promise<void>((resolve, reject) =>
      dispatch(writer, { type, reply: (error) => (error === undefined ? resolve() : reject(error)) }),
    );
  const reload = (next: LoadedConfig): Promise<EngineReload> => {
    const diff = diffConfigs(config, next);
    // Synchronous up to the dispatch: batches ingested before this call are routed with the old config, and the
    // ingress's whitelist check reads the new assets from now on.
    if (diff.assetsChanged) ctx = { ...ctx, assets: buildNetworkAssets(next.assets) };
    if (diff.enrichmentChanged) enricher.replace(enricherFor(next));
    config = next;
    return new Promise((resolve) =>
      dispatch(supervisor, {
        type: 'reload',
        reload: { directives: next.directives, diff: diff.directives, ctx, ctxChanged: diff.assetsChanged },
        reply: (droppedBacklogs) => resolve({ diff, droppedBacklogs }),
      }),
    );
  };
  return {
    get assets() {
      return ctx.assets;
    },
    get directives() {
      return config.directives;
    },
    get config() {
      return config;
    },
    get enrichment() {
      return enricher.stats;
    },
    stats,
    output,
    ingest: (batch) => {
      stats.waiting += batch.length;
      dispatch(supervisor, { type: 'events', batch });
    },
    tick: (now) => dispatch(supervisor, { type: 'tick', now }),
    barrier: (opts) => new Promise((resolve) => dispatch(supervisor, { type: 'barrier', reply: resolve, lookups: opts?.lookups ?? true })),
    snapshot: () => new Promise((resolve) => dispatch(supervisor, { type: 'snapshot', reply: resolve })),
    flush: () => ask('sync'),
    close: () => ask('close'),
    stop: () => stop(system),
    reload,
    running: () => running,
  };
}
