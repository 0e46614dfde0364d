/**
 * Every actor's message protocol, as unions on `type`. Events travel in batches (nact handles one message per
 * actor per event-loop turn). Control messages from outside the actor system carry a reply callback instead
 * of a reply ref: nact's `query` uses colliding random ids and costs a temporary actor per call.
 */

import type { BacklogContext, BacklogState } from '../src/backlog/state.js';
import type { DirectiveDiff } from '../src/config-files/config-diff.js';
import type { BacklogItem, TimedEvent } from '../src/correlation/items.js';
import type { Directive } from '../src/directive/directive.js';
import type { EnrichmentHit } from '../src/enrichment/hit.js';

export type { TimedEvent } from '../src/correlation/items.js';

export type SupervisorMsg =
  | { readonly type: 'events'; readonly batch: readonly TimedEvent[] }
  | { readonly type: 'tick'; readonly now: number }
  /** `lookups`: also wait for the intel/vulnerability lookups running (see DirectiveRuntime.barrier). */
  | { readonly type: 'barrier'; readonly reply: () => void; readonly lookups: boolean }
  | { readonly type: 'snapshot'; readonly reply: (backlogs: ReadonlyMap<number, readonly BacklogState[]>) => void }
  /** A hot reload, between two batches; `reply` gets the live backlogs dropped (renamed and removed directives). */
  | { readonly type: 'reload'; readonly reload: DirectivesReload; readonly reply: (droppedBacklogs: number) => void };

/** The new directive list, how it differs from the running one, and the context for events after the swap. */
export interface DirectivesReload {
  readonly directives: readonly Directive[];
  readonly diff: DirectiveDiff;
  readonly ctx: BacklogContext;
  /** `ctx` is not the running one (assets changed): unchanged directives are given it too. */
  readonly ctxChanged: boolean;
}

export type DirectiveMsg =
  /** `done` is called once the directive has handled the last event of the batch. */
  | { readonly type: 'events'; readonly batch: readonly TimedEvent[]; readonly done: () => void }
  | { readonly type: 'tick'; readonly now: number }
  /** Backlog answers are waiting in the directive's ack coalescer. */
  | { readonly type: 'acks' }
  | { readonly type: 'barrier'; readonly reply: () => void; readonly lookups: boolean }
  | { readonly type: 'snapshot'; readonly reply: (backlogs: readonly BacklogState[]) => void }
  /** A new version of the directive and context, for the events sent after this message. */
  | { readonly type: 'reconfigure'; readonly directive: Directive; readonly ctx: BacklogContext }
  /** The directive left the configuration: finish what was sent, drop the live backlogs, stop. */
  | { readonly type: 'retire'; readonly reason: 'renamed' | 'removed'; readonly reply: (droppedBacklogs: number) => void };

/**
 * The items a directive has for one backlog from one batch of events (one actor message, not one per event),
 * or the results of the backlog's own intel/vulnerability lookups.
 */
export type BacklogMsg =
  | { readonly type: 'items'; readonly items: readonly BacklogItem[] }
  /** `failed`: some lookup failed (its source down): the backlog still owes it (see `lookupOwed`). */
  | { readonly type: 'enrichment'; readonly intel: readonly EnrichmentHit[]; readonly vulns: readonly EnrichmentHit[]; readonly failed: boolean };

export type AlarmWriterMsg =
  | { readonly type: 'flush' }
  /** Writes every queued line and makes both files durable (fsync). */
  | { readonly type: 'sync'; readonly reply: (error?: Error) => void }
  | { readonly type: 'close'; readonly reply: (error?: Error) => void };
