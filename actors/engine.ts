/**
 * The correlation engine: the actor system (supervisor -> directives -> backlogs, plus the alarm writer) built
 * from a loaded config and the correlation options. `replay` feeds it from a file, `serve` from NATS.
 */

import { start, stop, dispatch, type Ref } from 'nact';
import { stepBatch } from '../src/backlog/batch.js';
import type { BacklogState } from '../src/backlog/state.js';
import { createRuleBook } from '../src/rule/rule-book.js';
import type { RegeneratedLines } from '../src/alarm/regenerated-lines.js';
import type { Directive } from '../src/directive/directive.js';
import { buildNetworkAssets, type NetworkAssets } from '../src/asset/network-assets.js';
import type { LoadedConfig } from '../src/config-files/config-dir.js';
import type { CorrelationOptions } from '../src/shared/correlation-options.js';
import type { Clock } from '../src/shared/time.js';
import { randomIds, type IdSource } from '../src/shared/ids.js';
import { createEnricher } from '../src/enrichment/enricher.js';
import { AlarmOutput, spawnAlarmWriter } from './alarm-writer-actor.js';
import type { BacklogDeps, RestartBudget } from './backlog-actor.js';
import type { DirectiveStats } from './directive-actor.js';
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
  readonly enrichment?: { readonly cacheMinutes: number; readonly intelPrivateIp: boolean; readonly timeoutMs?: number };
}

export interface EngineStats extends SupervisorStats, DirectiveStats {
  backlogRestarts: number;
  backlogsStopped: number;
}

export interface Engine {
  readonly assets: NetworkAssets;
  readonly directives: readonly Directive[];
  readonly stats: EngineStats;
  readonly output: AlarmOutput;
  ingest(batch: readonly TimedEvent[]): void;
  tick(now: number): void;
  /** Resolves when everything ingested so far has been fully processed. */
  barrier(): Promise<void>;
  /** Live backlogs per directive id (call after a barrier). */
  snapshot(): Promise<ReadonlyMap<number, readonly BacklogState[]>>;
  /** Writes every queued alarm line and makes the files durable (fsync); rejects when they cannot be written. */
  flush(): Promise<void>;
  /** Writes every queued alarm line and closes the alarm files. */
  close(): Promise<void>;
  stop(): void;
}

export function startEngine(o: EngineOptions): Engine {
  applyNactPatch();
  const system = start();
  const assets = buildNetworkAssets(o.config.assets);
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
  };
  const supervisor: Ref<SupervisorMsg> = spawnSupervisor(
    system,
    o.config.directives,
    {
      ctx: {
        assets,
        thresholds: o.correlation.thresholds,
        status: o.correlation.status,
        tag: o.correlation.tag,
        minLifetimeSec: o.correlation.minAlarmLifetimeMinutes * 60,
        rules: createRuleBook(),
      },
      stepBatch: o.stepBatch ?? stepBatch,
      output,
      budget: o.budget ?? { maxRestarts: 3, windowMs: 60_000 },
      clock: o.clock,
      log: o.log,
      stats,
      newId: o.newId ?? randomIds(),
      ...(o.streamId !== undefined ? { streamId: o.streamId } : {}),
      maxDelaySec: o.maxDelaySec ?? 0,
      onLate: o.onLate ?? (() => undefined),
      enricher: createEnricher({
        intelSources: o.config.intelSources,
        vulnSources: o.config.vulnSources,
        cacheMinutes: o.enrichment?.cacheMinutes ?? 10,
        intelPrivateIp: o.enrichment?.intelPrivateIp ?? false,
        ...(o.enrichment?.timeoutMs !== undefined ? { timeoutMs: o.enrichment.timeoutMs } : {}),
      }),
    },
    o.restored ?? new Map(),
    stats,
  );
  const ask = (type: 'sync' | 'close') =>
    new Promise<void>((resolve, reject) =>
      dispatch(writer, { type, reply: (error) => (error === undefined ? resolve() : reject(error)) }),
    );
  return {
    assets,
    directives: o.config.directives,
    stats,
    output,
    ingest: (batch) => {
      stats.waiting += batch.length;
      dispatch(supervisor, { type: 'events', batch });
    },
    tick: (now) => dispatch(supervisor, { type: 'tick', now }),
    barrier: () => new Promise((resolve) => dispatch(supervisor, { type: 'barrier', reply: resolve })),
    snapshot: () => new Promise((resolve) => dispatch(supervisor, { type: 'snapshot', reply: resolve })),
    flush: () => ask('sync'),
    close: () => ask('close'),
    stop: () => stop(system),
  };
}
