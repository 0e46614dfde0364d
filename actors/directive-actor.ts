/**
 * One actor per directive. Events arrive in batches, are handled one at a time in arrival order (D6), and for
 * each event the directive decides "consumed by an existing backlog, else maybe a new backlog":
 *
 * - A backlog with no event in flight is judged at once from its last known state (`previewOffer`, pure),
 *   and is sent the event only when the event could change it.
 * - A backlog with events in flight is sent the event; if the decision depends on its answer (the event could
 *   start a backlog and nobody is known to consume it), the directive waits for that answer before taking the
 *   next event. Backlogs answer in the order they were sent events (actor mailboxes are FIFO), so the decision
 *   is exactly the one a sequential run makes.
 * - Expiry uses the same rule on both sides (`isExpired`, `offerEvent`), so it does not depend on scheduling.
 * - Only backlogs the event can touch are looked at: backlogs are indexed by their routing key (the single
 *   source or destination host all their remaining rules require, `routingKey`); an event whose id may already
 *   be in a backlog (D3) is looked at against all of them.
 *
 * The decision logic lives in `src/backlog`; this actor only keeps the bookkeeping: refs, states last
 * reported, events in flight, the index.
 */

import { dispatch, spawn, stop, type Ref } from 'nact';
import {
  createBacklog,
  isExpired,
  predictOffer,
  previewOffer,
  startsBacklog,
  wantsEnrichment,
  type BacklogState,
  type InFlight,
} from '../src/backlog/backlog.js';
import { ipKey, routingKey, type IpKey, type RoutingKey } from '../src/backlog/routing-key.js';
import { idsAddedSince, idsToArray } from '../src/backlog/event-ids.js';
import type { Directive } from '../src/directive/directive.js';
import { isLate } from '../src/overload/overload.js';
import { enrichesAtStart, spawnBacklog, type BacklogDeps } from './backlog-actor.js';
import type { BacklogAck, BacklogItem, BacklogMsg, DirectiveMsg, TimedEvent } from './messages.js';
import { resumeAndLog } from './supervision.js';
import { Coalescer } from './coalescer.js';

/** Counters shared by all directive actors (one thread: plain increments). */
export interface DirectiveStats {
  backlogsCreated: number;
  activeBacklogs: number;
  /** Events routed to a directive and not handled yet (a directive-event pair counts once). */
  queued: number;
  handled: number;
  /** Sum over handled events of (clock at handling - clock at intake), ms. */
  latencyMsSum: number;
  /** Items sent to backlog actors and not answered yet. */
  inFlightItems: number;
}

export interface DirectiveDeps extends BacklogDeps {
  /** New backlog ids (alarm ids). */
  readonly newId: () => string;
  readonly stats: BacklogDeps['stats'] & DirectiveStats;
  /** `--max_delay` in seconds (0: off) and what to call for a late event. */
  readonly maxDelaySec: number;
  readonly onLate: (nowMs: number) => void;
}

/** Most backlogs have nothing in flight most of the time: they share this empty list (no array each). */
const NO_ITEMS: readonly BacklogItem[] = Object.freeze([]);

/** Appends in place to a list this module made, or starts one when the list is the shared empty one. */
function withItem(list: readonly BacklogItem[], item: BacklogItem): readonly BacklogItem[] {
  if (list.length === 0) return [item];
  (list as BacklogItem[]).push(item);
  return list;
}

/** A live backlog as its directive sees it. */
class Entry implements InFlight {
  /** Items sent (or about to be sent) and not answered yet, oldest first. */
  inFlight: readonly BacklogItem[] = NO_ITEMS;
  /** Items gathered for the next message to this backlog. */
  outbox: readonly BacklogItem[] = NO_ITEMS;
  /** Ended or told to expire: gets no more events; removed once its answers are in. */
  closing: boolean;
  /** Its intel/vulnerability lookups are running (it may still re-write its alarm). */
  enriching: boolean;
  key: RoutingKey;
  minTime = Infinity;

