/**
 * What correlation means for one directive, written as plainly as possible: work is taken one item at a time;
 * a clock tick expires every backlog whose deadline passed; an event is offered to every live backlog in turn
 * with `step`, and starts a new backlog when none consumed it and it matches the first stage. No routing, no
 * predictions, no actors. The directive runtime (directive-runtime.ts) must give the same backlogs and, per
 * backlog, the same effects in the same order, whatever the batch sizes and however its backlogs' answers are
 * scheduled; the property tests check it. Tools that explain correlation step by step can build on this too.
 * A configuration change (a hot reload) first expires, with the old context, every backlog whose deadline passed
 * by the latest clock seen (as a tick then would: expiry effects depend on the assets), then applies to the work
 * after it: new backlogs are made from the new directive version, and every step after it uses the new context;
 * live backlogs keep the rules they were created with.
 *
 * One difference is allowed: a backlog notices that its deadline passed at a tick or at an event offered to it.
 * Here every event is offered to every backlog; the runtime offers it only to the backlogs it can touch, so a
 * backlog may notice later there (at the next tick). What it then does does not depend on when: an expired
 * backlog consumes and counts nothing, and its last alarm is the same.
 */

import { startsBacklog } from '../backlog/predictions.js';
import { isExpired, type BacklogContext, type BacklogState } from '../backlog/state.js';
import { startBacklog, step, UNKNOWN_MATCH, type BacklogEffect } from '../backlog/transitions.js';
import type { Directive } from '../directive/directive.js';
import type { TimedEvent } from './items.js';

/** A new directive version and context, from this point of the work on. */
export interface ConfigSwitch {
  readonly directive: Directive;
  readonly ctx: BacklogContext;
}

/** An event, or a clock tick (ms). */
export type Work = TimedEvent | number;

export interface SequentialRun {
  /** Backlog ids in the order they were created. */
  readonly created: readonly string[];
  /** Per backlog id, its effects in order (creation included). */
  readonly effects: ReadonlyMap<string, readonly BacklogEffect[]>;
  /** Backlogs still live at the end. */
  readonly live: readonly BacklogState[];
}

/** `work` may hold configuration changes (hot reloads) too. */
export function correlateSequentially(initial: Directive, work: ReadonlyArray<Work | ConfigSwitch>, initialCtx: BacklogContext, newId: () => string): SequentialRun {
  let directive = initial;
  let ctx = initialCtx;
  let live: BacklogState[] = [];
  const created: string[] = [];
  const effects = new Map<string, BacklogEffect[]>();
  const record = (id: string, list: readonly BacklogEffect[]) => {
    const known = effects.get(id);
    if (known === undefined) effects.set(id, [...list]);
    else known.push(...list);
  };
  let latest = -Infinity;
  const expireAt = (now: number) => {
    live = live.filter((state) => {
      if (!isExpired(state, now / 1000, ctx.minLifetimeSec)) return true;
      record(state.id, step(state, { type: 'expire', now }, ctx).effects);
      return false;
    });
  };
  for (const item of work) {
    if (typeof item !== 'number' && 'directive' in item) {
      if (latest > -Infinity) expireAt(latest);
      directive = item.directive;
      ctx = item.ctx;
      continue;
    }
    latest = Math.max(latest, typeof item === 'number' ? item : item.now);
    if (typeof item === 'number') {
      expireAt(item);
      continue;
    }
    let consumed = false;
    const next: BacklogState[] = [];
    for (const state of live) {
      const s = step(state, { type: 'event', event: item.event, now: item.now, maybeCounted: true, match: UNKNOWN_MATCH }, ctx);
      consumed ||= s.consumed;
      record(state.id, s.effects);
      if (s.state.ended === '') next.push(s.state);
    }
    live = next;
    if (consumed || !startsBacklog(directive, item.event, ctx)) continue;
    let id = newId();
    while (effects.has(id)) id = newId();
    const s = startBacklog(directive, item.event, ctx, id, item.now);
    created.push(id);
    record(id, s.effects);
    if (s.state.ended === '') live.push(s.state);
  }
  return { created, effects, live };
}
