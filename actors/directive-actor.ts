/**
 * One actor per directive: it wires a `DirectiveRuntime` (src/correlation, where every decision is made) to
 * nact. The runtime's backlogs become child actors named by a counter (never by data), their answers come back
 * through a coalescer (one message per burst of answers, not one each), and its effects go to the alarm output.
 */

import { dispatch, spawn, stop, type Ref } from 'nact';
import type { BacklogState } from '../src/backlog/state.js';
import { DirectiveRuntime, type Decision, type DirectiveHost, type DirectiveStats } from '../src/correlation/directive-runtime.js';
import type { BacklogAck } from '../src/correlation/items.js';
import type { Directive } from '../src/directive/directive.js';
import { enrichesAtStart, spawnBacklog, type BacklogDeps } from './backlog-actor.js';
import { Coalescer } from './coalescer.js';
import { describeCreated, describeDecision } from './lifecycle-log.js';
import type { BacklogMsg, DirectiveMsg } from './messages.js';
import { resumeAndLog } from './supervision.js';

export type { DirectiveStats } from '../src/correlation/directive-runtime.js';

export interface DirectiveDeps extends BacklogDeps {
  /** New backlog ids (alarm ids). */
  readonly newId: () => string;
  /** JetStream mode: the id of a backlog from the stream position of its first event (the same after a crash). */
  readonly streamId?: (directiveId: number, seq: number, salt: number) => string;
  readonly stats: BacklogDeps['stats'] & DirectiveStats;
  /** `--max_delay` in seconds (0: off) and what to call for a late event. */
  readonly maxDelaySec: number;
  readonly onLate: (nowMs: number) => void;
}

/** Spawns a directive actor; `restored` are backlogs from a snapshot (their actors are spawned at once). */
export function spawnDirective(
  parent: Ref<unknown>,
  directive: Directive,
  deps: DirectiveDeps,
  restored: readonly BacklogState[] = [],
): Ref<DirectiveMsg> {
  const acks = new Coalescer<BacklogAck>(() => dispatch(self, { type: 'acks' }));
  const ack = (a: BacklogAck) => acks.post(a);
  let spawned = 0;
  const debug = deps.log.isDebugEnabled();
  const host: DirectiveHost<Ref<BacklogMsg>> = {
    spawn: (state, enrichNow) => spawnBacklog(self, `b${++spawned}`, ack, state, deps, enrichNow),
    send: (ref, items) => dispatch(ref, { type: 'items', items }),
    stop: (ref) => stop(ref),
    write: (effects) => deps.output.write(effects),
    newId: (first, attempt) => (deps.streamId !== undefined && first.seq !== undefined && first.seq > 0 ? deps.streamId(directive.id, first.seq, attempt) : deps.newId()),
    now: () => deps.clock.now(),
    maxDelaySec: deps.maxDelaySec,
    onLate: deps.onLate,
    enriches: enrichesAtStart(deps),
    ...(debug ? { onCreated: (state: BacklogState, firstEventId: string) => describeCreated(deps.log, state, firstEventId) } : {}),
    ...(deps.log.isSillyEnabled() ? { onDecision: (d: Decision) => describeDecision(deps.log, d) } : {}),
  };
  const runtime = new DirectiveRuntime(directive, deps.ctx, host, deps.stats);
  const self: Ref<DirectiveMsg> = spawn(
    parent,
    (state: number, msg: DirectiveMsg) => {
      switch (msg.type) {
        case 'events':
          runtime.events(msg.batch, msg.done);
          break;
        case 'tick':
          runtime.tick(msg.now);
          break;
        case 'acks':
          runtime.answers(acks.take());
          break;
        case 'barrier':
          runtime.barrier(msg.reply);
          break;
        case 'snapshot':
          msg.reply(runtime.snapshot());
          break;
      }
      return state + 1;
    },
    `directive-${directive.id}`,
    { initialState: 0, onCrash: resumeAndLog(deps.log, 'directive actor', { directiveId: directive.id }) },
  );
  for (const r of runtime.restore(restored)) deps.log.error('saved backlog not restored', { directiveId: directive.id, backlogId: r.id, reason: r.reason });
  return self;
}
