/**
 * One directive's share of correlation, as plain TypeScript: events are handled one at a time in arrival order
 * (D6), and for each the directive decides "consumed by an existing backlog, else maybe a new backlog". The
 * backlogs themselves run elsewhere (an actor each); the runtime reaches them through ports that its host gives
 * it, so it runs the same under nact, in a test, or in a simulation.
 *
 * - A backlog with nothing in flight is judged at once from its last reported state (`previewOffer`, exact),
 *   and is sent the event only when the event could change it, with the match already computed.
 * - A backlog with events in flight is sent the event; if the decision depends on its answer (the event could
 *   start a backlog and no backlog is known to consume it), the directive waits for that answer before taking
 *   the next event. Backlogs answer in the order they were sent items (their mailboxes are FIFO), so the
 *   decision is exactly the one a sequential run makes.
 * - Expiry follows the same rule on both sides (`isExpired`, `step`), so it does not depend on scheduling.
 * - Only backlogs the event can touch are looked at (routing-index.ts); an event whose id some backlog may
 *   already hold (D3, event-id-index.ts) is looked at against all of them.
 * - A configuration change (hot reload) is queued with the events. When it is reached, the backlogs due by the
 *   latest clock seen expire (as at a tick: with the old context); it takes effect once every item sent before
 *   is answered: events before it are decided, and stepped by the backlogs, with the old directive and context,
 *   events after it with the new ones. Live backlogs keep the rules they were created with.
 */

import { consumes, delivers, firstStageMatches, matchOf, predictOffer, previewOffer } from '../backlog/predictions.js';
import { ipKey, pairDestination, routingKey, type IpKey } from '../backlog/routing-key.js';
import { copyOf, isExpired, type BacklogContext, type BacklogState } from '../backlog/state.js';
import { startBacklog, UNKNOWN_MATCH, wantsEnrichment, wantsLookupAfterRestore, type BacklogEffect, type KnownMatch } from '../backlog/transitions.js';
import type { Directive } from '../directive/directive.js';
import type { CompiledRule } from '../rule/match-rule.js';
import { isLate } from '../overload/overload.js';
import { BacklogEntry } from './backlog-entry.js';
import { EventIdIndex } from './event-id-index.js';
import type { BacklogAck, BacklogItem, TimedEvent } from './items.js';
import { otherPair, RoutingIndex } from './routing-index.js';
import { WorkQueue } from './work-queue.js';

/** Counters shared by all directives of an engine (one thread: plain increments). */
export interface DirectiveStats {
  backlogsCreated: number;
  activeBacklogs: number;
  /** Directive-event pairs handled. */
  handled: number;
  /** Sum over handled pairs of (clock at handling - clock at intake), ms. */
  latencyMsSum: number;
  /** Items sent to backlogs and not answered yet. */
  inFlightItems: number;
  /** Events whose decision had to wait for a backlog's answer (each wait holds the directive's queue). */
  waits: number;
  /** Backlogs that ended by expiry, and by completing their last stage. */
  backlogsExpired: number;
  backlogsCompleted: number;
}

/** One directive's own counters (per-directive metrics). */
export interface DirectiveCounters {
  /** Events handled. */
  events: number;
  /** Backlogs that wrote their first alarm line. */
  alarms: number;
}

