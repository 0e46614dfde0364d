/**
 * The supervisor: spawns one actor per directive and routes each batch of events to the candidate directives
 * (quick-check index, D4), one message per directive per batch. It also fans out clock ticks, barriers
 * ("everything sent so far is fully processed") and snapshot requests. A batch counts as waiting (`waiting`
 * in the stats) from its intake until every directive it went to has handled its part.
 */

import { dispatch, spawn, type Ref } from 'nact';
import type { BacklogState } from '../src/backlog/state.js';
import type { Directive } from '../src/directive/directive.js';
import { buildQuickCheckIndex } from '../src/directive/quick-check.js';
import { spawnDirective, type DirectiveDeps } from './directive-actor.js';
import type { DirectiveMsg, SupervisorMsg, TimedEvent } from './messages.js';
import { resumeAndLog } from './supervision.js';

export interface SupervisorStats {
  eventsRouted: number;
  eventsWithoutCandidate: number;
  /** Events taken in and not yet handled by every directive they were routed to. */
  waiting: number;
}

export function spawnSupervisor(
  parent: Ref<unknown>,
  directives: readonly Directive[],
  deps: DirectiveDeps,
  restored: ReadonlyMap<number, readonly BacklogState[]>,
  stats: SupervisorStats,
): Ref<SupervisorMsg> {
  const index = buildQuickCheckIndex(directives);
  let children: Array<Ref<DirectiveMsg>> = [];

  const route = (batch: readonly TimedEvent[]) => {
    const perDirective = new Map<number, TimedEvent[]>();
    for (const timed of batch) {
      const candidates = index.candidates(timed.event);
      if (candidates.length === 0) stats.eventsWithoutCandidate++;
      for (const i of candidates) {
        const list = perDirective.get(i);
        if (list === undefined) perDirective.set(i, [timed]);
        else list.push(timed);
      }
    }
    stats.eventsRouted += batch.length;
    let parts = perDirective.size;
    const done = () => {
      if (--parts === 0) stats.waiting -= batch.length;
    };
    if (parts === 0) stats.waiting -= batch.length;
    for (const [i, list] of perDirective) {
      const child = children[i];
      if (child !== undefined) dispatch(child, { type: 'events', batch: list, done });
      else done();
    }
  };

  /** Sends `make(reply)` to every directive and calls `done` with the answers once all have replied. */
  const gather = <T>(make: (reply: (value: T) => void) => DirectiveMsg, done: (values: T[]) => void) => {
    const values: T[] = new Array<T>(children.length);
    let left = children.length;
    if (left === 0) return done([]);
    children.forEach((child, i) =>
      dispatch(
        child,
        make((value) => {
          values[i] = value;
          if (--left === 0) done(values);
        }),
      ),
    );
  };

  const ref = spawn(
    parent,
    (state: number, msg: SupervisorMsg) => {
      switch (msg.type) {
        case 'events':
          route(msg.batch);
          break;
        case 'tick':
          for (const child of children) dispatch(child, { type: 'tick', now: msg.now });
          break;
        case 'barrier':
          gather<void>((reply) => ({ type: 'barrier', reply: () => reply() }), () => msg.reply());
          break;
        case 'snapshot':
          gather<readonly BacklogState[]>(
            (reply) => ({ type: 'snapshot', reply }),
            (values) => msg.reply(new Map(values.map((v, i) => [directives[i]?.id ?? -1, v]))),
          );
          break;
      }
      return state + 1;
    },
    'supervisor',
    { initialState: 0, onCrash: resumeAndLog(deps.log, 'supervisor') },
  );
  children = directives.map((d) => spawnDirective(ref, d, deps, restored.get(d.id) ?? []));
  return ref;
}
