/**
 * The supervisor: spawns one actor per directive and routes each batch of events to the candidate directives
 * (quick-check index, D4), one message per directive per batch. It also fans out clock ticks, barriers
 * ("everything sent so far is fully processed") and snapshot requests. A batch counts as waiting (`waiting`
 * in the stats) from its intake until every directive it went to has handled its part.
 *
 * A hot reload (`reload`) is handled between two batches, as every message here is: unchanged directives keep
 * their actors (given the new context when the assets changed), changed ones are told their new version for the
 * events routed after it, renamed and removed ones retire (they finish what was routed to them, then drop their
 * live backlogs and stop), new ones start; the quick-check index is rebuilt for the next batch.
 */

import { dispatch, spawn, type Ref } from 'nact';
import type { BacklogState } from '../src/backlog/state.js';
import type { Directive } from '../src/directive/directive.js';
import { buildQuickCheckIndex } from '../src/directive/quick-check.js';
import type { WeightedHistogram } from '../src/shared/histogram.js';
import { spawnDirective, type DirectiveDeps } from './directive-actor.js';
import type { DirectiveMsg, DirectivesReload, SupervisorMsg, TimedEvent } from './messages.js';
import { resumeAndLog } from './supervision.js';

export interface SupervisorStats {
  eventsRouted: number;
  eventsWithoutCandidate: number;
  /** Events taken in and not yet handled by every directive they were routed to. */
  waiting: number;
  /**
   * Seconds from intake (the batch's clock stamp) to when every directive it was routed to has handled it, one
   * observation per batch weighted by its events (no cost per event).
   */
  readonly latency: WeightedHistogram;
}

interface Slot {
  readonly directive: Directive;
  readonly ref: Ref<DirectiveMsg>;
}

export function spawnSupervisor(
  parent: Ref<unknown>,
  directives: readonly Directive[],
  initialDeps: DirectiveDeps,
  restored: ReadonlyMap<number, readonly BacklogState[]>,
  stats: SupervisorStats,
): Ref<SupervisorMsg> {
  let index = buildQuickCheckIndex(directives);
  let slots: Slot[] = [];
  let deps = initialDeps;
  /** Directives finishing their last events before they stop: a barrier waits for them too. */
  const retiring = new Set<Promise<number>>();
  let generation = 0;

  // Indexed loops: this runs once per batch, mostly before the optimising compiler takes it, and a for-of there
  // makes an iterator result per step (about 10 MB over mixed 100k).
  const route = (batch: readonly TimedEvent[]) => {
    const perDirective = new Map<number, TimedEvent[]>();
    for (let k = 0; k < batch.length; k++) {
      const timed = batch[k] as TimedEvent;
      const candidates = index.candidates(timed.event);
      if (candidates.length === 0) stats.eventsWithoutCandidate++;
      for (let c = 0; c < candidates.length; c++) {
        const i = candidates[c] as number;
        const list = perDirective.get(i);
        if (list === undefined) perDirective.set(i, [timed]);
        else list.push(timed);
      }
    }
    stats.eventsRouted += batch.length;
    const intake = batch[0]?.now ?? 0;
    let parts = perDirective.size;
    const finished = () => {
      stats.waiting -= batch.length;
      stats.latency.observe(Math.max(0, deps.clock.now() - intake) / 1000, batch.length);
    };
    const done = () => {
      if (--parts === 0) finished();
    };
    if (parts === 0) finished();
    for (const [i, list] of perDirective) {
      const child = slots[i]?.ref;
      if (child !== undefined) dispatch(child, { type: 'events', batch: list, done });
      else done();
    }
  };

  /** Sends `make(reply)` to every directive and calls `done` with the answers once all have replied. */
  const gather = <T>(make: (reply: (value: T) => void) => DirectiveMsg, done: (values: T[]) => void) => {
    const values: T[] = new Array<T>(slots.length);
    let left = slots.length;
    if (left === 0) return done([]);
    slots.forEach((slot, i) =>
      dispatch(
        slot.ref,
        make((value) => {
          values[i] = value;
          if (--left === 0) done(values);
        }),
      ),
    );
  };

  const retire = (slot: Slot, reason: 'renamed' | 'removed'): Promise<number> => {
    const retired = new Promise<number>((resolve) => dispatch(slot.ref, { type: 'retire', reason, reply: resolve }));
    retiring.add(retired);
    void retired.then(() => retiring.delete(retired));
    return retired;
  };

  const start = (d: Directive, backlogs: readonly BacklogState[] = []) =>
    spawnDirective(ref, d, deps, backlogs, generation === 0 ? `directive-${d.id}` : `directive-${d.id}-r${generation}`);

  const reload = (r: DirectivesReload, reply: (dropped: number) => void) => {
    generation++;
    deps = { ...deps, ctx: r.ctx };
    const old = new Map(slots.map((s) => [s.directive.id, s]));
    const changed = new Set(r.diff.changed.map((d) => d.id));
    const kept = new Set([...changed, ...r.diff.unchanged.map((d) => d.id)]);
    const next = r.directives.map((d): Slot => {
      const previous = old.get(d.id);
      if (previous === undefined || !kept.has(d.id)) return { directive: d, ref: start(d) };
      // An unchanged directive keeps its own object: its compiled and resolved rules stay valid (they are memoised
      // by rule object), and it makes no new ones at every reload.
      const directive = changed.has(d.id) ? d : previous.directive;
      if (changed.has(d.id) || r.ctxChanged) dispatch(previous.ref, { type: 'reconfigure', directive, ctx: r.ctx });
      return { directive, ref: previous.ref };
    });
    const renamed = new Set(r.diff.renamed.map((x) => x.before.id));
    const leaving = slots.filter((s) => !kept.has(s.directive.id)).map((s) => retire(s, renamed.has(s.directive.id) ? 'renamed' : 'removed'));
    slots = next;
    index = buildQuickCheckIndex(r.directives);
    void Promise.all(leaving).then((counts) => reply(counts.reduce((a, b) => a + b, 0)));
  };

  const ref = spawn(
    parent,
    (state: number, msg: SupervisorMsg) => {
      switch (msg.type) {
        case 'events':
          route(msg.batch);
          break;
        case 'tick':
          for (const slot of slots) dispatch(slot.ref, { type: 'tick', now: msg.now });
          break;
        case 'barrier': {
          const leaving = [...retiring];
          const answer = leaving.length === 0 ? msg.reply : () => void Promise.all(leaving).then(() => msg.reply());
          gather<void>((reply) => ({ type: 'barrier', reply: () => reply(), lookups: msg.lookups }), answer);
          break;
        }
        case 'snapshot': {
          const ids = slots.map((s) => s.directive.id);
          gather<readonly BacklogState[]>(
            (reply) => ({ type: 'snapshot', reply }),
            (values) => msg.reply(new Map(values.map((v, i) => [ids[i] ?? -1, v]))),
          );
          break;
        }
        case 'reload':
          reload(msg.reload, msg.reply);
          break;
      }
      return state + 1;
    },
    'supervisor',
    { initialState: 0, onCrash: resumeAndLog(initialDeps.log, 'supervisor') },
  );
  slots = directives.map((d) => ({ directive: d, ref: start(d, restored.get(d.id) ?? []) }));
  return ref;
}
