/**
 * Correlation of a whole config taken one event at a time, with what each step saw: the quick check (D4) picks
 * the directives an event reaches, each of them runs its `DirectiveTrace`, and before every event the clock
 * (the event's intake time) expires the backlogs whose deadline passed. The engine ticks once per batch instead;
 * outcomes do not depend on when an expired backlog is noticed (an expired backlog consumes and counts nothing,
 * and its last alarm is the same), so both give the same backlogs, counts and alarms.
 */

import type { BacklogContext } from '../backlog/state.js';
import type { Step } from '../backlog/transitions.js';
import type { TimedEvent } from '../correlation/items.js';
import type { Directive } from '../directive/directive.js';
import { buildQuickCheckIndex, type QuickCheckIndex } from '../directive/quick-check.js';
import { DirectiveTrace, type BacklogStep, type DirectiveOffer } from './directive-trace.js';

/** Backlogs of one directive that expired at a tick. */
export interface DirectiveExpiry {
  readonly directive: Directive;
  readonly expired: readonly BacklogStep[];
}

export interface EventTrace {
  readonly timed: TimedEvent;
  /** Backlogs that expired when the clock reached this event's intake time, before it was offered. */
  readonly expired: readonly DirectiveExpiry[];
  /** The directives whose quick check the event passed, in config order, each with what it did there. */
  readonly offers: readonly DirectiveOffer[];
}

/** Where a new backlog's id comes from: asked with the directive that creates it, in creation order. */
export type TraceIds = (directive: Directive) => string;

/** Ids `<directive id>-<n>`: readable, and the same for the same config and events. */
export function directiveScopedIds(): TraceIds {
  const counts = new Map<number, number>();
  return (d) => {
    const n = (counts.get(d.id) ?? 0) + 1;
    counts.set(d.id, n);
    return `${d.id}-${n}`;
  };
}

export class ConfigTrace {
  private readonly index: QuickCheckIndex;
  private readonly traces: DirectiveTrace[];
  /** No live backlog has a deadline before this (Unix s); a tick scans the directives only past it. */
  private nextDeadline = Infinity;

  constructor(
    readonly directives: readonly Directive[],
    private readonly ctx: BacklogContext,
    newId: TraceIds,
  ) {
    this.index = buildQuickCheckIndex(directives);
    this.traces = directives.map((d) => new DirectiveTrace(d, ctx, () => newId(d)));
  }

  /** The quick-check candidates of an event (indexes into `directives`). */
  candidates(timed: TimedEvent): readonly number[] {
    return this.index.candidates(timed.event);
  }

  /** One event: expiry at its intake time, then its offers to the directives it reaches. */
  event(timed: TimedEvent): EventTrace {
    const expired = this.tick(timed.now);
    const offers: DirectiveOffer[] = [];
    for (const i of this.index.candidates(timed.event)) {
      const trace = this.traces[i];
      if (trace === undefined) continue;
      offers.push(trace.offer(timed));
      this.nextDeadline = Math.min(this.nextDeadline, trace.earliestDeadline);
    }
    return { timed, expired, offers };
  }

  /** A clock tick (ms): every backlog whose deadline passed expires (`--drain` ticks at the end of time). */
  tick(nowMs: number): DirectiveExpiry[] {
    const expired: DirectiveExpiry[] = [];
    if (!(this.nextDeadline < nowMs / 1000 - this.ctx.minLifetimeSec)) return expired;
    let next = Infinity;
    for (const trace of this.traces) {
      const steps = trace.expireDue(nowMs);
      if (steps.length > 0) expired.push({ directive: trace.directive, expired: steps });
      next = Math.min(next, trace.earliestDeadline);
    }
    this.nextDeadline = next;
    return expired;
  }
}

/** Every step an event's trace holds (expiries first, then per directive the answers and the new backlog). */
export function eachStep(trace: EventTrace, visit: (directive: Directive, step: Step) => void): void {
  eachExpiryStep(trace.expired, visit);
  for (const offer of trace.offers) {
    for (const answer of offer.answers) visit(offer.directive, answer.step);
    if (offer.created !== undefined) visit(offer.directive, offer.created);
  }
}

export function eachExpiryStep(expiries: readonly DirectiveExpiry[], visit: (directive: Directive, step: Step) => void): void {
  for (const { directive, expired } of expiries) for (const e of expired) visit(directive, e.step);
}