  constructor(
    readonly ref: Ref<BacklogMsg>,
    public state: BacklogState,
    enriching: boolean,
  ) {
    this.closing = state.ended !== '';
    this.enriching = enriching;
    this.key = routingKey(state);
  }

  get count(): number {
    return this.inFlight.length;
  }

  /** Only asked for ids the directive already holds somewhere (redeliveries, D3): a scan is fine. */
  hasId(eventId: string): boolean {
    return this.inFlight.some((item) => item.type === 'event' && item.event.event_id === eventId);
  }

  push(item: BacklogItem): void {
    this.inFlight = withItem(this.inFlight, item);
    this.outbox = withItem(this.outbox, item);
    if (item.type === 'event' && item.event.time < this.minTime) this.minTime = item.event.time;
  }

  /** Removes the n oldest items (answered); returns them. */
  settle(n: number): readonly BacklogItem[] {
    const all = n >= this.inFlight.length;
    const done = all ? this.inFlight : this.inFlight.slice(0, n);
    this.inFlight = all ? NO_ITEMS : this.inFlight.slice(n);
    this.minTime = Infinity;
    for (const item of this.inFlight) if (item.type === 'event' && item.event.time < this.minTime) this.minTime = item.event.time;
    return done;
  }
}

/**
 * What waits to be handled, in order: batches of events as they came (kept whole: no copy per event) and clock
 * ticks (a time in ms). `head` is the next segment, `offset` the next event in it when it is a batch.
 */
class WorkQueue {
  private segments: Array<readonly TimedEvent[] | number> = [];
  private head = 0;
  private offset = 0;

  pushBatch(batch: readonly TimedEvent[]): void {
    if (batch.length > 0) this.segments.push(batch);
  }

  pushTick(now: number): void {
    this.segments.push(now);
  }

  get empty(): boolean {
    return this.head >= this.segments.length;
  }

  /** The next item: an event or a tick time. Call only when not empty. */
  next(): TimedEvent | number {
    const segment = this.segments[this.head] as readonly TimedEvent[] | number;
    if (typeof segment === 'number') {
      this.advance();
      return segment;
    }
    const timed = segment[this.offset++] as TimedEvent;
    if (this.offset >= segment.length) this.advance();
    return timed;
  }

  private advance(): void {
    this.head++;
    this.offset = 0;
    if (this.head >= this.segments.length) {
      this.segments = [];
      this.head = 0;
    }
  }
}

interface Waiting {
  readonly seq: number;
  readonly timed: TimedEvent;
  readonly remaining: Set<string>;
}

/** Routing index: entries by the host all their remaining rules require; the rest in `unkeyed`. */
class RoutingIndex {
  private readonly bySrc = new Map<IpKey, Set<Entry>>();
  private readonly byDst = new Map<IpKey, Set<Entry>>();
  readonly unkeyed = new Set<Entry>();

  add(entry: Entry): void {
    this.bucket(entry.key, true).add(entry);
  }

  remove(entry: Entry): void {
    const bucket = this.bucket(entry.key, false);
    bucket.delete(entry);
    if (entry.key !== undefined && bucket.size === 0) (entry.key.side === 'src' ? this.bySrc : this.byDst).delete(entry.key.key);
  }

  rekey(entry: Entry): void {
    const next = routingKey(entry.state);
    if (next?.side === entry.key?.side && next?.key === entry.key?.key) return;
    this.remove(entry);
    entry.key = next;
    this.add(entry);
  }

  /** Keyed entries an event from / to this host can touch (besides `unkeyed`). */
  bySource(key: IpKey): ReadonlySet<Entry> | undefined {
    return this.bySrc.get(key);
  }

  byDestination(key: IpKey): ReadonlySet<Entry> | undefined {
    return this.byDst.get(key);
  }

  private bucket(key: RoutingKey, create: boolean): Set<Entry> {
    if (key === undefined) return this.unkeyed;
    const map = key.side === 'src' ? this.bySrc : this.byDst;
    let set = map.get(key.key);
    if (set === undefined) {
      set = new Set();
      if (create) map.set(key.key, set);
    }
    return set;
  }
}

