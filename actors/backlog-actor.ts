/**
 * One actor per backlog. It runs the pure backlog machine on each event its directive sends, hands the effects
 * to the alarm output, and answers the directive with an ack (consumed or not, and the new state).
 *
 * Supervision: when the handler throws, the failing message is answered as "not consumed", and the actor is
 * reset to its last good state (states are immutable, so that state is intact). More than `maxRestarts`
 * failures within `windowMs` stop the backlog for good; the directive is told and forgets it.
 */

import { dispatch, spawn, type Ref } from 'nact';
import type { BacklogContext, BacklogState, StepResult, Transition } from '../src/backlog/backlog.js';
import type { NormalizedEvent } from '../src/event/normalized-event.js';
import type { Clock } from '../src/shared/time.js';
import type { AlarmOutput } from './alarm-writer-actor.js';
import type { Logger } from './logger.js';
import type { BacklogAck, BacklogMsg, DirectiveMsg } from './messages.js';

export interface RestartBudget {
  readonly maxRestarts: number;
  readonly windowMs: number;
}

/** What a backlog actor needs; `offer` and `expire` are injectable so a test can make a handler fail. */
export interface BacklogDeps {
  readonly ctx: BacklogContext;
  readonly minLifetimeSec: number;
  readonly offer: (state: BacklogState, e: NormalizedEvent, ctx: BacklogContext, nowMs: number, minLifetimeSec: number) => StepResult;
  readonly expire: (state: BacklogState, ctx: BacklogContext) => Transition;
  readonly output: AlarmOutput;
  readonly budget: RestartBudget;
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: { backlogRestarts: number; backlogsStopped: number };
}

export function spawnBacklog(directive: Ref<DirectiveMsg>, initial: BacklogState, deps: BacklogDeps): Ref<BacklogMsg> {
  let lastGood = initial;
  const failures: number[] = [];
  const ack = (a: BacklogAck) => dispatch(directive, { type: 'ack', ack: a });

  const handle = (state: BacklogState, msg: BacklogMsg): BacklogState => {
    const result: StepResult =
      msg.type === 'event'
        ? deps.offer(state, msg.event, deps.ctx, msg.now, deps.minLifetimeSec)
        : { consumed: false, ...deps.expire(state, deps.ctx) };
    deps.output.write(result.effects);
    lastGood = result.state;
    ack({ backlogId: state.id, seq: msg.seq, consumed: result.consumed, state: result.state });
    return result.state;
  };

  return spawn(directive, handle, initial.id, {
    initialStateFunc: () => lastGood,
    onCrash: (msg, err, ctx) => {
      // A throwing onCrash would kill the process (nact runs it un-awaited): keep this total.
      try {
        const now = deps.clock.now();
        failures.push(now);
        while (failures.length > 0 && (failures[0] ?? now) < now - deps.budget.windowMs) failures.shift();
        const exhausted = failures.length > deps.budget.maxRestarts;
        const seq = msg !== undefined ? msg.seq : -1;
        deps.log.error(exhausted ? 'backlog failed too often, stopping it' : 'backlog handler failed, restarting it from its last good state', {
          directiveId: lastGood.directiveId,
          backlogId: lastGood.id,
          message: msg?.type,
          error: err instanceof Error ? err.message : String(err),
          failuresInWindow: failures.length,
        });
        ack({ backlogId: lastGood.id, seq, consumed: false, state: lastGood, failed: true, gone: exhausted });
        if (exhausted) {
          deps.stats.backlogsStopped++;
          return ctx.stop;
        }
        deps.stats.backlogRestarts++;
        return ctx.reset;
      } catch {
        return ctx.stop;
      }
    },
  });
}
