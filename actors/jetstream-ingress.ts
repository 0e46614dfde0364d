/**
 * JetStream mode (`--jetstream`): events are kept by NATS until the backend has them in a checkpoint.
 *
 * - The stream (`--js-stream`, default DSIEM_EVENTS) captures `dsiem_events`, so the unchanged Go frontend's
 *   plain publishes are kept: made when missing (file storage, limits `--js-max-age`, `--js-max-bytes`), used as
 *   it is when present, refused at start when it does not capture that subject.
 * - A durable pull consumer per node (`dsiem-backend-<node>`) is placed at start where the checkpoint left off
 *   (or, without one, where its last acknowledgement left off), so events published while the backend was down
 *   are correlated once it is back; events the stream dropped meanwhile (its limits) are counted and reported.
 * - Messages are fetched only while the engine has room (`--max_queue`): nothing is dropped for a full queue, the
 *   stream holds what the backend has not taken. Each event carries its stream sequence and the time the server
 *   stored it, which is its correlation time (the same when it is correlated again after a crash).
 * - Acknowledgements go up to a checkpoint's sequence once the checkpoint is on disk (acknowledge-all policy).
 */

import type { Ref } from 'nact';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type Consumer,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  type StreamInfo,
} from 'nats';
import { DeliveryReader } from '../src/intake/delivery-info.js';
import { consumerDoneSeq, fetchExpiryMs, MAX_FETCH_EXPIRY_MS, MIN_FETCH_EXPIRY_MS } from '../src/intake/stream-fetch.js';
import type { Clock } from '../src/shared/time.js';
import type { Engine } from './engine.js';
import { startIngressPipeline, type IngressStats } from './ingress-pipeline.js';
import type { Logger } from './logger.js';
import { EVENTS_SUBJECT, type Ingress } from './nats-ingress.js';
import { requireOptional } from './require-optional.js';
import { valueWithin } from './settle-within.js';

/**
 * Messages asked for in one fetch at most. A fetch returns when it has all it asked for, or at its expiry (see
 * fetchExpiryMs: from the NATS round trip, 1 s on a local link), so the size follows the traffic: it doubles
 * while fetches fill up, and falls to what came in one wait when they do not (an event waits at most a fraction of
 * the expiry under a trickle, and a fetch brings thousands under load).
 */
const FETCH_MAX = 10_000;
/** The round trip is measured again this often (and after each placement of the consumer). */
const RTT_EVERY_MS = 60_000;
/** Placements in a row without a new event taken before intake is said to be stuck (then every 100 more). */
const STUCK_PLACEMENTS = 10;
/** At most one error line this often for events the stream dropped while the backend was running. */
const LOST_LOG_EVERY_MS = 10_000;
/** A stop waits this long at most for a fetch in progress (then closes it: the next start places the consumer anew). */
const STOP_FETCH_WAIT_MS = 1_000;
/** Unacknowledged messages the server lets the consumer hold: enough for many checkpoint intervals at full speed. */
const MAX_ACK_PENDING = 5_000_000;
/** Redelivery of a message not acknowledged in this time (ignored here by its sequence; acks come with checkpoints). */
const ACK_WAIT_MS = 10 * 60_000;
const RETRY_MAX_MS = 2_000;

export class JetStreamError extends Error {
  override readonly name = 'JetStreamError';
}

export interface StreamSettings {
  readonly name: string;
  readonly maxAgeSec: number;
  /** 0: no bound. */
  readonly maxBytes: number;
  readonly durable: string;
}

/** The stream as the checkpoints know it: its name and creation time (sequences are only meaningful in it). */
export interface StreamIdentity {
  readonly name: string;
  readonly created: string;
}

/** A consumer name from the node name: NATS names cannot hold `.`, `*`, `>`, `/`, `\` or white space. */
export function durableName(node: string): string {
  const safe = node.replace(/[.*>/\\\s]/g, '_');
  return `dsiem-backend-${safe === '' ? 'default' : safe}`;
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  return e.code === '404' || e.api_error?.err_code === 10059 || e.api_error?.err_code === 10014 || /not found/i.test(e.message ?? '');
}