/** What the runtime needs from the world around it; `P` is how the host reaches a backlog (its port). */
export interface DirectiveHost<P> {
  /** Starts a backlog's actor. `enrichNow`: the backlog was just created with an alarm; look it up at once. */
  spawn(state: BacklogState, enrichNow: boolean): P;
  /** One message to the backlog with every item gathered for it since the last one. */
  send(port: P, items: readonly BacklogItem[]): void;
  /** The backlog ended and answered everything: its actor can go. */
  stop(port: P): void;
  /** Hands effects (alarm lines) to the writer, in order. */
  write(effects: readonly BacklogEffect[]): void;
  /** A new backlog (alarm) id for a backlog whose first event is `first`; `attempt` > 0 when the last one was taken. */
  newId(first: TimedEvent, attempt: number): string;
  /** Wall clock, ms (latency, late events). */
  now(): number;
  /** `--max_delay` in seconds (0: off), and what to call for an event that waited longer. */
  readonly maxDelaySec: number;
  onLate(nowMs: number): void;
  /** Lookups are enabled: a backlog spawned with `enrichNow` starts one. */
  readonly enriches: boolean;
  /** Told of every backlog made (for --debug logs); absent when nobody listens. */
  readonly onCreated?: (state: BacklogState, firstEventId: string) => void;
  /** Told of every decision on an event (for --trace logs); absent when nobody listens (then it costs nothing). */
  readonly onDecision?: (decision: Decision) => void;
  /**
   * A change given to `reconfigure` took effect: nothing is in flight to the backlogs, which must step every item
   * from now on with `ctx`.
   */
  readonly reconfigured?: (directive: Directive, ctx: BacklogContext) => void;
}

/** What a directive decided for one event (--trace). */
export interface Decision {
  readonly directiveId: number;
  readonly eventId: string;
  /** consumed: an existing backlog took it; created: it started a backlog; waiting: for backlogs' answers; ignored: neither. */
  readonly outcome: 'consumed' | 'created' | 'waiting' | 'ignored';
  /** Backlogs the event was sent to. */
  readonly sentTo: number;
  /** All backlogs were looked at (the event id may be in one, D3), not only those its addresses reach. */
  readonly byId: boolean;
}

/** A change queued with the events: a new directive version and context, or the end of the directive. */
class QueuedChange {
  constructor(
    readonly swap: { readonly directive: Directive; readonly ctx: BacklogContext } | undefined,
    readonly retired: ((dropped: readonly BacklogState[]) => void) | undefined,
  ) {}
}

/** A saved backlog `restore` refused, with the reason. */
export interface Refused {
  readonly id: string;
  readonly reason: string;
}

/** An event that may start a backlog, waiting for the answers of the backlogs that could consume it. */
interface Waiting {
  readonly seq: number;
  readonly timed: TimedEvent;
  readonly remaining: Set<string>;
}

/** One event's offer to the backlogs it can touch: its inputs, and what the backlogs said. */
class Round {
  consumed = false;
  undecided: Set<string> | undefined = undefined;
  sent = 0;

  constructor(
    readonly timed: TimedEvent,
    readonly seq: number,
    readonly maybeCounted: boolean,
  ) {}

  item(match: KnownMatch): BacklogItem {
    this.sent++;
    const t = this.timed;
    return { type: 'event', event: t.event, now: t.now, maybeCounted: this.maybeCounted, match, seq: this.seq };
  }
}

export class DirectiveRuntime<P> {
  private readonly entries = new Map<string, BacklogEntry<P>>();
  private readonly index = new RoutingIndex<BacklogEntry<P>>();
  private readonly ids = new EventIdIndex();
  /** Entries with items gathered for their next message. */
  private readonly dirty: Array<BacklogEntry<P>> = [];
  private readonly queue = new WorkQueue<QueuedChange>();
  private waiting: Waiting | undefined;
  /** A change taken from the queue, waiting for every item in flight to be answered. */
  private held: QueuedChange | undefined;
  /** Items sent to this directive's backlogs and not answered yet. */
  private pending = 0;
  /** Clock of the latest tick (ms): a backlog busy at a tick is checked again once it has answered. */
  private lastTick = -Infinity;
  /** Latest clock of a tick or a handled event (ms): where a configuration change checks expiry. */
  private latest = -Infinity;
  private seq = 0;
  private barriers: Array<{ readonly reply: () => void; readonly lookups: boolean }> = [];
  /** The first stage's rule, compiled: asked of every event that no backlog consumed. */
  private first: CompiledRule | undefined;
  readonly counters: DirectiveCounters = { events: 0, alarms: 0 };

  constructor(
    private current: Directive,
    private ctx: BacklogContext,
    private readonly host: DirectiveHost<P>,
    private readonly stats: DirectiveStats,
  ) {
    this.first = compileFirst(current, ctx);
  }