/** The state of one offer while the directive walks the backlogs the event can touch. */
class Offering {
  timed: TimedEvent | undefined;
  seq = 0;
  nowSec = 0;
  maybeCounted = false;
  consumed = false;
  undecided: Set<string> | undefined;
  /** The item sent to backlogs, made when the first one is sent it. */
  item: BacklogItem | undefined;

  itemFor(): BacklogItem {
    if (this.item !== undefined) return this.item;
    const timed = this.timed as TimedEvent;
    this.item = { type: 'event', seq: this.seq, event: timed.event, now: timed.now, maybeCounted: this.maybeCounted };
    return this.item;
  }
}

class DirectiveRuntime {
  private readonly entries = new Map<string, Entry>();
  private readonly index = new RoutingIndex();
  /** Event ids counted or in flight in any live backlog, with how many hold them (D3 check). */
  private readonly ids = new Map<string, number>();
  private readonly dirty = new Set<Entry>();
  /** The event being offered (one at a time; reused, so an offer allocates nothing for backlogs it skips). */
  private readonly offering = new Offering();
  private readonly considerEntry = (entry: Entry): void => this.consider(entry);
  private readonly queue = new WorkQueue();
  private waiting: Waiting | undefined;
  private seq = 0;
  private barriers: Array<() => void> = [];
  private restored: readonly BacklogState[];
  private self: Ref<DirectiveMsg> | undefined;
  /** Backlog answers, delivered with one message per batch of them. */
  private readonly acks = new Coalescer<BacklogAck>(() => {
    if (this.self !== undefined) dispatch(this.self, { type: 'acks' });
  });
  private readonly ack = (a: BacklogAck) => this.acks.post(a);

  constructor(
    private readonly directive: Directive,
    private readonly deps: DirectiveDeps,
    restored: readonly BacklogState[],
  ) {
    this.restored = restored;
  }

  /** Spawns the actors of backlogs restored from a snapshot (once the directive's own ref exists). */
  start(self: Ref<DirectiveMsg>): void {
    this.self = self;
    for (const state of this.restored) this.adopt(state);
    this.restored = [];
  }

  handle(msg: DirectiveMsg): void {
    switch (msg.type) {
      case 'events': {
        // Backlogs that no event reaches still expire on time: an expiry check before each batch.
        const first = msg.batch[0];
        if (first !== undefined) this.queue.pushTick(first.now);
        this.queue.pushBatch(msg.batch);
        this.deps.stats.queued += msg.batch.length;
        break;
      }
      case 'tick':
        this.queue.pushTick(msg.now);
        break;
      case 'acks':
        for (const ack of this.acks.take()) this.onAck(ack);
        break;
      case 'barrier':
        this.barriers.push(msg.reply);
        break;
      case 'snapshot':
        msg.reply([...this.entries.values()].filter((e) => !e.closing && e.state.ended === '').map((e) => e.state));
        return;
    }
    this.drain();
  }

  private drain(): void {
    while (this.waiting === undefined && !this.queue.empty) {
      const item = this.queue.next();
      if (typeof item === 'number') this.expireDue(item);
      else this.handleEvent(item);
    }
    this.flushOutboxes();
    if (this.barriers.length > 0 && this.isIdle()) {
      const replies = this.barriers;
      this.barriers = [];
      for (const reply of replies) reply();
    }
  }

  private isIdle(): boolean {
    if (this.waiting !== undefined || !this.queue.empty) return false;
    for (const entry of this.entries.values()) if (entry.inFlight.length > 0 || entry.enriching) return false;
    return true;
  }

  private countId(id: string, delta: number): void {
    const n = (this.ids.get(id) ?? 0) + delta;
    if (n <= 0) this.ids.delete(id);
    else this.ids.set(id, n);
  }

  private send(entry: Entry, item: BacklogItem): void {
    this.deps.stats.inFlightItems++;
    entry.push(item);
    if (item.type === 'event') this.countId(item.event.event_id, 1);
    this.dirty.add(entry);
  }

