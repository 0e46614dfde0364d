/**
 * The Prometheus metrics of `serve` (`GET /metrics`), made with prom-client. Correlation keeps plain counters (the
 * engine's, the ingress's, the alarm output's); the metrics read them when scraped (collect callbacks), so an event
 * costs nothing here. The event latency histogram is aggregated per batch by the supervisor and exposed as is;
 * intel/vuln lookups, which are few, are observed as they answer. prom-client's process metrics come along.
 */

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { LookupObservation } from '../src/enrichment/enricher.js';
import type { WeightedHistogram } from '../src/shared/histogram.js';
import type { Checkpointer } from './checkpoints.js';
import type { Engine } from './engine.js';
import type { JetStreamIngress } from './jetstream-ingress.js';
import type { Ingress } from './nats-ingress.js';
import type { NatsConnectionStats } from './nats-status.js';

/** What the metrics read; attached once the engine and the ingress exist (a scrape before reads zeros). */
export interface MetricSources {
  readonly engine: Engine;
  readonly ingress: Ingress;
  /** `--max_queue` as applied. */
  readonly maxQueue: number;
  readonly nats: NatsConnectionStats;
  readonly reloads: { readonly ok: number; readonly failed: number; readonly lastOkSec: number };
  /** JetStream mode only: the intake's place in the stream and the checkpoints (no series in core NATS mode). */
  readonly jetstream?: { readonly intake: JetStreamIngress; readonly checkpoints: Checkpointer };
}

export interface Metrics {
  readonly contentType: string;
  /** For the engine's enricher: counts every lookup answer and observes the latency of requests. */
  observeLookup(o: LookupObservation): void;
  attach(sources: MetricSources): void;
  text(): Promise<string>;
}

type Labels = Record<string, string>;
type Read = (s: MetricSources) => number | ReadonlyArray<readonly [Labels, number]>;

const LOOKUP_BUCKETS_SEC = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function byLabel(label: string, counts: Readonly<Record<string, number | undefined>>): Array<[Labels, number]> {
  return Object.entries(counts).map(([value, n]) => [{ [label]: value }, n ?? 0]);
}

