/**
 * The ingress actor and what feeds it, the same for core NATS and JetStream: raw payloads are queued as they
 * arrive, and once per event-loop turn go to the ingress actor in one message, which passes each through the
 * intake (src/intake: decoded once, invalid ones counted by reason, whitelisted sources dropped, the rest stamped)
 * and hands the batch to the engine. One batch is in the engine at a time; what arrives meanwhile waits here and
 * goes as the next one (under load batches grow: fewer actor messages per event). A throwing handler loses its
 * batch (counted and logged) and the actor resumes: intake never stops.
 */

import { dispatch, spawn, type Ref } from 'nact';
import { createIntake, type IntakeTally } from '../src/intake/intake.js';
import type { Clock } from '../src/shared/time.js';
import type { Engine } from './engine.js';
import type { Logger } from './logger.js';
import type { TimedEvent } from './messages.js';

/** Events handed to the engine in one batch at most. */
const MAX_BATCH = 10_000;
/**
 * How long a batch may hold the next one back. The gate is only a throughput measure: if the engine has not
 * finished a batch within it, the next one goes anyway, so a stuck actor can never stop intake.
 */
const GATE_MS = 1_000;
const LOGGED_INVALID = 20;

/** Why an event was dropped: the queue was full, intake was paused (alarm lines that cannot be written), or the
 * payloads received and not yet decoded reached `--nats-pending-mb`. JetStream mode drops nothing. */
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

export function newIngressStats(): IngressStats {
  return { received: 0, accepted: 0, invalid: 0, invalidByReason: {}, whitelisted: 0, dropped: 0, droppedByReason: {}, failed: 0, batches: 0 };
}

/** Where a JetStream message stands in its stream: its sequence, and the time the server stored it (ms). */
export interface StreamStamp {
  readonly seq: number;
  readonly timeMs: number;
}

type IngressMsg = {
  readonly type: 'raw';
  readonly payloads: readonly Uint8Array[];
  /** JetStream only: per payload, its stream position. */
  readonly stamps: readonly StreamStamp[] | undefined;
};

export interface IngressPipeline {
  readonly stats: IngressStats;
  /** Queues one accepted payload (stats.accepted counts it). */
  push(payload: Uint8Array, stamp?: StreamStamp): void;
  /** Bytes of payloads queued and not yet decoded. */
  readonly pendingBytes: number;
  /** Events accepted but not handed to the engine yet, plus those in the engine not yet handled by every directive. */
  load(): number;
  /** Hands over what is queued and resolves once the ingress actor has taken all of it. */
  settle(): Promise<void>;
}

export function startIngressPipeline(o: {
  readonly engine: Engine;
  /** The clock that stamps core NATS events (JetStream events carry the time the server stored them). */
  readonly clock: Clock;
  readonly log: Logger;
  readonly parent: Ref<unknown>;
  readonly name: string;
}): IngressPipeline {
  const stats = newIngressStats();
  const intake = createIntake({ assets: o.engine.assets, clock: 'wall', tally: stats });
  let handedOver = 0;
  let pendingBytes = 0;
  let raw: Uint8Array[] = [];
  let stamps: StreamStamp[] | undefined;
  let scheduled = false;

  const actor = spawn(
    o.parent,
    (state: number, msg: IngressMsg) => {
      // Out of the queue from here on: handled, or lost with the batch if the handler fails.
      handedOver += msg.payloads.length;
      // Indexed, like the loop below: this runs once per batch, mostly before the optimising compiler takes it, and
      // a for-of there makes an iterator result per payload.
      for (let i = 0; i < msg.payloads.length; i++) pendingBytes -= (msg.payloads[i] as Uint8Array).length;
      const batch: TimedEvent[] = [];
      const now = o.clock.now();
      for (let i = 0; i < msg.payloads.length; i++) {
        const stamp = msg.stamps?.[i];
        const taken = stamp === undefined ? intake.take(msg.payloads[i] as Uint8Array, now) : intake.take(msg.payloads[i] as Uint8Array, stamp.timeMs, stamp.seq);
        if (taken.kind === 'accepted') batch.push(taken);
        else if (taken.kind === 'invalid' && stats.invalid <= LOGGED_INVALID) {
          o.log.warn('invalid event skipped', { reason: taken.reason, detail: taken.detail, ...(stamp !== undefined ? { streamSeq: stamp.seq } : {}) });
          if (stats.invalid === LOGGED_INVALID) o.log.warn('further invalid events are counted (watchdog report) but not logged');
        }
      }
      if (batch.length > 0) o.engine.ingest(batch);
      // The barrier follows the batch through every actor: it resolves once the batch is fully correlated (lookups,
      // which never delay correlation, are not waited for).
      const current = gate;
      void o.engine.barrier({ lookups: false }).then(() => release(current));
      return state + 1;
    },
    o.name,
    {
      initialState: 0,
      onCrash: (msg, err, ctx) => {
        try {
          const lost = msg?.payloads.length ?? 0;
          stats.failed += lost;
          // JetStream: the stream still holds them (by these sequences) for a replay; the checkpoints go past them.
          const seqs = msg?.stamps !== undefined && msg.stamps.length > 0 ? { firstStreamSeq: msg.stamps[0]?.seq, lastStreamSeq: msg.stamps[msg.stamps.length - 1]?.seq } : {};
          o.log.error('ingress handler failed; its batch is lost, intake goes on', { error: err instanceof Error ? err.message : String(err), lost, ...seqs });
          release(gate);
        } catch {
          // never throw from onCrash
        }
        return ctx.resume;
      },
    },
  );

  let inEngine = false;
  let gate = 0;
  let gateTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    scheduled = false;
    if (raw.length === 0 || inEngine) return;
    const all = raw.length <= MAX_BATCH;
    const payloads = all ? raw : raw.splice(0, MAX_BATCH);
    const batchStamps = stamps === undefined ? undefined : all ? stamps : stamps.splice(0, MAX_BATCH);
    if (all) {
      raw = [];
      stamps = stamps === undefined ? undefined : [];
    }
    stats.batches++;
    inEngine = true;
    const current = ++gate;
    gateTimer = setTimeout(() => release(current), GATE_MS);
    gateTimer.unref();
    dispatch(actor, { type: 'raw', payloads, stamps: batchStamps });
  };
  const release = (batch: number) => {
    if (batch !== gate || !inEngine) return;
    inEngine = false;
    clearTimeout(gateTimer);
    flush();
  };

  return {
    stats,
    push(payload, stamp) {
      stats.accepted++;
      pendingBytes += payload.length;
      raw.push(payload);
      if (stamp !== undefined) (stamps ??= []).push(stamp);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    get pendingBytes() {
      return pendingBytes;
    },
    load: () => stats.accepted - handedOver + o.engine.stats.waiting,
    async settle() {
      flush();
      // Let the ingress actor hand its last batches to the engine (local work: the actor resumes after a failure).
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (handedOver < stats.accepted) {
        flush();
        await new Promise<void>((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}
