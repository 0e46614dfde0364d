/**
 * The NATS ingress: the subscription on `dsiem_events` and the ingress actor behind it.
 *
 * The subscription callback only checks the bounds and queues raw payloads; once per event-loop turn they go to
 * the ingress actor in one message, which passes each through the intake (src/intake: decoded once, invalid
 * ones counted by reason, whitelisted sources dropped, the rest stamped with the clock) and hands the batch to
 * the engine. Intake is bounded, and the bounds are the subscription's pending limits: when the events waiting
 * for correlation reach `--max_queue`, or the payloads received and not yet decoded reach `--nats-pending-mb`,
 * new ones are dropped and counted (core NATS has no flow control; the overload signal asks the frontend to
 * slow down). A throwing handler loses its batch (counted and logged) and the actor resumes: intake never stops.
 */

import { dispatch, spawn, type Ref } from 'nact';
import type { NatsConnection, Subscription } from 'nats';
import { createIntake, type IntakeTally } from '../src/intake/intake.js';
import type { Clock } from '../src/shared/time.js';
import type { Engine } from './engine.js';
import type { Logger } from './logger.js';
import type { TimedEvent } from './messages.js';
import { settleWithin } from './settle-within.js';

export const EVENTS_SUBJECT = 'dsiem_events';
/** Events handed to the engine in one batch at most. */
const MAX_BATCH = 10_000;
/** How long a batch may hold the next one back (see `flush`). */
const GATE_MS = 1_000;
/** How long `stop` waits for the server to confirm the unsubscription (a hung server never does). */
export const DRAIN_TIMEOUT_MS = 2_000;

/** Why an event was dropped: the queue was full, intake was paused (alarm lines that cannot be written), or the
 * payloads received and not yet decoded reached `--nats-pending-mb`. */
export type DropReason = 'queue-full' | 'intake-paused' | 'pending-bytes';

export interface IngressStats extends IntakeTally {
  received: number;
  accepted: number;
  /** Dropped because the queue was full, intake was paused or the pending bytes were at their bound, in all and by reason. */
  dropped: number;
  droppedByReason: Partial<Record<DropReason, number>>;
  /** Lost to a failing ingress handler. */
  failed: number;
  /** Messages to the ingress actor (received / batches = the mean batch size). */
  batches: number;
}

const DROP_MESSAGES: Record<DropReason, string> = {
  'queue-full': 'event queue full, dropping events',
  'intake-paused': 'intake paused, dropping events',
  'pending-bytes': 'received events not yet decoded reached --nats-pending-mb, dropping events',
};

type IngressMsg = { readonly type: 'raw'; readonly payloads: readonly Uint8Array[] };

export interface Ingress {
  readonly stats: IngressStats;
  /** Events accepted by the subscription and not yet handed to a directive, plus those queued in directives. */
  load(): number;
  /** Stops intake and hands over what was already received. */
  stop(): Promise<void>;
}

const LOGGED_INVALID = 20;

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
  const stats: IngressStats = { received: 0, accepted: 0, invalid: 0, invalidByReason: {}, whitelisted: 0, dropped: 0, droppedByReason: {}, failed: 0, batches: 0 };
  const intake = createIntake({ assets: o.engine.assets, clock: 'wall', tally: stats });
  const maxPendingBytes = o.maxPendingBytes ?? Number.MAX_SAFE_INTEGER;
  let handedOver = 0;
  let pendingBytes = 0;
  let raw: Uint8Array[] = [];
  let scheduled = false;
  let dropLogged = 0;

  const actor = spawn(
    o.parent,
    (state: number, msg: IngressMsg) => {
      // Out of the subscription's queue from here on: handled, or lost with the batch if the handler fails.
      handedOver += msg.payloads.length;
      for (const payload of msg.payloads) pendingBytes -= payload.length;
      const batch: TimedEvent[] = [];
      const now = o.clock.now();
      for (const payload of msg.payloads) {
        const taken = intake.take(payload, now);
        if (taken.kind === 'accepted') batch.push(taken);
        else if (taken.kind === 'invalid' && stats.invalid <= LOGGED_INVALID) {
          o.log.warn('invalid event skipped', { reason: taken.reason, detail: taken.detail });
          if (stats.invalid === LOGGED_INVALID) o.log.warn('further invalid events are counted (watchdog report) but not logged');
        }
      }
      if (batch.length > 0) o.engine.ingest(batch);
      // The barrier follows the batch through every actor: it resolves once the batch is fully correlated.
      const current = gate;
      void o.engine.barrier().then(() => release(current));
      return state + 1;
    },
    'nats-ingress',
    {
      initialState: 0,
      onCrash: (msg, err, ctx) => {
        try {
          const lost = msg?.payloads.length ?? 0;
          stats.failed += lost;
          o.log.error('ingress handler failed; its batch is lost, intake goes on', { error: err instanceof Error ? err.message : String(err), lost });
          release(gate);
        } catch {
          // never throw from onCrash
        }
        return ctx.resume;
      },
    },
  );

  // One batch in the engine at a time: while it is being correlated, what arrives waits here and goes as the
  // next batch. Under load batches grow (fewer actor messages per event); when idle, an event goes at once.
  // The gate is only a throughput measure: if the engine has not finished a batch within GATE_MS, the next one
  // goes anyway, so a stuck actor can never stop intake.
  let inEngine = false;
  let gate = 0;
  let gateTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    scheduled = false;
    if (raw.length === 0 || inEngine) return;
    const payloads = raw.length > MAX_BATCH ? raw.splice(0, MAX_BATCH) : raw;
    if (payloads === raw) raw = [];
    stats.batches++;
    inEngine = true;
    const current = ++gate;
    gateTimer = setTimeout(() => release(current), GATE_MS);
    gateTimer.unref();
    dispatch(actor, { type: 'raw', payloads });
  };
  const release = (batch: number) => {
    if (batch !== gate || !inEngine) return;
    inEngine = false;
    clearTimeout(gateTimer);
    flush();
  };

  // Waiting = accepted but not handed to the engine yet + in the engine and not yet handled by every directive
  // it was routed to (directive mailboxes and queues included).
  const load = () => stats.accepted - handedOver + o.engine.stats.waiting;

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
        o.paused?.() === true ? 'intake-paused' : load() >= o.maxQueue ? 'queue-full' : pendingBytes + m.data.length > maxPendingBytes ? 'pending-bytes' : undefined;
      if (dropped !== undefined) return drop(dropped);
      stats.accepted++;
      pendingBytes += m.data.length;
      raw.push(m.data);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  });

  return {
    stats,
    load,
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
      flush();
      // Let the ingress actor hand its last batch to the engine (local work: the actor resumes after a failure).
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (handedOver < stats.accepted) await new Promise<void>((resolve) => setTimeout(resolve, 5));
    },
  };
}
