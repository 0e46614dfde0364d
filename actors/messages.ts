/**
 * Every actor's message protocol, as unions on `type`. Events travel in batches (nact handles one message per
 * actor per event-loop turn). Control messages from outside the actor system carry a reply callback instead
 * of a reply ref: nact's `query` uses colliding random ids and costs a temporary actor per call.
 */

import type { BacklogState, EnrichmentHit } from '../src/backlog/backlog.js';
import type { NormalizedEvent } from '../src/event/normalized-event.js';

/** An event with the clock time (ms) at which it entered the system. */
export interface TimedEvent {
  readonly event: NormalizedEvent;
  readonly now: number;
}

export type SupervisorMsg =
  | { readonly type: 'events'; readonly batch: readonly TimedEvent[] }
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'barrier'; readonly reply: () => void }
  | { readonly type: 'snapshot'; readonly reply: (backlogs: ReadonlyMap<number, readonly BacklogState[]>) => void };

export type DirectiveMsg =
  | { readonly type: 'events'; readonly batch: readonly TimedEvent[] }
  | { readonly type: 'tick'; readonly now: number }
  /** Backlog answers are waiting in the directive's ack coalescer. */
  | { readonly type: 'acks' }
  | { readonly type: 'barrier'; readonly reply: () => void }
  | { readonly type: 'snapshot'; readonly reply: (backlogs: readonly BacklogState[]) => void };

/** One item of work for a backlog: an event to offer, or an order to expire. */
export type BacklogItem =
  | {
      readonly type: 'event';
      readonly seq: number;
      readonly event: NormalizedEvent;
      readonly now: number;
      /** False when no backlog of the directive has counted this id or has it in flight (see `hasEvent`). */
      readonly maybeCounted: boolean;
    }
  | { readonly type: 'expire'; readonly seq: number; readonly now: number };

/** A backlog's answer to one message: per item whether it consumed the event, and the state afterwards. */
export interface BacklogAck {
  readonly backlogId: string;
  /** One entry per item of the message, in order. */
  readonly consumed: readonly boolean[];
  readonly seqs: readonly number[];
  readonly state: BacklogState;
  /** The handler failed on this message: its items had no effect and the state is the last good one. */
  readonly failed?: boolean;
  /** The backlog actor was stopped (restart budget exhausted): forget it. */
  readonly gone?: boolean;
  /** Lookups for this backlog are running: do not stop it yet even if it ended. */
  readonly enriching?: boolean;
}

/**
 * The items a directive has for one backlog from one batch of events (one actor message, not one per event),
 * or the results of the backlog's own intel/vulnerability lookups.
 */
export type BacklogMsg =
  | { readonly type: 'items'; readonly items: readonly BacklogItem[] }
  | { readonly type: 'enrichment'; readonly intel: readonly EnrichmentHit[]; readonly vulns: readonly EnrichmentHit[] };

export type AlarmWriterMsg =
  | { readonly type: 'flush' }
  | { readonly type: 'sync'; readonly reply: (error?: Error) => void }
  | { readonly type: 'close'; readonly reply: (error?: Error) => void };
