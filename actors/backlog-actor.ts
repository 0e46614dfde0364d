/**
 * One actor per backlog. It steps the backlog machine over the items its directive sends (`stepBatch`), hands
 * the effects to the alarm output, and answers the directive with one ack per message: which events it
 * consumed, and its state afterwards. Intel/vulnerability lookups run beside it and come back as a message.
 *
 * Supervision (nact onCrash): when the handler throws, the whole message is without effect for this backlog
 * (effects are handed over only after every item succeeded, and the state before the message is kept); the
 * ids of its events are logged, the directive is answered "not consumed" for them, and the actor is reset to its
 * last good state. More than `maxRestarts` failures within `windowMs` stop the backlog for good; the directive
 * is told and forgets it.
 */

import { dispatch, spawn, type Ref } from 'nact';
import type { stepBatch } from '../src/backlog/batch.js';
import type { BacklogContext, BacklogState } from '../src/backlog/state.js';
import { step } from '../src/backlog/transitions.js';
import type { BacklogAck } from '../src/correlation/items.js';
import type { Enricher } from '../src/enrichment/enricher.js';
import type { Clock } from '../src/shared/time.js';
import type { AlarmOutput } from './alarm-writer-actor.js';
import type { Logger } from './logger.js';
import type { BacklogMsg } from './messages.js';
import { describeEffects } from './lifecycle-log.js';

export interface RestartBudget {
  readonly maxRestarts: number;
  readonly windowMs: number;
}

/** What a backlog actor needs; `stepBatch` is replaceable so that a test can make a handler fail. */
export interface BacklogDeps {
  readonly ctx: BacklogContext;
  readonly stepBatch: typeof stepBatch;
  readonly output: AlarmOutput;
  readonly budget: RestartBudget;
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: { backlogRestarts: number; backlogsStopped: number };
  /** Intel/vulnerability lookups; absent or disabled when no source is enabled. */
  readonly enricher?: Enricher;
}

/**
 * `name` is the actor's name (never taken from data: backlog ids may come from saved files). `ack` delivers an
 * answer to the directive. `enrichNow`: the backlog was just created with an alarm; look it up at once.
 */
export function spawnBacklog(
  parent: Ref<unknown>,
  name: string,
  ack: (a: BacklogAck) => void,
  initial: BacklogState,
  deps: BacklogDeps,
  enrichNow: boolean,
): Ref<BacklogMsg> {
  let lastGood = initial;
  /** Clock times of recent failures (made at the first one: most backlogs never fail). */
  let failures: number[] | undefined;
  const debug = deps.log.isDebugEnabled();

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
            dispatch(self, { type: 'enrichment', intel: result.intel, vulns: result.vulns, failed: result.errors.length > 0 });
          });
        };

  const handle = (state: BacklogState, msg: BacklogMsg): BacklogState => {
    if (msg.type === 'enrichment') {
      lookupRunning = false;
      const s = step(state, { type: 'enrichment', intel: msg.intel, vulns: msg.vulns }, deps.ctx);
      deps.output.write(s.effects);
      if (debug) describeEffects(deps.log, state, s.state, s.effects);
      lastGood = s.state;
      if (lookupAgain) {
        lookupAgain = false;
        startLookup?.(s.state);
      }
      ack({ backlogId: state.id, consumed: NOTHING_CONSUMED, state: s.state, enriching: lookupRunning, lookupFailed: msg.failed });
      return s.state;
    }
    const items = msg.items;
    const r = deps.stepBatch(state, items, deps.ctx);
    deps.output.write(r.effects);
    if (debug) describeEffects(deps.log, state, r.state, r.effects);
    lastGood = r.state;
    if (r.lookup) startLookup?.(r.state);
    ack({ backlogId: state.id, consumed: r.consumed, state: r.state, enriching: lookupRunning });
    return r.state;
  };

  const self = spawn(parent, handle, name, {
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
        // Lookup results that could not be applied: the lookup is still owed; one asked for meanwhile starts now.
        const lostLookup = msg?.type === 'enrichment';
        if (lostLookup) {
          lookupRunning = false;
          if (lookupAgain && !exhausted) {
            lookupAgain = false;
            startLookup?.(lastGood);
          }
        }
        ack({
          backlogId: lastGood.id,
          consumed: items.map(() => false),
          state: lastGood,
          failed: true,
          gone: exhausted,
          enriching: lookupRunning && !exhausted,
          ...(lostLookup ? { lookupFailed: true } : {}),
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

/** The answer to a message of lookup results, which holds no items. */
const NOTHING_CONSUMED: readonly boolean[] = Object.freeze([]);

/** Shared by all backlog actors (nact makes a closure per actor when none is given). */
function nothingAfterStop(): void {}

/** Whether a backlog spawned with `enrichNow` really starts a lookup. */
export function enrichesAtStart(deps: Pick<BacklogDeps, 'enricher'>): boolean {
  return deps.enricher?.enabled === true;
}