/**
 * The nats.js the intake was written for. It relies on two things the client's types do not show, both read in
 * its code: a message's reply subject (`JsMsgImpl.reply`, read by a `DeliveryReader` instead of the slower `info`), and
 * `fetch()` honouring `callback` as `consume()` does. Another version is refused at start, naming this file, rather
 * than misbehaving later (a fetch whose callback were ignored would take nothing).
 */
export const FETCH_NATS_VERSION = '2.29.3';

/** What differs from the nats.js the intake was written for (empty: all as expected). */
export function natsFetchMismatches(version: unknown, jsMsgPrototype: object | undefined): string[] {
  const problems: string[] = [];
  if (version !== FETCH_NATS_VERSION) problems.push(`nats version is ${String(version)}, the JetStream intake was written for ${FETCH_NATS_VERSION}`);
  if (typeof (jsMsgPrototype === undefined ? undefined : Object.getOwnPropertyDescriptor(jsMsgPrototype, 'reply'))?.get !== 'function') problems.push('nats/lib/jetstream/jsmsg.js: JsMsgImpl has no reply getter');
  return problems;
}

function checkNatsFetch(): void {
  const problems = natsFetchMismatches(
    requireOptional<{ version?: unknown }>('nats/package.json')?.version,
    requireOptional<{ JsMsgImpl?: { prototype: object } }>('nats/lib/jetstream/jsmsg.js')?.JsMsgImpl?.prototype,
  );
  if (problems.length > 0) throw new JetStreamError(`the JetStream intake (actors/jetstream-ingress.ts) does not know this nats.js: ${problems.join('; ')}`);
}

