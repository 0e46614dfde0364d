/**
 * Live operations of `serve`, in one place: the HTTP server (`/metrics`, `/healthz`, `/readyz`, started first so
 * that probes answer during start-up), the metrics, and hot reload (SIGHUP, `dsiem_backend_reload`, `--watch`).
 * `serve` starts it, attaches the engine once it runs, and stops the reload triggers first thing at shutdown.
 */

import type { NatsConnection } from 'nats';
import { readiness } from '../src/health/readiness.js';
import type { LookupObservation } from '../src/enrichment/enricher.js';
import type { Clock } from '../src/shared/time.js';
import type { ServeConfig } from '../config/schema.js';
import type { Engine } from './engine.js';
import { startHttpServer, type HttpServer } from './http-server.js';
import type { Logger } from './logger.js';
import { createMetrics, type MetricSources, type Metrics } from './metrics.js';
import type { Ingress } from './nats-ingress.js';
import type { NatsConnectionStats } from './nats-status.js';
import { createReloader, installReloadTriggers, type Reloader } from './reload.js';

export interface Running {
  readonly engine: Engine;
  readonly ingress: Ingress;
  readonly nc: NatsConnection;
  /** The connection's status (nats-status.ts). */
  readonly nats: NatsConnectionStats;
  /** `--max_queue` as applied. */
  readonly maxQueue: number;
  readonly clock: Clock;
  /** How a reload's swap runs (JetStream mode: after a checkpoint, intake paused; see reload.ts). */
  readonly aroundSwap?: <T>(swap: () => Promise<T>) => Promise<T>;
  /** JetStream mode: the intake and the checkpoints, for the metrics. */
  readonly jetstream?: MetricSources['jetstream'];
}

export interface LiveOps {
  /** For the engine's enricher; absent when the HTTP server is off (nothing would read the metrics). */
  readonly observeLookup: ((o: LookupObservation) => void) | undefined;
  /** The backend runs: reloads are taken, probes and metrics read it. */
  attach(running: Running): void;
  /** Shutdown begins: not ready any more, no new reload; waits for a reload under way. */
  stopReloads(): Promise<void>;
  /** Closes the HTTP server (last). */
  close(): Promise<void>;
}

export async function startLiveOps(c: ServeConfig, log: Logger): Promise<LiveOps> {
  let running: (Running & { readonly reloader: Reloader }) | undefined;
  let shuttingDown = false;
  let uninstall: (() => void) | undefined;
  const metrics: Metrics | undefined = c.port === 0 ? undefined : createMetrics({ perDirective: c.metricsDirectives });
  let http: HttpServer | undefined;
  if (metrics !== undefined) {
    const m = metrics;
    http = await startHttpServer({
      address: c.address,
      port: c.port,
      log,
      routes: {
        ready: () =>
          readiness({
            configLoaded: running !== undefined,
            natsConnected: running?.nats.connected === true,
            queueLength: running?.ingress.load() ?? 0,
            maxQueue: running?.maxQueue ?? 1,
            shuttingDown,
          }),
        metrics: async () => ({ contentType: m.contentType, body: await m.text() }),
      },
    });
  }
  return {
    observeLookup: metrics?.observeLookup,
    attach: (r) => {
      const reloader = createReloader({ source: c, engine: r.engine, log, clock: r.clock, ...(r.aroundSwap !== undefined ? { aroundSwap: r.aroundSwap } : {}) });
      uninstall = installReloadTriggers({ reloader, nc: r.nc, log, ...(c.watch ? { watchDir: c.configDir } : {}) });
      running = { ...r, reloader };
      metrics?.attach({ engine: r.engine, ingress: r.ingress, maxQueue: r.maxQueue, nats: r.nats, reloads: reloader.stats, ...(r.jetstream !== undefined ? { jetstream: r.jetstream } : {}) });
    },
    stopReloads: async () => {
      shuttingDown = true;
      uninstall?.();
      await running?.reloader.close();
    },
    close: async () => {
      await http?.close();
    },
  };
}
