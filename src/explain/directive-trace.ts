/**
 * One directive's correlation taken one work item at a time, keeping what each step saw: the sequential meaning
 * of correlation (src/correlation/sequential.ts: every live backlog is offered every event with `step`, a new
 * backlog starts when none consumed the event and it matches stage 1) with, per item, the states before and the
 * steps taken. `explain` and coverage are built on these records; a property test checks that folding a work list
 * through here gives exactly `correlateSequentially`'s backlogs and effects, which the directive runtime is proven
 * equal to.
 */

import { idsToArray } from '../backlog/event-ids.js';
import { startsBacklog } from '../backlog/predictions.js';
import { deadlineOf, isExpired, type BacklogContext, type BacklogState } from '../backlog/state.js';
import { startBacklog, step, UNKNOWN_MATCH, type Step } from '../backlog/transitions.js';
import type { TimedEvent } from '../correlation/items.js';
import type { Directive } from '../directive/directive.js';

/** A live backlog's answer to one input: its state before, and the step it took. */
export interface BacklogStep {
  readonly before: BacklogState;
  readonly step: Step;
}

/** What one event did in one directive. */
export interface DirectiveOffer {
  readonly directive: Directive;
  readonly timed: TimedEvent;
  /** Every backlog that was live, in the order they were created. */
  readonly answers: readonly BacklogStep[];
  /** Some backlog consumed the event (so it starts no backlog). */
  readonly consumed: boolean;
  /** The backlog the event started, when none consumed it and it matched stage 1. */
  readonly created: Step | undefined;
  /** False when no live backlog had counted the event's id (then no backlog's id lists needed a look). */
  readonly maybeCounted: boolean;
}

export class DirectiveTrace {
  private live: BacklogState[] = [];
  private readonly taken = new Set<string>();
  /**
   * How many live backlogs counted each event id. `step` is told when none did (`maybeCounted` false, D3), so it
   * does not walk the backlogs' id lists for every event: a hint that never changes a step's result, and without
   * which a long trace would cost the events times the events counted.
   */
  private readonly counted = new Map<string, number>();
  /** Earliest deadline (Unix s, before the minimum lifetime) among the live backlogs; Infinity when none. */
  private earliest = Infinity;

  constructor(
    readonly directive: Directive,
    private readonly ctx: BacklogContext,
    private readonly newId: () => string,
  ) {}

  /** Live backlogs, oldest first. */
  get backlogs(): readonly BacklogState[] {
    return this.live;
  }

  /** Earliest deadline (Unix s, before the minimum lifetime) among the live backlogs; Infinity when none. */
  get earliestDeadline(): number {
    return this.earliest;
  }

  /** Could a tick at `nowMs` expire anything? (a cheap test before `expireDue`) */
  mayExpire(nowMs: number): boolean {
    return this.earliest < nowMs / 1000 - this.ctx.minLifetimeSec;
  }

  /** A clock tick: every live backlog whose deadline passed expires, oldest first. */
  expireDue(nowMs: number): BacklogStep[] {
    const expired: BacklogStep[] = [];
    if (!this.mayExpire(nowMs)) return expired;
    this.live = this.live.filter((state) => {
      if (!isExpired(state, nowMs / 1000, this.ctx.minLifetimeSec)) return true;
      expired.push({ before: state, step: step(state, { type: 'expire', now: nowMs }, this.ctx) });
      this.forget(state);
      return false;
    });
    this.earliest = earliestDeadline(this.live);
    return expired;
  }

  /** An event: offered to every live backlog in turn, then maybe a new backlog. */
  offer(timed: TimedEvent): DirectiveOffer {
    let consumed = false;
    const answers: BacklogStep[] = [];
    const next: BacklogState[] = [];
    const maybeCounted = this.counted.has(timed.event.event_id);
    let earliest = Infinity;
    for (const state of this.live) {
      const s = step(state, { type: 'event', event: timed.event, now: timed.now, maybeCounted, match: UNKNOWN_MATCH }, this.ctx);
      answers.push({ before: state, step: s });
      consumed ||= s.consumed;
      this.note(s);
      if (s.state.ended !== '') continue;
      next.push(s.state);
      earliest = Math.min(earliest, deadlineOf(s.state));
    }
    this.live = next;
    let created: Step | undefined;
    if (!consumed && startsBacklog(this.directive, timed.event, this.ctx)) {
      let id = this.newId();
      while (this.taken.has(id)) id = this.newId();
      this.taken.add(id);
      created = startBacklog(this.directive, timed.event, this.ctx, id, timed.now);
      this.note(created);
      if (created.state.ended === '') {
        this.live.push(created.state);
        earliest = Math.min(earliest, deadlineOf(created.state));
      }
    }
    this.earliest = earliest;
    return { directive: this.directive, timed, answers, consumed, created, maybeCounted };
  }

  /** Keeps the id counts: ids a step counted, and all of a backlog's ids when it ends. */
  private note(s: Step): void {
    for (const e of s.effects) if (e.type === 'alarm-event') this.counted.set(e.record.event_id, (this.counted.get(e.record.event_id) ?? 0) + 1);
    if (s.state.ended !== '') this.forget(s.state);
  }

  private forget(state: BacklogState): void {
    for (const stage of state.stages) {
      for (const id of idsToArray(stage.event_ids)) {
        const n = (this.counted.get(id) ?? 0) - 1;
        if (n <= 0) this.counted.delete(id);
        else this.counted.set(id, n);
      }
    }
  }
}

function earliestDeadline(live: readonly BacklogState[]): number {
  let min = Infinity;
  for (const state of live) min = Math.min(min, deadlineOf(state));
  return min;
}
