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
import {
  addEnrichment,
  draftOf,
  isDraft,
  published,
  wantsEnrichment,
  type BacklogContext,
  type BacklogEffect,
  type BacklogState,
  type StepResult,
  type Transition,
} from '../src/backlog/backlog.js';
import type { Enricher } from '../src/enrichment/enricher.js';
import type { NormalizedEvent } from '../src/event/normalized-event.js';
import type { Clock } from '../src/shared/time.js';
import type { AlarmOutput } from './alarm-writer-actor.js';
import type { Logger } from './logger.js';
import type { BacklogAck, BacklogItem, BacklogMsg, DirectiveMsg } from './messages.js';

export interface RestartBudget {
  readonly maxRestarts: number;
  readonly windowMs: number;
}

/** What a backlog actor needs; `offer` and `expire` are injectable so a test can make a handler fail. */
export interface BacklogDeps {
  readonly ctx: BacklogContext;
  readonly minLifetimeSec: number;
  readonly offer: (
    state: BacklogState,
    e: NormalizedEvent,
    ctx: BacklogContext,
    nowMs: number,
    minLifetimeSec: number,
    maybeCounted: boolean,
  ) => StepResult;
  readonly expire: (state: BacklogState, ctx: BacklogContext) => Transition;
  readonly output: AlarmOutput;
  readonly budget: RestartBudget;
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: { backlogRestarts: number; backlogsStopped: number };
  /** Intel/vulnerability lookups; absent or disabled when no source is enabled. */
  readonly enricher?: Enricher;
}

/**
 * `ack` delivers an answer to the directive (through its coalescer). `enrichNow`: the backlog was just created
 * with an alarm; look its addresses up at once.
 */
export function spawnBacklog(
  directive: Ref<DirectiveMsg>,
  ack: (a: BacklogAck) => void,
  initial: BacklogState,
  deps: BacklogDeps,
  enrichNow = false,
): Ref<BacklogMsg> {
  let lastGood = initial;
  /** Clock times of recent failures (made at the first one: most backlogs never fail). */
  let failures: number[] | undefined;

  // Lookups run beside the actor (D1: they never block correlation) and report back as a message. The function
  // exists only when a source is enabled (one closure less per backlog otherwise).
  let lookupRunning = false;
  let lookupAgain = false;
  const enricher = deps.enricher?.enabled === true ? deps.enricher : undefined;
  const startLookup =
    enricher === undefined
      ? undefined
      : (state: BacklogState) => {
          if (lookupRunning) {
            lookupAgain = true;
            return;
          }
          lookupRunning = true;
          void enricher.lookup(state).then((result) => {
            if (result.errors.length > 0) deps.log.debug('enrichment lookups failed', { backlogId: state.id, errors: result.errors });
            // Resolves after `spawn` returned: `self` is set.
            dispatch(self, { type: 'enrichment', intel: result.intel, vulns: result.vulns });
          });
        };

  const handle = (state: BacklogState, msg: BacklogMsg): BacklogState => {
    let current = state;
    const effects: BacklogEffect[] = [];
    const consumed: boolean[] = [];
    let lookup = false;
    if (msg.type === 'enrichment') {
      lookupRunning = false;
      const t = addEnrichment(current, msg.intel, msg.vulns, deps.ctx);
      current = t.state;
      for (const effect of t.effects) effects.push(effect);
      if (lookupAgain) {
        lookupAgain = false;
        lookup = true;
      }
    } else {
      const items = msg.items;
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as BacklogItem;
        // More items to come: step a private working copy, updated in place (one state copy per message
        // instead of one per counted event); `state`, the last good one, is never touched.
        if (i < items.length - 1 && !isDraft(current)) current = draftOf(current);
        const result: StepResult =
          item.type === 'event'
            ? deps.offer(current, item.event, deps.ctx, item.now, deps.minLifetimeSec, item.maybeCounted)
            : { consumed: false, ...deps.expire(current, deps.ctx) };
        current = result.state;
        consumed.push(result.consumed);
        for (const effect of result.effects) effects.push(effect);
        if (wantsEnrichment(result)) lookup = true;
      }
    }
    current = published(current);
    deps.output.write(effects);
    lastGood = current;
    if (lookup) startLookup?.(current);
    const seqs = msg.type === 'items' ? msg.items.map((i) => i.seq) : [];
    ack({ backlogId: state.id, seqs, consumed, state: current, enriching: lookupRunning });
    return current;
  };

  const self = spawn(directive, handle, initial.id, {
    initialStateFunc: () => lastGood,
    afterStop: nothingAfterStop,
    onCrash: (msg, err, ctx) => {
      // A throwing onCrash would kill the process (nact runs it un-awaited): keep this total.
      try {
        const now = deps.clock.now();
        failures ??= [];
        failures.push(now);
        while (failures.length > 0 && (failures[0] ?? now) < now - deps.budget.windowMs) failures.shift();
        const exhausted = failures.length > deps.budget.maxRestarts;
        const items = msg?.type === 'items' ? msg.items : [];
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
          enriching: lookupRunning && !exhausted,
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
  if (enrichNow) startLookup?.(initial);
  return self;
}

/** Shared by all backlog actors (nact makes a closure per actor when none is given). */
function nothingAfterStop(): void {}

/** Whether a backlog spawned with `enrichNow` really started a lookup. */
export function enrichesAtStart(deps: BacklogDeps): boolean {
  return deps.enricher?.enabled === true;
}