/** The stream that captures `dsiem_events`: made when missing, used as it is when present, refused when it captures other subjects. */
export async function prepareStream(nc: NatsConnection, s: StreamSettings, log: Logger): Promise<{ jsm: JetStreamManager; info: StreamInfo }> {
  checkNatsFetch();
  let jsm: JetStreamManager;
  try {
    jsm = await nc.jetstreamManager();
  } catch (err) {
    throw new JetStreamError(
      `--jetstream (DSIEM_JETSTREAM) needs JetStream on the NATS server, which answered: ${(err as Error).message}. Run nats-server 2.x with -js (Dsiem's compose ships nats 1.x: upgrade the NATS service)`,
      { cause: err },
    );
  }
  try {
    const info = await jsm.streams.info(s.name);
    const subjects = info.config.subjects ?? [];
    if (!subjects.includes(EVENTS_SUBJECT)) {
      throw new JetStreamError(
        `JetStream stream ${s.name} (--js-stream) exists with subjects ${JSON.stringify(subjects)}, which do not capture ${EVENTS_SUBJECT}: give another stream name, or add the subject to that stream`,
      );
    }
    if (info.config.retention !== RetentionPolicy.Limits) {
      // Interest and work-queue streams delete a message once acknowledged, and when the consumer is made again
      // (the backend places it anew at every start): a restart after a crash would find the events gone.
      throw new JetStreamError(
        `JetStream stream ${s.name} (--js-stream) has retention "${info.config.retention}": the backend needs "limits" retention (the stream keeps events by --js-max-age and --js-max-bytes, whoever acknowledged them), since with "${info.config.retention}" the server deletes events the backend still needs after a crash, and several nodes cannot each see every event. Give another stream name, or make that stream again with limits retention`,
      );
    }
    log.info('jetstream stream found, used as it is', { stream: s.name, subjects, maxAgeSec: info.config.max_age / 1e9, maxBytes: info.config.max_bytes, messages: info.state.messages });
    return { jsm, info };
  } catch (err) {
    if (err instanceof JetStreamError || !isNotFound(err)) throw err instanceof JetStreamError ? err : new JetStreamError(`cannot read JetStream stream ${s.name}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const info = await jsm.streams.add({
      name: s.name,
      subjects: [EVENTS_SUBJECT],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(s.maxAgeSec * 1000),
      max_bytes: s.maxBytes > 0 ? s.maxBytes : -1,
    });
    log.info('jetstream stream created', { stream: s.name, subject: EVENTS_SUBJECT, maxAgeSec: s.maxAgeSec, maxBytes: s.maxBytes > 0 ? s.maxBytes : 'no bound' });
    return { jsm, info };
  } catch (err) {
    throw new JetStreamError(`cannot create JetStream stream ${s.name} for ${EVENTS_SUBJECT}: ${(err as Error).message}`, { cause: err });
  }
}

export interface ConsumerStart {
  /** The first sequence the consumer delivers. */
  readonly seq: number;
  /** Events the stream no longer holds between where the backend stood and its first message (limits). */
  readonly lost: number;
  readonly from: 'checkpoint' | 'consumer' | 'stream start';
  /**
   * How far the position asked for was past the stream's last message (a stream restored from a backup, or a
   * checkpoint not of this stream's history): the consumer starts after the last message instead, since a
   * position past it would take every new event for one already taken.
   */
  readonly ahead: number;
}

/**
 * Places the node's durable consumer: after `after` (the checkpoint's sequence) when there is one (for this
 * stream), else after its last acknowledgement, else at the stream's start; never past the stream's last message.
 * The consumer is made anew each time, so its settings are always these.
 */
export async function placeConsumer(jsm: JetStreamManager, stream: StreamInfo, durable: string, after: number | undefined): Promise<ConsumerStart> {
  const lastSeq = stream.state.last_seq;
  const ahead = after !== undefined && after > lastSeq ? after - lastSeq : 0;
  const checkpointSeq = ahead > 0 ? lastSeq : after;
  let acked: number | undefined;
  try {
    const consumer = await jsm.consumers.info(stream.config.name, durable);
    acked = consumerDoneSeq(consumer.ack_floor.stream_seq, consumer.config.deliver_policy === DeliverPolicy.StartSequence ? consumer.config.opt_start_seq : undefined);
  } catch (err) {
    if (!isNotFound(err)) throw new JetStreamError(`cannot read JetStream consumer ${durable}: ${(err as Error).message}`, { cause: err });
  }
  const from: ConsumerStart['from'] = checkpointSeq !== undefined ? 'checkpoint' : acked !== undefined ? 'consumer' : 'stream start';
  const wanted = checkpointSeq !== undefined ? checkpointSeq + 1 : acked !== undefined ? Math.min(acked, lastSeq) + 1 : 1;
  const first = Math.max(stream.state.first_seq, 1);
  const seq = Math.max(wanted, first);
  const lost = from === 'stream start' ? 0 : Math.max(0, first - wanted);
  if (acked !== undefined) await jsm.consumers.delete(stream.config.name, durable);
  await jsm.consumers.add(stream.config.name, {
    durable_name: durable,
    filter_subject: EVENTS_SUBJECT,
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: seq,
    max_ack_pending: MAX_ACK_PENDING,
    ack_wait: nanos(ACK_WAIT_MS),
  });
  return { seq, lost, from, ahead };
}

export interface JetStreamStats {
  /** Messages delivered again that the backend had taken already (ignored). */
  redelivered: number;
  /** Fetches that failed (a NATS restart, a leader change), retried. */
  fetchErrors: number;
  /** Highest stream sequence taken. */
  taken: number;
  /** Highest stream sequence acknowledged. */
  acked: number;
  /**
   * Messages the stream had dropped before the backend could take them: at start, when the consumer is placed again,
   * and while running (a gap in the sequences of a stream that captures only dsiem_events).
   */
  lost: number;
  /** Times the consumer was placed again after the last sequence taken (messages not received, a failed fetch). */
  replaced: number;
}

export interface JetStreamIngress extends Ingress {
  readonly stream: JetStreamStats;
  /**
   * Stops taking messages (they wait in the stream) until `resume`; resolves once the fetch in progress, if any,
   * has ended and everything taken is handed to the engine (then `position` stays put).
   */
  pause(): Promise<void>;
  resume(): void;
  /** The highest sequence taken so far, and a token to acknowledge up to it later. */
  position(): { readonly seq: number; readonly ack: () => void };
  /** The stream held nothing more than what was taken, at the last fetch. */
  readonly caughtUp: boolean;
  /** Wall clock (ms) when a fetch last found nothing more in the stream than what was taken (0: not yet). */
  readonly caughtUpAtMs: number;
  /** The latest time (ms) the server stored a message taken: the correlation clock while catching up. */
  readonly streamClockMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function startJetStreamIngress(o: {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly durable: string;
  readonly start: ConsumerStart;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly maxQueue: number;
  readonly log: Logger;
  readonly parent: Ref<unknown>;
  /**
   * The stream captures dsiem_events only: a gap in the sequences taken is then events it dropped (its limits, a
   * purge). A stream that captures other subjects too has gaps of their messages, which are not counted.
   */
  readonly onlyEvents: boolean;
  /** Asked before each fetch: true while intake is paused (alarm lines that cannot be written). */
  readonly paused?: () => boolean;
  /** Called once, the first time the intake has caught up with the stream. */
  readonly onCaughtUp?: () => void;
}): JetStreamIngress {
  const pipeline = startIngressPipeline({ engine: o.engine, clock: o.clock, log: o.log, parent: o.parent, name: 'jetstream-ingress' });
  const stats: IngressStats = pipeline.stats;
  const js: JetStreamStats = { redelivered: 0, fetchErrors: 0, taken: o.start.seq - 1, acked: 0, lost: o.start.lost, replaced: 0 };
  /** The latest message taken from the consumer as it is placed now (acknowledging it acknowledges all before it). */
  let last: JsMsg | undefined;
  let running = true;
  let pausedHere = false;
  /** Told when the loop stands still at a pause. */
  let stillWaiters: Array<() => void> = [];
  let caughtUp = false;
  let caughtUpAtMs = 0;
  let toldCaughtUp = false;
  let streamClockMs = 0;
  let consumer: Consumer | undefined;
  /** Delivery (consumer) sequence of the last first delivery seen from the consumer as it is placed now. */
  let delivered = 0;
  /** Why the consumer must be placed again at the first sequence not taken, before the next fetch. */
  let replace: string | undefined;
  /** Placements of the consumer so far: a token of `position` acknowledges only through the consumer it came from. */
  let placement = 0;
  /** Placements in a row with no new event taken between them. */
  let placedWithoutProgress = 0;
  let expiresMs = MIN_FETCH_EXPIRY_MS;
  let rttMs = 0;
  let rttAtMs = -Infinity;
  /** The fetch in progress (a stop closes it). */
  let fetching: { close(): Promise<void | Error> } | undefined;
  /** Events the stream dropped while running, not logged yet, and when that was last logged. */
  let lostUnlogged = 0;
  let lostLoggedAtMs = -Infinity;

  /** The fetch expiry from the NATS round trip, measured again now and then (a failed measure keeps the last). */
  const measureRtt = async (force: boolean) => {
    const now = o.clock.now();
    if (!force && now - rttAtMs < RTT_EVERY_MS) return;
    rttAtMs = now;
    // A hung server answers no ping: the fetch that follows fails on its own timer; the expiry stays as it was.
    const measured = await valueWithin(o.nc.rtt(), MAX_FETCH_EXPIRY_MS);
    if (measured === 'timeout' || measured instanceof Error) return;
    rttMs = measured.value;
    const next = fetchExpiryMs(rttMs);
    if (next !== expiresMs) o.log.info('jetstream fetch expiry set from the NATS round trip', { rttMs, fetchExpiryMs: next });
    expiresMs = next;
  };

  /**
   * The consumer placed again right after the last sequence taken: the server counted as delivered messages the
   * backend did not get (a fetch the client closed before they arrived), or the consumer is gone or failed.
   * Sequences are never skipped: what was not taken comes again, in order.
   */
  const placeAgain = async (why: string) => {
    const takenBefore = js.taken;
    const info = await o.jsm.streams.info(o.stream);
    const placed = await placeConsumer(o.jsm, info, o.durable, js.taken);
    consumer = await o.nc.jetstream().consumers.get(o.stream, o.durable);
    delivered = 0;
    // Acknowledgements of messages of the consumer as it was are not needed: it starts past them. A token given
    // out before now must not acknowledge through this consumer either (see position).
    last = undefined;
    placement++;
    js.replaced++;
    js.lost += placed.lost;
    // What the consumer skips now (dropped by the stream, or a stream shorter than what was taken) is no gap later.
    js.taken = placed.seq - 1;
    js.acked = Math.min(js.acked, js.taken);
    const fields = { stream: o.stream, consumer: o.durable, why, nextSeq: placed.seq, replaced: js.replaced };
    if (placed.ahead > 0) {
      // The stream holds fewer messages than the backend took (deleted and made again under the same name and
      // creation time, restored from a backup): new messages get sequences already taken, and would be ignored.
      o.log.error("the stream's last message is before the last event taken (the stream was replaced or restored?): events from the stream's end on are taken", { ...fields, takenBefore, lastSeq: info.state.last_seq });
    } else if (placed.lost > 0) o.log.error('the stream no longer holds events the backend had not taken (its limits dropped them)', { ...fields, lost: placed.lost });
    else if (js.replaced === 1 || js.replaced % 100 === 0) o.log.warn('jetstream consumer placed again after the last event taken', { ...fields, rttMs, fetchExpiryMs: expiresMs });
    else o.log.debug('jetstream consumer placed again after the last event taken', fields);
    placedWithoutProgress++;
    if (placedWithoutProgress === STUCK_PLACEMENTS || (placedWithoutProgress > STUCK_PLACEMENTS && placedWithoutProgress % 100 === 0)) {
      o.log.error('jetstream intake takes no new event: each fetch loses messages and the consumer is placed again', { ...fields, placementsInARow: placedWithoutProgress, rttMs, fetchExpiryMs: expiresMs });
    }
    await measureRtt(true);
  };

  /** A gap in the sequences of a stream of events only: messages it dropped (limits, a purge) before they were taken. */
  const noteGap = (missing: number) => {
    js.lost += missing;
    lostUnlogged += missing;
    const now = o.clock.now();
    if (now - lostLoggedAtMs < LOST_LOG_EVERY_MS) return;
    o.log.error('the stream dropped events before the backend took them (its limits: the backend is behind by more than they allow)', { stream: o.stream, consumer: o.durable, lost: lostUnlogged, lostInAll: js.lost, nextSeq: js.taken + 1 });
    lostUnlogged = 0;
    lostLoggedAtMs = now;
  };

  const deliveries = new DeliveryReader();
  /** Takes one message; false when the consumer must be placed again (a message the backend did not get). */
  const take = (m: JsMsg): boolean => {
    // `reply` is JsMsgImpl's (see FETCH_NATS_VERSION).
    const reply = (m as JsMsg & { readonly reply: string }).reply;
    const info = deliveries.read(reply);
    if (info === undefined) throw new JetStreamError(`a message of consumer ${o.durable} has no JetStream delivery info (reply subject ${JSON.stringify(reply.slice(0, 120))})`);
    const seq = info.streamSeq;
    const redelivered = info.deliveries > 1;
    if (!redelivered) {
      if (info.deliverySeq !== delivered + 1) {
        replace = `delivery ${info.deliverySeq} after ${delivered}: messages sent were not received`;
        return false;
      }
      delivered = info.deliverySeq;
    }
    if (seq <= js.taken) {
      js.redelivered++;
      return true;
    }
    if (redelivered) {
      replace = `stream sequence ${seq} delivered again but never taken`;
      return false;
    }
    if (o.onlyEvents && seq > js.taken + 1) noteGap(seq - js.taken - 1);
    placedWithoutProgress = 0;
    js.taken = seq;
    last = m;
    caughtUp = info.pending === 0;
    if (caughtUp) caughtUpAtMs = o.clock.now();
    const timeMs = info.timestampMs;
    if (timeMs > streamClockMs) streamClockMs = timeMs;
    stats.received++;
    pipeline.push(m.data, { seq, timeMs });
    return true;
  };

  /**
   * One fetch of up to `asked` messages, each taken as it arrives (a callback, not an async iterator: no promises
   * per message); resolves with how many came once the fetch has ended (all came, its expiry, or a message that
   * was not taken: then it is closed and what else arrives is left for the next placement). A failed fetch throws.
   */
  const fetchOnce = async (c: Consumer, asked: number): Promise<number> => {
    let got = 0;
    let open = true;
    const options = {
      max_messages: asked,
      expires: expiresMs,
      callback: (m: JsMsg) => {
        if (!open) return;
        got++;
        if (running && take(m)) return;
        open = false;
        void fetching?.close();
      },
    };
    // `callback` is what nats.js's consume() takes; its fetch() honours it the same way (see FETCH_NATS_VERSION).
    const fetched = await c.fetch(options as Parameters<Consumer['fetch']>[0]);
    fetching = fetched;
    try {
      if (!open) void fetched.close();
      const err = await fetched.closed();
      if (err instanceof Error) throw err;
    } finally {
      open = false;
      fetching = undefined;
    }
    return got;
  };

  const loop = async () => {
    let failures = 0;
    let batch = 1;
    await measureRtt(true);
    while (running) {
      const room = o.maxQueue - pipeline.load();
      if (pausedHere && stillWaiters.length > 0) {
        const waiters = stillWaiters;
        stillWaiters = [];
        for (const w of waiters) w();
      }
      if (pausedHere || o.paused?.() === true || room <= 0) {
        await sleep(5);
        continue;
      }
      try {
        if (replace !== undefined) {
          await placeAgain(replace);
          replace = undefined;
        }
        await measureRtt(false);
        consumer ??= await o.nc.jetstream().consumers.get(o.stream, o.durable);
        const asked = Math.min(batch, room);
        const got = await fetchOnce(consumer, asked);
        if (!running) break;
        if (replace !== undefined) continue;
        if (got < asked) {
          // The fetch ended at its expiry: messages the server sent at its very end may have come after the
          // client closed it (then they are lost to this fetch, and counted delivered by the server).
          const info = await o.jsm.consumers.info(o.stream, o.durable);
          if (info.delivered.consumer_seq > delivered) {
            replace = `the server delivered up to ${info.delivered.consumer_seq}, ${info.delivered.consumer_seq - delivered} not received`;
            continue;
          }
          if (got === 0 || info.num_pending === 0) {
            caughtUp = true;
            caughtUpAtMs = o.clock.now();
          }
        }
        if (caughtUp && !toldCaughtUp) {
          toldCaughtUp = true;
          o.onCaughtUp?.();
        }
        batch = got >= asked ? Math.min(FETCH_MAX, batch * 2) : Math.max(1, Math.ceil(got / 4));
        failures = 0;
      } catch (err) {
        js.fetchErrors++;
        failures++;
        // Whatever the fetch was doing when it failed, the next one starts right after the last event taken.
        replace ??= `fetch failed: ${(err as Error).message}`;
        if (failures === 1 || failures % 50 === 0) o.log.warn('jetstream fetch failed, retrying', { stream: o.stream, consumer: o.durable, error: (err as Error).message, failures });
        await sleep(Math.min(RETRY_MAX_MS, 50 * 2 ** Math.min(failures, 6)));
      }
    }
  };
  const done = loop().catch((err: Error) => {
    o.log.error('jetstream intake stopped', { stream: o.stream, consumer: o.durable, error: err.message });
  });

  return {
    stats,
    stream: js,
    load: pipeline.load,
    pause: async () => {
      pausedHere = true;
      await Promise.race([new Promise<void>((resolve) => stillWaiters.push(resolve)), done]);
      await pipeline.settle();
    },
    resume: () => {
      pausedHere = false;
    },
    position: () => {
      const seq = js.taken;
      const msg = last;
      const placedAs = placement;
      return {
        seq,
        ack: () => {
          // A message of the consumer as it was placed before carries that consumer's delivery sequence: the
          // consumer made again under the same name would take it for one of its own, far ahead, and ignore the
          // acknowledgements that come after. The next checkpoint acknowledges through the new one.
          if (msg === undefined || seq <= js.acked || placedAs !== placement) return;
          msg.ack();
          js.acked = seq;
        },
      };
    },
    get caughtUp() {
      return caughtUp;
    },
    get caughtUpAtMs() {
      return caughtUpAtMs;
    },
    get streamClockMs() {
      return streamClockMs;
    },
    stop: async () => {
      running = false;
      // A fetch in progress ends within its expiry; it is closed after a moment (what the server sends afterwards
      // is not taken: the next start places the consumer anew), and a hung server is not waited for.
      if ((await Promise.race([done.then(() => true), sleep(STOP_FETCH_WAIT_MS).then(() => false)])) === false) {
        void fetching?.close().catch(() => undefined);
        await Promise.race([done, sleep(STOP_FETCH_WAIT_MS)]);
      }
      await pipeline.settle();
    },
  };
}