  /** The version new backlogs are made from. */
  get directive(): Directive {
    return this.current;
  }

  /**
   * A new version of the directive (same id and name) and context, for the events given after this call: live
   * backlogs go on with the rules they were created with, new backlogs use the new rules, and every event after
   * the change is matched with the new context (assets).
   */
  reconfigure(directive: Directive, ctx: BacklogContext): void {
    this.queue.pushChange(new QueuedChange({ directive, ctx }, undefined));
    this.drain();
  }

  /**
   * The directive leaves the configuration: once every event given so far is decided and every item answered,
   * its live backlogs are dropped (their actors stopped) and `done` gets them. Give it nothing after this.
   */
  retire(done: (dropped: readonly BacklogState[]) => void): void {
    this.queue.pushChange(new QueuedChange(undefined, done));
    this.drain();
  }

  /** Adopts saved backlogs (before any event); refuses ids already taken. Those with an alarm and no lookup result are looked up. */
  restore(states: readonly BacklogState[]): Refused[] {
    const refused: Refused[] = [];
    for (const state of states) {
      if (this.entries.has(state.id)) refused.push({ id: state.id, reason: 'a backlog with this id was already restored' });
      else this.adopt(state, wantsLookupAfterRestore(state));
    }
    return refused;
  }

  /** A batch of events, after an expiry check at the time of its first one (backlogs no event reaches still expire). */
  events(batch: readonly TimedEvent[], done?: () => void): void {
    const first = batch[0];
    if (first !== undefined) this.queue.pushTick(first.now);
    this.queue.pushBatch(batch, done);
    this.drain();
  }

  tick(now: number): void {
    this.queue.pushTick(now);
    this.drain();
  }

  answers(acks: readonly BacklogAck[]): void {
    for (const ack of acks) this.onAck(ack);
    this.drain();
  }

  /**
   * `reply` is called once everything given so far is fully processed (every backlog answered) and, with
   * `lookups`, every intel/vulnerability lookup running has been applied (a slow Wise/Nesd server delays that one).
   */
  barrier(reply: () => void, lookups = true): void {
    this.barriers.push({ reply, lookups });
    this.drain();
  }

  /**
   * Live backlogs (call when idle: after a barrier), each saying whether it owes a lookup (`lookupOwed`): one is
   * running or due, or the last one failed. For a backlog started while no lookup source was enabled (its actor
   * makes none, even after a reload enables one) that is not known here: its state keeps what it said (unknown
   * for backlogs made then), so that a restart with lookups enabled decides as for an older file. (A state whose
   * flag changes is copied for the save: with lookups enabled, most of them.)
   */
  snapshot(): BacklogState[] {
    const live: BacklogState[] = [];
    for (const entry of this.entries.values()) {
      if (entry.closing || entry.state.ended !== '') continue;
      const owed = entry.looksUp ? entry.enriching || entry.lookupFailed : entry.state.lookupOwed;
      if (entry.state.lookupOwed === owed) {
        live.push(entry.state);
      } else {
        const saved = copyOf(entry.state);
        saved.lookupOwed = owed;
        live.push(saved);
      }
    }
    return live;
  }

  get backlogs(): number {
    return this.entries.size;
  }

  get idle(): boolean {
    return this.settled(true);
  }

  /** Nothing queued or in flight (and, with `lookups`, no lookup running). */
  private settled(lookups: boolean): boolean {
    if (this.waiting !== undefined || this.held !== undefined || !this.queue.empty) return false;
    for (const entry of this.entries.values()) if (entry.inFlight.length > 0 || (lookups && entry.enriching)) return false;
    return true;
  }

