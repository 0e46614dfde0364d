/**
 * A live backlog as its directive sees it: the state it last reported, the items sent to it and not answered
 * yet (what `predictOffer` reasons about), the items gathered for its next message, and its place in the
 * routing index. `port` is how the directive's host reaches the backlog (an actor ref under nact).
 */

import type { RoutingKey } from '../backlog/routing-key.js';
import type { InFlight } from '../backlog/predictions.js';
import type { BacklogState } from '../backlog/state.js';
import type { CompiledRule } from '../rule/match-rule.js';
import type { RuleBook } from '../rule/rule-book.js';
import type { BacklogItem } from './items.js';
import type { Routable } from './routing-index.js';

/** Most backlogs have nothing in flight most of the time: they share this empty list (no array each). */
const NO_ITEMS: readonly BacklogItem[] = Object.freeze([]);

/** Appends in place to a list this module made, or starts one when the list is the shared empty one. */
function withItem(list: readonly BacklogItem[], item: BacklogItem): readonly BacklogItem[] {
  if (list.length === 0) return [item];
  (list as BacklogItem[]).push(item);
  return list;
}

export class BacklogEntry<P> implements InFlight, Routable {
  /** Items sent (or about to be sent) and not answered yet, oldest first. */
  inFlight: readonly BacklogItem[] = NO_ITEMS;
  /** Items gathered for the next message to this backlog. */
  outbox: readonly BacklogItem[] = NO_ITEMS;
  /** Ended or told to expire: gets no more events; forgotten once its answers are in. */
  closing: boolean;
  /** Its intel/vulnerability lookups are running (it may still re-write its alarm). */
  enriching: boolean;
  /** Some of its last lookups failed (a source was down), or their results could not be applied. */
  lookupFailed = false;
  /**
   * `minTime` as last computed and kept up by `push`; undefined until asked, and again once `settle` took items.
   * (Not Infinity when empty: a number that is not a small integer would be a boxed number per backlog.)
   */
  private earliest: number | undefined = undefined;
  /** The backlog's rules compiled (they never change for a backlog), made when first asked for. */
  private compiledRules: readonly CompiledRule[] | undefined = undefined;
  key: RoutingKey = undefined;
  bucket: Routable[] | undefined = undefined;
  slot = -1;

  constructor(
    readonly port: P,
    public state: BacklogState,
    enriching: boolean,
    /** Lookups were enabled when its actor started: only then does it make them (and can it owe one). */
    readonly looksUp: boolean,
  ) {
    this.closing = state.ended !== '';
    this.enriching = enriching;
  }

  rules(book: RuleBook): readonly CompiledRule[] {
    return (this.compiledRules ??= book.compileAll(this.state.rules));
  }

  get count(): number {
    return this.inFlight.length;
  }

  /**
   * Earliest valid event time among the events in flight (Infinity: none); asked only while some are, for every
   * event offered to the backlog then, so it is kept instead of walked each time (a hot backlog has hundreds).
   */
  get minTime(): number {
    if (this.earliest !== undefined) return this.earliest;
    let min = Infinity;
    for (const item of this.inFlight) if (item.type === 'event' && item.event.time < min) min = item.event.time;
    this.earliest = min;
    return min;
  }

  /** Only asked for ids the directive already holds somewhere (redeliveries, D3): a scan is fine. */
  hasId(eventId: string): boolean {
    return this.inFlight.some((item) => item.type === 'event' && item.event.event_id === eventId);
  }

  push(item: BacklogItem): void {
    if (this.earliest !== undefined && item.type === 'event' && item.event.time < this.earliest) this.earliest = item.event.time;
    this.inFlight = withItem(this.inFlight, item);
    this.outbox = withItem(this.outbox, item);
  }

  /** Takes the gathered items (for one message); the next push starts a new outbox. */
  takeOutbox(): readonly BacklogItem[] {
    const items = this.outbox;
    this.outbox = NO_ITEMS;
    return items;
  }

  /** Removes the n oldest items (answered); returns them. */
  settle(n: number): readonly BacklogItem[] {
    const all = n >= this.inFlight.length;
    const done = all ? this.inFlight : this.inFlight.slice(0, n);
    this.inFlight = all ? NO_ITEMS : this.inFlight.slice(n);
    this.earliest = undefined;
    return done;
  }
}
