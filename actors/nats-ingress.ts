/**
 * The core NATS ingress: the subscription on `dsiem_events`, feeding the ingress pipeline (ingress-pipeline.ts).
 *
 * The subscription callback only checks the bounds and queues raw payloads. Intake is bounded, and the bounds are
 * the subscription's pending limits: when the events waiting for correlation reach `--max_queue`, or the payloads
 * received and not yet decoded reach `--nats-pending-mb`, new ones are dropped and counted (core NATS has no flow
 * control; the overload signal asks the frontend to slow down).
 */

import type { Ref } from 'nact';
import type { NatsConnection, Subscription } from 'nats';
import type { Clock } from '../src/shared/time.js';
import type { Engine } from './engine.js';
import { startIngressPipeline, type DropReason, type IngressStats } from './ingress-pipeline.js';
import type { Logger } from './logger.js';
import { settleWithin } from './settle-within.js';

export type { DropReason, IngressStats } from './ingress-pipeline.js';

export const EVENTS_SUBJECT = 'dsiem_events';
/** How long `stop` waits for the server to confirm the unsubscription (a hung server never does). */
export const DRAIN_TIMEOUT_MS = 2_000;

const DROP_MESSAGES: Record<DropReason, string> = {
  'queue-full': 'event queue full, dropping events',
  'intake-paused': 'intake paused, dropping events',
  'pending-bytes': 'received events not yet decoded reached --nats-pending-mb, dropping events',
};

export interface Ingress {
  readonly stats: IngressStats;
  /** Events accepted and not yet handed to a directive, plus those queued in directives. */
  load(): number;
  /** Stops intake and hands over what was already received. */
  stop(): Promise<void>;
}

export function startNatsIngress(o: {
  readonly nc: NatsConnection;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly maxQueue: number;
  /** Bytes of payloads received and not yet decoded, at most (`--nats-pending-mb`); default no bound. */
  readonly maxPendingBytes?: number;
  readonly log: Logger;
  readonly parent: Ref<unknown>;
  /** Called when an event is dropped because the queue is full (the backend is overloaded). */
  readonly onDrop?: (nowMs: number) => void;
  /** Asked for each event: true while intake is paused (such events are dropped and counted as `intake-paused`). */
  readonly paused?: () => boolean;
}): Ingress {
  const pipeline = startIngressPipeline({ engine: o.engine, clock: o.clock, log: o.log, parent: o.parent, name: 'nats-ingress' });
  const stats = pipeline.stats;
  const maxPendingBytes = o.maxPendingBytes ?? Number.MAX_SAFE_INTEGER;
  let dropLogged = 0;

  const drop = (reason: DropReason) => {
    stats.dropped++;
    stats.droppedByReason[reason] = (stats.droppedByReason[reason] ?? 0) + 1;
    o.onDrop?.(o.clock.now());
    if (dropLogged === 0 || stats.dropped - dropLogged >= 10_000) {
      dropLogged = stats.dropped;
      o.log.warn(DROP_MESSAGES[reason], { reason, maxQueue: o.maxQueue, maxPendingBytes, droppedSoFar: stats.dropped });
    }
  };

  const sub: Subscription = o.nc.subscribe(EVENTS_SUBJECT, {
    callback: (err, m) => {
      if (err !== null) {
        o.log.error('subscription error', { subject: EVENTS_SUBJECT, error: err.message });
        return;
      }
      stats.received++;
      const dropped: DropReason | undefined =
        o.paused?.() === true
          ? 'intake-paused'
          : pipeline.load() >= o.maxQueue
            ? 'queue-full'
            : pipeline.pendingBytes + m.data.length > maxPendingBytes
              ? 'pending-bytes'
              : undefined;
      if (dropped !== undefined) return drop(dropped);
      pipeline.push(m.data);
    },
  });

  return {
    stats,
    load: pipeline.load,
    stop: async () => {
      // Drain: every message the server delivered before the unsubscription is still handed over. A server that
      // does not answer (hung, unreachable) must not hold the shutdown: after the bound, the subscription is
      // closed here without its confirmation, and what the server had not sent yet is not received.
      const drained = await settleWithin(sub.drain(), DRAIN_TIMEOUT_MS);
      if (drained !== 'done') {
        o.log.warn('could not drain the subscription; closing it without the server', { error: drained === 'timeout' ? `no answer within ${DRAIN_TIMEOUT_MS} ms` : drained.message });
        try {
          sub.unsubscribe();
        } catch {
          // already closed
        }
      }
      await pipeline.settle();
    },
  };
}