  private drain(): void {
    for (;;) {
      if (this.held !== undefined) {
        if (this.pending > 0) break;
        const change = this.held;
        this.held = undefined;
        this.apply(change);
      }
      if (this.waiting !== undefined || this.queue.empty) break;
      const next = this.queue.next();
      if (typeof next === 'number') this.expireDue(next);
      else if (next instanceof QueuedChange) this.take(next);
      else this.handle(next);
    }
    this.flush();
    if (this.barriers.length > 0 && this.settled(false)) {
      const lookupsDone = this.settled(true);
      const due = this.barriers.filter((b) => lookupsDone || !b.lookups);
      if (due.length > 0) {
        this.barriers = lookupsDone ? [] : this.barriers.filter((b) => b.lookups);
        for (const b of due) b.reply();
      }
    }
  }

  /** Backlogs due by now expire under the old configuration; the change waits until they have answered. */
  private take(change: QueuedChange): void {
    if (this.latest > -Infinity) this.expireDue(this.latest);
    this.held = change;
  }

  /** Nothing is in flight: the backlogs have stepped every item sent under the old configuration. */
  private apply(change: QueuedChange): void {
    if (change.swap !== undefined) {
      this.current = change.swap.directive;
      this.ctx = change.swap.ctx;
      this.first = compileFirst(this.current, this.ctx);
      this.host.reconfigured?.(this.current, this.ctx);
    }
    if (change.retired !== undefined) change.retired(this.dropAll());
  }

  /** Forgets every backlog and stops its actor; returns the live ones. */
  private dropAll(): BacklogState[] {
    const dropped: BacklogState[] = [];
    for (const entry of [...this.entries.values()]) {
      if (!entry.closing && entry.state.ended === '') dropped.push(entry.state);
      this.forget(entry);
      this.host.stop(entry.port);
    }
    return dropped;
  }

  private send(entry: BacklogEntry<P>, item: BacklogItem): void {
    this.stats.inFlightItems++;
    this.pending++;
    if (entry.outbox.length === 0) this.dirty.push(entry);
    entry.push(item);
    if (item.type === 'event') this.ids.add(item.event.event_id);
  }

  /**
   * `send` of an event item of `round`. When no backlog held the event's id as the round began, only this round's
   * items hold it: its count is the round's items so far, set without reading the old one.
   */
  private deliver(entry: BacklogEntry<P>, round: Round, match: KnownMatch): void {
    const item = round.item(match);
    if (round.maybeCounted) {
      this.send(entry, item);
      return;
    }
    this.stats.inFlightItems++;
    this.pending++;
    if (entry.outbox.length === 0) this.dirty.push(entry);
    entry.push(item);
    this.ids.hold(round.timed.event.event_id, round.sent);
  }

  /** One message per backlog for everything gathered since the last flush. */
  private flush(): void {
    for (const entry of this.dirty) if (entry.outbox.length > 0) this.host.send(entry.port, entry.takeOutbox());
    this.dirty.length = 0;
  }

  private close(entry: BacklogEntry<P>): void {
    if (entry.closing) return;
    entry.closing = true;
    this.index.remove(entry);
  }

  private expire(entry: BacklogEntry<P>, now: number): void {
    this.close(entry);
    this.send(entry, { type: 'expire', now, seq: ++this.seq });
  }

  private expireDue(now: number): void {
    if (now > this.lastTick) this.lastTick = now;
    if (now > this.latest) this.latest = now;
    const nowSec = now / 1000;
    for (const entry of this.entries.values()) {
      if (!entry.closing && entry.inFlight.length === 0 && isExpired(entry.state, nowSec, this.ctx.minLifetimeSec)) this.expire(entry, now);
    }
  }

  private handle(timed: TimedEvent): void {
    const wall = this.host.now();
    this.stats.handled++;
    this.counters.events++;
    if (timed.now > this.latest) this.latest = timed.now;
    this.stats.latencyMsSum += wall - timed.now;
    if (this.host.maxDelaySec > 0 && isLate(timed.event.rcvd_time, wall, this.host.maxDelaySec)) this.host.onLate(wall);
    this.offer(timed);
  }

