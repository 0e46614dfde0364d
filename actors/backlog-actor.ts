/**
 * One actor per backlog. It runs the pure backlog machine on the items its directive sends (events to offer,
 * expiry orders), hands the effects to the alarm output, and answers the directive with one ack per message:
 * which events it consumed, and its state afterwards.
 *
 * Supervision (nact onCrash): when the handler throws, the whole message is without effect for this backlog
 * (its effects are only handed over after every item succeeded, and nact keeps the previous state); the ids of
 * its events are logged, the directive is answered "not consumed" for them (it may still start new backlogs
 * from them when it was waiting for this answer), and the actor is reset to its last good state. More than `maxRestarts` failures within `windowMs` stop the backlog
 * for good; the directive is told and forgets it.
 */

import { dispatch, spawn, type Ref } from 'nact';
import type { BacklogContext, BacklogEffect, BacklogState, StepResult, Transition } from '../src/backlog/backlog.js';
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
    let current = state;
    const effects: BacklogEffect[] = [];
    const consumed: boolean[] = [];
    for (const item of msg.items) {
      const result: StepResult =
        item.type === 'event'
          ? deps.offer(current, item.event, deps.ctx, item.now, deps.minLifetimeSec)
          : { consumed: false, ...deps.expire(current, deps.ctx) };
      current = result.state;
      consumed.push(result.consumed);
      for (const effect of result.effects) effects.push(effect);
    }
    deps.output.write(effects);
    lastGood = current;
    ack({ backlogId: state.id, seqs: msg.items.map((i) => i.seq), consumed, state: current });
    return current;
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
        const items = msg?.items ?? [];
        deps.log.error(exhausted ? 'backlog failed too often, stopping it' : 'backlog handler failed, restarting it from its last good state', {
          directiveId: lastGood.directiveId,
          backlogId: lastGood.id,
          eventIds: items.flatMap((i) => (i.type === 'event' ? [i.event.event_id] : [])),
          error: err instanceof Error ? err.message : String(err),
          failuresInWindow: failures.length,
        });
        ack({
          backlogId: lastGood.id,
          seqs: items.map((i) => i.seq),
          consumed: items.map(() => false),
          state: lastGood,
          failed: true,
          gone: exhausted,
        });
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
