/**
 * Every actor's message protocol, as unions on `type`. Events travel in batches (nact handles one message per
 * actor per event-loop turn). Control messages from outside the actor system carry a reply callback instead
 * of a reply ref: nact's `query` uses colliding random ids and costs a temporary actor per call.
 */

import type { BacklogState } from '../src/backlog/backlog.js';
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
  | { readonly type: 'ack'; readonly ack: BacklogAck }
  | { readonly type: 'barrier'; readonly reply: () => void }
  | { readonly type: 'snapshot'; readonly reply: (backlogs: readonly BacklogState[]) => void };

/** A backlog's answer to an event or an expiry order: its new state, and whether it consumed the event. */
export interface BacklogAck {
  readonly backlogId: string;
  readonly seq: number;
  readonly consumed: boolean;
  readonly state: BacklogState;
  /** The handler failed on this message (the state is the last good one). */
  readonly failed?: boolean;
  /** The backlog actor was stopped (restart budget exhausted): forget it. */
  readonly gone?: boolean;
}

export type BacklogMsg =
  | { readonly type: 'event'; readonly seq: number; readonly event: NormalizedEvent; readonly now: number }
  | { readonly type: 'expire'; readonly seq: number; readonly now: number };

export type AlarmWriterMsg =
  | { readonly type: 'flush' }
  | { readonly type: 'sync'; readonly reply: (error?: Error) => void }
  | { readonly type: 'close'; readonly reply: (error?: Error) => void };