  private offer(timed: TimedEvent): void {
    const e = timed.event;
    // D3: an id some backlog holds may be counted in any of them, so all are looked at; otherwise only the
    // backlogs the event's addresses can reach, and none of them needs to look for the id.
    const maybeCounted = this.ids.has(e.event_id);
    const src = maybeCounted || e.srcAddr === undefined ? undefined : ipKey(e.srcAddr);
    const dst = maybeCounted || e.dstAddr === undefined ? undefined : ipKey(e.dstAddr);
    const bySource = src === undefined ? undefined : this.index.bySource(src);
    const byDestination = dst === undefined ? undefined : this.index.byDestination(dst);
    const seq = ++this.seq;
    let outcome: Decision['outcome'];
    let sent = 0;
    if (!maybeCounted && this.index.unkeyed.length === 0 && bySource === undefined && byDestination === undefined) {
      // No backlog the event can touch (most events of a directive with many host pairs): nothing to gather.
      outcome = this.decide(timed, seq, false, undefined);
    } else {
      const round = new Round(timed, seq, maybeCounted);
      if (maybeCounted) {
        for (const entry of this.entries.values()) this.consider(entry, round);
      } else {
        this.considerAll(this.index.unkeyed, round);
        this.considerSources(bySource, round, dst === undefined ? undefined : pairDestination(dst));
        this.considerAll(byDestination, round);
      }
      outcome = this.decide(timed, seq, round.consumed, round.undecided);
      sent = round.sent;
    }
    if (this.host.onDecision !== undefined) {
      this.host.onDecision({ directiveId: this.directive.id, eventId: e.event_id, outcome, sentTo: sent, byId: maybeCounted });
    }
  }

  private decide(timed: TimedEvent, seq: number, consumed: boolean, undecided: Set<string> | undefined): Decision['outcome'] {
    if (consumed) return 'consumed';
    if (this.first === undefined || !firstStageMatches(this.first, timed.event, this.ctx.assets)) return 'ignored';
    if (undecided === undefined) {
      this.create(timed);
      return 'created';
    }
    this.stats.waits++;
    this.waiting = { seq, timed, remaining: undecided };
    return 'waiting';
  }

  /** Backwards: considering an entry may expire it, which moves the bucket's last entry into its slot. */
  private considerAll(bucket: ReadonlyArray<BacklogEntry<P>> | undefined, round: Round): void {
    if (bucket === undefined) return;
    for (let i = bucket.length - 1; i >= 0; i--) this.consider(bucket[i] as BacklogEntry<P>, round);
  }

  /**
   * `considerAll` of a source bucket, where a backlog keyed on a pair with another destination is only checked for
   * expiry: the event cannot touch it, and `consider` would find nothing else to do (no match, no id counted). Its
   * expiry is kept here, so backlogs expire when they did before pair keys (a source's events expire its backlogs).
   */
  private considerSources(bucket: ReadonlyArray<BacklogEntry<P>> | undefined, round: Round, dst: IpKey | undefined): void {
    if (bucket === undefined) return;
    const now = round.timed.now;
    for (let i = bucket.length - 1; i >= 0; i--) {
      const entry = bucket[i] as BacklogEntry<P>;
      if (dst === undefined || !otherPair(entry, dst)) this.consider(entry, round);
      else if (!entry.closing && entry.inFlight.length === 0 && isExpired(entry.state, now / 1000, this.ctx.minLifetimeSec)) this.expire(entry, now);
    }
  }

  /** One backlog's part in an event's offer. */
  private consider(entry: BacklogEntry<P>, round: Round): void {
    if (entry.closing) return;
    const e = round.timed.event;
    const nowSec = round.timed.now / 1000;
    if (entry.inFlight.length === 0) {
      if (isExpired(entry.state, nowSec, this.ctx.minLifetimeSec)) {
        this.expire(entry, round.timed.now);
        return;
      }
      const offer = previewOffer(entry.state, e, this.ctx, round.maybeCounted, entry.rules(this.ctx.rules));
      if (consumes(offer)) round.consumed = true;
      if (delivers(offer)) this.deliver(entry, round, matchOf(offer));
      return;
    }
    const prediction = predictOffer(entry.state, e, this.ctx, entry, nowSec, round.maybeCounted, entry.rules(this.ctx.rules));
    if (prediction === 'unaffected') return;
    this.deliver(entry, round, UNKNOWN_MATCH);
    if (prediction === 'consumed') round.consumed = true;
    else (round.undecided ??= new Set()).add(entry.state.id);
  }