  /** One message per backlog for everything gathered since the last flush. */
  private flushOutboxes(): void {
    for (const entry of this.dirty) {
      if (entry.outbox.length === 0) continue;
      dispatch(entry.ref, { type: 'items', items: entry.outbox });
      entry.outbox = NO_ITEMS;
    }
    this.dirty.clear();
  }

  private close(entry: Entry): void {
    if (entry.closing) return;
    entry.closing = true;
    this.index.remove(entry);
  }

  private expire(entry: Entry, now: number): void {
    this.close(entry);
    this.send(entry, { type: 'expire', seq: ++this.seq, now });
  }

  private expireDue(now: number): void {
    const nowSec = now / 1000;
    for (const entry of this.entries.values()) {
      if (!entry.closing && entry.inFlight.length === 0 && isExpired(entry.state, nowSec, this.deps.minLifetimeSec)) this.expire(entry, now);
    }
  }

  private handleEvent(timed: TimedEvent): void {
    const stats = this.deps.stats;
    const wall = this.deps.clock.now();
    stats.queued--;
    stats.handled++;
    stats.latencyMsSum += wall - timed.now;
    if (this.deps.maxDelaySec > 0 && isLate(timed.event.rcvd_time, wall, this.deps.maxDelaySec)) this.deps.onLate(wall);
    this.offer(timed);
  }

  private offer(timed: TimedEvent): void {
    const { event } = timed;
    const o = this.offering;
    o.timed = timed;
    o.seq = ++this.seq;
    o.nowSec = timed.now / 1000;
    // D3: an id some backlog holds may be counted in any of them, so all are looked at; otherwise only the
    // backlogs the event's addresses can reach, and none of them needs to look for the id.
    o.maybeCounted = this.ids.has(event.event_id);
    o.item = undefined;
    o.consumed = false;
    o.undecided = undefined;
    // forEach with one bound function: no iterator objects per bucket walked.
    if (o.maybeCounted) {
      this.entries.forEach(this.considerEntry);
    } else {
      this.index.unkeyed.forEach(this.considerEntry);
      const src = event.srcAddr && this.index.bySource(ipKey(event.srcAddr));
      if (src !== undefined) src.forEach(this.considerEntry);
      const dst = event.dstAddr && this.index.byDestination(ipKey(event.dstAddr));
      if (dst !== undefined) dst.forEach(this.considerEntry);
    }
    const { consumed, undecided, seq } = o;
    o.timed = undefined;
    o.item = undefined;
    if (consumed || !startsBacklog(this.directive, event, this.deps.ctx.assets)) return;
    if (undecided === undefined) this.create(timed);
    else this.waiting = { seq, timed, remaining: undecided };
  }

  /** One backlog's part in the offer of `this.offering`'s event. */
  private consider(entry: Entry): void {
    if (entry.closing) return;
    const o = this.offering;
    const timed = o.timed as TimedEvent;
    const assets = this.deps.ctx.assets;
    const lifetime = this.deps.minLifetimeSec;
    if (entry.inFlight.length === 0) {
      if (isExpired(entry.state, o.nowSec, lifetime)) {
        this.expire(entry, timed.now);
        return;
      }
      const offer = previewOffer(entry.state, timed.event, assets, o.maybeCounted);
      if (offer.consumed) o.consumed = true;
      if (offer.deliver) this.send(entry, o.itemFor());
      return;
    }
    const prediction = predictOffer(entry.state, timed.event, assets, entry, o.nowSec, lifetime, o.maybeCounted);
    if (prediction === 'unaffected') return;
    this.send(entry, o.itemFor());
    if (prediction === 'consumed') o.consumed = true;
    else (o.undecided ??= new Set()).add(entry.state.id);
  }

