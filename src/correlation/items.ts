/**
 * The data that flows through correlation: events stamped with the clock at intake, the items a directive
 * gives a backlog (an event to offer, an order to expire), and a backlog's answer to one message of items.
 */

import type { BacklogState } from '../backlog/state.js';
import type { BacklogInput } from '../backlog/transitions.js';
import type { NormalizedEvent } from '../event/normalized-event.js';

/** An event with the clock time (ms) at which it entered the system. */
export interface TimedEvent {
  readonly event: NormalizedEvent;
  readonly now: number;
  /** Its sequence in the JetStream stream it came from (absent or 0: not from a stream). */
  readonly seq?: number;
}

/** One input for a backlog, numbered by its directive (`seq` grows with every event the directive handles). */
export type BacklogItem = Extract<BacklogInput, { type: 'event' | 'expire' }> & { readonly seq: number };

/**
 * A backlog's answer to one message: per item whether it consumed the event, and the state afterwards. Backlogs
 * answer their messages in order, so the items answered are the oldest ones in flight: `consumed` has one entry
 * per item of the message (none for a message of lookup results).
 */
export interface BacklogAck {
  readonly backlogId: string;
  readonly consumed: readonly boolean[];
  readonly state: BacklogState;
  /** The handler failed on this message: its items had no effect and the state is the last good one. */
  readonly failed?: boolean;
  /** The backlog was stopped (restart budget exhausted): forget it. */
  readonly gone?: boolean;
  /** Lookups for this backlog are running: do not stop it yet even if it ended. */
  readonly enriching?: boolean;
  /** In the answer to lookup results: whether some lookup failed (a restart makes it again). */
  readonly lookupFailed?: boolean;
}