  private onAck(ack: BacklogAck): void {
    const entry = this.entries.get(ack.backlogId);
    if (entry === undefined) return;
    const answered = entry.settle(ack.consumed.length);
    this.ids.settle(answered, entry.state, ack.state);
    this.stats.inFlightItems -= answered.length;
    this.pending -= answered.length;
    this.count(entry.state, ack.state);
    const stageChanged = entry.state.currentStage !== ack.state.currentStage;
    entry.state = ack.state;
    entry.enriching = ack.enriching === true;
    if (ack.lookupFailed !== undefined) entry.lookupFailed = ack.lookupFailed;
    if (ack.state.ended !== '') this.close(entry);
    else if (!entry.closing && stageChanged) this.index.rekey(entry, routingKey(entry.state));
    if (ack.gone === true) {
      this.forget(entry);
    } else if (entry.closing && entry.inFlight.length === 0 && !entry.enriching) {
      this.forget(entry);
      this.host.stop(entry.port);
    } else if (!entry.closing && entry.inFlight.length === 0 && isExpired(entry.state, this.lastTick / 1000, this.ctx.minLifetimeSec)) {
      // It was busy at the last tick, which would have expired it: as if it had been idle then.
      this.expire(entry, this.lastTick);
    }
    const w = this.waiting;
    if (w === undefined) return;
    const at = answered.findIndex((item) => item.seq === w.seq);
    if (at >= 0 && ack.consumed[at] === true) {
      this.waiting = undefined;
      return;
    }
    // A backlog that is gone will not answer the items it had queued.
    if (at >= 0 || ack.gone === true) w.remaining.delete(ack.backlogId);
    if (w.remaining.size === 0) {
      this.waiting = undefined;
      this.create(w.timed);
    }
  }

  /** Alarms raised and backlogs ended, from one state to the next. */
  private count(before: BacklogState | undefined, after: BacklogState): void {
    if (after.createdTime !== 0 && (before === undefined || before.createdTime === 0)) this.counters.alarms++;
    if (after.ended !== '' && (before === undefined || before.ended === '')) {
      if (after.ended === 'expired') this.stats.backlogsExpired++;
      else this.stats.backlogsCompleted++;
    }
  }

  private forget(entry: BacklogEntry<P>): void {
    this.stats.activeBacklogs--;
    this.stats.inFlightItems -= entry.inFlight.length;
    this.pending -= entry.inFlight.length;
    for (const item of entry.settle(entry.inFlight.length)) if (item.type === 'event') this.ids.remove(item.event.event_id);
    this.ids.removeCounted(entry.state);
    this.close(entry);
    entry.takeOutbox();
    this.entries.delete(entry.state.id);
  }

  private create(timed: TimedEvent): void {
    let id = this.host.newId(timed, 0);
    for (let attempt = 1; this.entries.has(id); attempt++) id = this.host.newId(timed, attempt);
    const s = startBacklog(this.current, timed.event, this.ctx, id, timed.now);
    this.host.write(s.effects);
    this.stats.backlogsCreated++;
    this.count(undefined, s.state);
    this.host.onCreated?.(s.state, timed.event.event_id);
    this.adopt(s.state, wantsEnrichment(s));
  }

  private adopt(state: BacklogState, enrichNow: boolean): void {
    const port = this.host.spawn(state, enrichNow);
    this.stats.activeBacklogs++;
    const looksUp = this.host.enriches;
    const entry = new BacklogEntry(port, state, enrichNow && looksUp, looksUp);
    this.entries.set(state.id, entry);
    this.ids.addCounted(state);
    if (!entry.closing) this.index.add(entry, routingKey(state));
  }
}

function compileFirst(directive: Directive, ctx: BacklogContext): CompiledRule | undefined {
  const first = directive.rules[0];
  return first === undefined ? undefined : ctx.rules.compile(first);
}