export function createMetrics(o: { readonly perDirective: boolean }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let sources: MetricSources | undefined;

  /** A counter or gauge whose values are read from `sources` at each scrape. */
  const read = (kind: 'counter' | 'gauge', name: string, help: string, labelNames: readonly string[], value: Read) => {
    const fill = (metric: { reset(): void }, set: (labels: Labels, n: number) => void) => {
      metric.reset();
      if (sources === undefined) return;
      const v = value(sources);
      if (typeof v === 'number') set({}, v);
      else for (const [labels, n] of v) set(labels, n);
    };
    if (kind === 'counter') {
      new Counter({ name, help, labelNames, registers: [registry], collect() { fill(this, (l, n) => this.inc(l, n)); } });
    } else {
      new Gauge({ name, help, labelNames, registers: [registry], collect() { fill(this, (l, n) => this.set(l, n)); } });
    }
  };

  read('counter', 'dsiem_events_received_total', 'Events delivered by NATS on dsiem_events', [], (s) => s.ingress.stats.received);
  read('counter', 'dsiem_events_invalid_total', 'Events skipped as invalid, by reason', ['reason'], (s) => byLabel('reason', s.ingress.stats.invalidByReason));
  read('counter', 'dsiem_events_whitelisted_total', 'Events dropped because their source is a whitelisted asset', [], (s) => s.ingress.stats.whitelisted);
  read('counter', 'dsiem_events_dropped_total', 'Events dropped at intake, by reason (queue-full, intake-paused)', ['reason'], (s) => byLabel('reason', s.ingress.stats.droppedByReason));
  read('counter', 'dsiem_events_lost_total', 'Events lost to a failing ingress handler', [], (s) => s.ingress.stats.failed);
  read('counter', 'dsiem_event_directive_pairs_total', 'Event-directive pairs correlated (an event reaches every directive whose quick check it passes)', [], (s) => s.engine.stats.handled);
  read('gauge', 'dsiem_queue_length', 'Events waiting for correlation', [], (s) => s.ingress.load());
  read('gauge', 'dsiem_queue_capacity', 'Bound of the event queue (--max_queue): at it new events are dropped', [], (s) => s.maxQueue);
  read('gauge', 'dsiem_backlogs_active', 'Live backlogs', [], (s) => s.engine.stats.activeBacklogs);
  read('counter', 'dsiem_backlogs_created_total', 'Backlogs created', [], (s) => s.engine.stats.backlogsCreated);
  read('counter', 'dsiem_backlogs_expired_total', 'Backlogs ended by expiry', [], (s) => s.engine.stats.backlogsExpired);
  read('counter', 'dsiem_backlogs_completed_total', 'Backlogs ended by completing their last stage', [], (s) => s.engine.stats.backlogsCompleted);
  read('counter', 'dsiem_backlogs_dropped_total', 'Live backlogs dropped by a config reload (their directive was renamed or removed)', [], (s) => s.engine.stats.backlogsDropped);
  read('counter', 'dsiem_backlog_restarts_total', 'Backlog handler failures answered by a restart from the last good state', [], (s) => s.engine.stats.backlogRestarts);
  read('counter', 'dsiem_alarms_total', 'Distinct alarms written to siem_alarms.json', [], (s) => s.engine.output.stats.alarms);
  read('counter', 'dsiem_alarm_lines_written_total', 'Lines written, by file', ['file'], (s) => [
    [{ file: 'siem_alarms.json' }, s.engine.output.stats.alarmLines],
    [{ file: 'siem_alarm_events.json' }, s.engine.output.stats.alarmEventLines],
  ]);
  read('gauge', 'dsiem_alarm_lines_unwritten', 'Alarm lines kept in memory, not yet written', [], (s) => s.engine.output.pending);
  read('gauge', 'dsiem_alarm_unwritten_bytes', 'Bytes of the alarm lines kept in memory', [], (s) => s.engine.output.unwrittenBytes);
  read('counter', 'dsiem_alarm_write_errors_total', 'Failed writes of the alarm files', [], (s) => s.engine.output.stats.writeErrors);
  read('gauge', 'dsiem_intake_paused', '1 while intake is paused at --max-unwritten-mb', [], (s) => (s.engine.output.atBound ? 1 : 0));
  read('counter', 'dsiem_intake_pauses_total', 'Times intake paused at --max-unwritten-mb', [], (s) => s.engine.output.stats.boundReached);
  read('gauge', 'dsiem_directives', 'Directives of the running configuration', [], (s) => s.engine.directives.length);
  read('counter', 'dsiem_config_reloads_total', 'Configuration reloads, by result (ok, failed: the running configuration was kept)', ['result'], (s) => [
    [{ result: 'ok' }, s.reloads.ok],
    [{ result: 'failed' }, s.reloads.failed],
  ]);
  read('gauge', 'dsiem_config_last_reload_success_timestamp_seconds', 'Unix time of the last successful reload (or of the start-up load)', [], (s) => s.reloads.lastOkSec);
  read('gauge', 'dsiem_nats_connected', '1 while the NATS connection is up', [], (s) => (s.nats.connected ? 1 : 0));
  read('counter', 'dsiem_nats_disconnects_total', 'Times the NATS connection was lost', [], (s) => s.nats.disconnects);
  read('counter', 'dsiem_nats_reconnects_total', 'Times the NATS connection came back', [], (s) => s.nats.reconnects);
  registry.registerMetric(
    histogramOf('dsiem_event_processing_latency_seconds', 'Seconds from intake to correlated by every directive the event reaches (aggregated per batch)', () => sources?.engine.stats.latency),
  );

  if (o.perDirective) {
    const each = (pick: (v: { events: number; alarms: number; backlogs: number }) => number) => (s: MetricSources) =>
      [...s.engine.running()].map((v): [Labels, number] => [
        { directive_id: String(v.directive.id), directive: v.directive.name },
        pick({ events: v.counters.events, alarms: v.counters.alarms, backlogs: v.backlogs }),
      ]);
    const labels = ['directive_id', 'directive'];
    read('counter', 'dsiem_directive_events_total', 'Events handled, per directive', labels, each((v) => v.events));
    read('gauge', 'dsiem_directive_backlogs', 'Live backlogs, per directive', labels, each((v) => v.backlogs));
    read('counter', 'dsiem_directive_alarms_total', 'Backlogs that raised an alarm, per directive (since it started or was last reloaded as new)', labels, each((v) => v.alarms));
  }

  /** JetStream mode's series, registered once its intake is attached (none at all in core NATS mode). */
  let jetStreamRegistered = false;
  const registerJetStream = () => {
    jetStreamRegistered = true;
    const js = (pick: (j: NonNullable<MetricSources['jetstream']>) => number): Read => (s) => (s.jetstream === undefined ? [] : [[{}, pick(s.jetstream)]]);
    read('gauge', 'dsiem_jetstream_taken_sequence', 'JetStream mode: highest stream sequence taken', [], js((j) => j.intake.stream.taken));
    read('gauge', 'dsiem_jetstream_acked_sequence', 'JetStream mode: highest stream sequence acknowledged (up to the last checkpoint on disk)', [], js((j) => j.intake.stream.acked));
    read('gauge', 'dsiem_jetstream_caught_up', 'JetStream mode: 1 when the last fetch found nothing more in the stream than what was taken', [], js((j) => (j.intake.caughtUp ? 1 : 0)));
    read('counter', 'dsiem_jetstream_lost_events_total', 'JetStream mode: events the stream dropped (its limits) before the backend took them', [], js((j) => j.intake.stream.lost));
    read('counter', 'dsiem_jetstream_redelivered_total', 'JetStream mode: messages delivered again that were taken already (ignored)', [], js((j) => j.intake.stream.redelivered));
    read('counter', 'dsiem_jetstream_fetch_errors_total', 'JetStream mode: failed fetches (retried)', [], js((j) => j.intake.stream.fetchErrors));
    read('counter', 'dsiem_jetstream_consumer_placements_total', 'JetStream mode: times the consumer was placed again after the last event taken', [], js((j) => j.intake.stream.replaced));
    read('counter', 'dsiem_checkpoints_total', 'JetStream mode: checkpoints, by result (written; skipped: a step failed or was late; deferred: a restart was catching up)', ['result'], (s) => {
      const c = s.jetstream?.checkpoints.stats;
      return c === undefined ? [] : [[{ result: 'written' }, c.written], [{ result: 'skipped' }, c.failed], [{ result: 'deferred' }, c.deferred]];
    });
    read('gauge', 'dsiem_checkpoint_last_duration_seconds', 'JetStream mode: seconds the last checkpoint written took', [], js((j) => j.checkpoints.stats.lastMs / 1000));
    read('gauge', 'dsiem_checkpoint_last_bytes', 'JetStream mode: size of the last checkpoint written', [], js((j) => j.checkpoints.stats.lastBytes));
  };

  const lookups = new Counter({ name: 'dsiem_enrichment_lookups_total', help: 'Intel (Wise) and vulnerability (Nesd) lookup answers, by kind, source and result (ok, error, cached)', labelNames: ['kind', 'source', 'result'], registers: [registry] });
  const lookupSeconds = new Histogram({ name: 'dsiem_enrichment_lookup_duration_seconds', help: 'Seconds per intel/vuln HTTP request (cached answers excluded), by kind and source', labelNames: ['kind', 'source'], buckets: LOOKUP_BUCKETS_SEC, registers: [registry] });

  return {
    contentType: registry.contentType,
    observeLookup: (l) => {
      lookups.inc({ kind: l.kind, source: l.source, result: l.result });
      if (l.result !== 'cached') lookupSeconds.observe({ kind: l.kind, source: l.source }, l.seconds);
    },
    attach: (s) => {
      sources = s;
      if (s.jetstream !== undefined && !jetStreamRegistered) registerJetStream();
    },
    text: () => registry.metrics(),
  };
}

/**
 * A histogram kept outside prom-client (it takes weighted observations, which prom-client's does not), in the
 * metric form the registry prints: cumulative `_bucket{le}` counts, `_sum` and `_count`.
 */
function histogramOf(name: string, help: string, source: () => WeightedHistogram | undefined): Metric {
  const get = async () => {
    const h = source();
    const cumulative = h?.cumulative() ?? [];
    const bounds = h?.bounds ?? [];
    const values = [
      ...bounds.map((le, i) => ({ labels: { le }, value: cumulative[i] ?? 0, metricName: `${name}_bucket` })),
      { labels: { le: '+Inf' }, value: h?.count ?? 0, metricName: `${name}_bucket` },
      { labels: {}, value: h?.sum ?? 0, metricName: `${name}_sum` },
      { labels: {}, value: h?.count ?? 0, metricName: `${name}_count` },
    ];
    return { name, help, type: 'histogram', values, aggregator: 'sum' };
  };
  return { name, help, type: 'histogram', aggregator: 'sum', get, reset: () => undefined } as unknown as Metric;
}
