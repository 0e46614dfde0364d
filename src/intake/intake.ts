/**
 * The intake of events, the same for `serve` (NATS payloads) and `replay` (lines of a file): one raw event in,
 * checked once (size, UTF-8, JSON, the event's fields), refused events counted by reason, whitelisted sources
 * dropped, and the rest stamped with the clock time at which they entered the system. Pure: the clock value is an
 * argument, and the counters are the tally the caller owns.
 */

import type { NetworkAssets } from '../asset/network-assets.js';
import { decodeEventJson, type EventRejection, type NormalizedEvent } from '../event/normalized-event.js';

/** Events above this size are refused without parsing (a normalized event is about 1 KB). */
export const MAX_EVENT_BYTES = 64 * 1024;

/** Why an event was refused: one name each, used alike in logs, the stats reply and the replay summary. */
export type InvalidReason = EventRejection | 'not-utf8' | 'too-large';

export interface IntakeTally {
  invalid: number;
  invalidByReason: Partial<Record<InvalidReason, number>>;
  whitelisted: number;
}

/**
 * How an accepted event is stamped. `wall`: with the time given (serve: the wall clock). `event-time`: with the
 * later of the time given and the event's own time (replay: the clock is the latest event time seen so far).
 */
export type IntakeClock = 'wall' | 'event-time';

/** An accepted event; it is also the engine's timed event (`event`, `now`), so no second object is made. */
export interface AcceptedEvent {
  readonly kind: 'accepted';
  readonly event: NormalizedEvent;
  /** The clock time (ms) at which the event entered the system. */
  readonly now: number;
  /** Its sequence in the JetStream stream it came from (0: not from a stream). */
  readonly seq: number;
}

export interface InvalidEvent {
  readonly kind: 'invalid';
  readonly reason: InvalidReason;
  readonly detail: string;
}

export type IntakeOutcome = AcceptedEvent | InvalidEvent | { readonly kind: 'whitelisted' };

export interface Intake {
  readonly tally: IntakeTally;
  /** One raw event (a NATS payload, a line of a file) at clock time `nowMs`; `seq`: its stream sequence, if any. */
  take(raw: Uint8Array, nowMs: number, seq?: number): IntakeOutcome;
}

export interface IntakeOptions {
  readonly assets: Pick<NetworkAssets, 'isWhitelisted'>;
  readonly clock: IntakeClock;
  /** Counters to count into (for example a stats object with more fields); a fresh one by default. */
  readonly tally?: IntakeTally;
}

const WHITELISTED: IntakeOutcome = Object.freeze({ kind: 'whitelisted' });

export function newTally(): IntakeTally {
  return { invalid: 0, invalidByReason: {}, whitelisted: 0 };
}

export function createIntake(o: IntakeOptions): Intake {
  const tally = o.tally ?? newTally();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const refuse = (reason: InvalidReason, detail: string): InvalidEvent => {
    tally.invalid++;
    tally.invalidByReason[reason] = (tally.invalidByReason[reason] ?? 0) + 1;
    return { kind: 'invalid', reason, detail };
  };
  const take = (raw: Uint8Array, nowMs: number, seq = 0): IntakeOutcome => {
    if (raw.length > MAX_EVENT_BYTES) return refuse('too-large', `bigger than ${MAX_EVENT_BYTES} bytes`);
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      return refuse('not-utf8', 'not valid UTF-8');
    }
    const decoded = decodeEventJson(text);
    if (!decoded.ok) return refuse(decoded.error.reason, decoded.error.detail);
    const event = decoded.value;
    if (o.assets.isWhitelisted(event.srcAddr)) {
      tally.whitelisted++;
      return WHITELISTED;
    }
    const now = o.clock === 'event-time' && event.time * 1000 > nowMs ? event.time * 1000 : nowMs;
    return { kind: 'accepted', event, now, seq };
  };
  return { tally, take };
}