  private onAck(ack: BacklogAck): void {
    const entry = this.entries.get(ack.backlogId);
    if (entry === undefined) return;
    this.settleIds(entry.settle(ack.seqs.length), entry.state, ack.state);
    this.deps.stats.inFlightItems -= ack.seqs.length;
    const stageChanged = entry.state.currentStage !== ack.state.currentStage;
    entry.state = ack.state;
    entry.enriching = ack.enriching === true;
    if (ack.state.ended !== '') this.close(entry);
    else if (!entry.closing && stageChanged) this.index.rekey(entry);
    if (ack.gone === true) {
      this.forget(entry);
    } else if (entry.closing && entry.inFlight.length === 0 && !entry.enriching) {
      this.forget(entry);
      stop(entry.ref);
    }
    const w = this.waiting;
    if (w === undefined) return;
    const at = ack.seqs.indexOf(w.seq);
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

  /**
   * The id index after an answer: the answered events are no longer in flight (-1 each) and the ids the backlog
   * counted since its last known state are held (+1 each; id lists only grow). Usually the backlog counted exactly
   * the answered events, in order: then nothing changes and the index is not touched.
   */
  private settleIds(settled: readonly BacklogItem[], before: BacklogState, after: BacklogState): void {
    const added: string[] = [];
    if (before !== after) {
      for (let i = 0; i < after.stages.length; i++) {
        const ids = after.stages[i]?.event_ids;
        const known = before.stages[i]?.event_ids;
        if (ids !== known) for (const id of idsAddedSince(ids, known)) added.push(id);
      }
    }
    let k = 0;
    let same = true;
    for (const item of settled) {
      if (item.type !== 'event') continue;
      if (added[k] !== item.event.event_id) {
        same = false;
        break;
      }
      k++;
    }
    if (same && k === added.length) return;
    for (const item of settled) if (item.type === 'event') this.countId(item.event.event_id, -1);
    for (const id of added) this.countId(id, 1);
  }

  private forget(entry: Entry): void {
    this.deps.stats.activeBacklogs--;
    this.deps.stats.inFlightItems -= entry.inFlight.length;
    for (const item of entry.settle(entry.inFlight.length)) if (item.type === 'event') this.countId(item.event.event_id, -1);
    for (const stage of entry.state.stages) for (const id of idsToArray(stage.event_ids)) this.countId(id, -1);
    this.close(entry);
    entry.outbox = NO_ITEMS;
    this.entries.delete(entry.state.id);
  }

  private create(timed: TimedEvent): void {
    let id = this.deps.newId();
    while (this.entries.has(id)) id = this.deps.newId();
    const t = createBacklog(this.directive, timed.event, this.deps.ctx, id, timed.now);
    this.deps.output.write(t.effects);
    this.deps.stats.backlogsCreated++;
    this.adopt(t.state, wantsEnrichment(t));
  }

  private adopt(state: BacklogState, enrichNow = false): void {
    if (this.self === undefined) throw new Error(`directive ${this.directive.id} adopted a backlog before it started`);
    const ref = spawnBacklog(this.self, this.ack, state, this.deps, enrichNow);
    this.deps.stats.activeBacklogs++;
    const entry = new Entry(ref, state, enrichNow && enrichesAtStart(this.deps));
    this.entries.set(state.id, entry);
    for (const stage of state.stages) for (const id of idsToArray(stage.event_ids)) this.countId(id, 1);
    if (!entry.closing) this.index.add(entry);
  }
}

/** Spawns a directive actor; `restored` are backlogs from a snapshot (their actors are spawned at once). */
export function spawnDirective(
  parent: Ref<unknown>,
  directive: Directive,
  deps: DirectiveDeps,
  restored: readonly BacklogState[] = [],
): Ref<DirectiveMsg> {
  const runtime = new DirectiveRuntime(directive, deps, restored);
  const ref = spawn(
    parent,
    (state: number, msg: DirectiveMsg) => {
      runtime.handle(msg);
      return state + 1;
    },
    `directive-${directive.id}`,
    {
      initialState: 0,
      onCrash: resumeAndLog(deps.log, 'directive actor', { directiveId: directive.id }),
    },
  );
  runtime.start(ref);
  return ref;
}
