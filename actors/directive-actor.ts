/**
 * One actor per directive: it wires a `DirectiveRuntime` (src/correlation, where every decision is made) to
 * nact. The runtime's backlogs become child actors named by a counter (never by data), their answers come back
 * through a coalescer (one message per burst of answers, not one each), and its effects go to the alarm output.
 * A hot reload reaches it as `reconfigure` (a new version: its backlogs step with the new context once the runtime
 * says the change took effect) or `retire` (the directive left: its live backlogs are dropped, then it stops).
 */

import { dispatch, spawn, stop, type Ref } from 'nact';
import type { BacklogContext, BacklogState } from '../src/backlog/state.js';
import { DirectiveRuntime, type Decision, type DirectiveCounters, type DirectiveHost, type DirectiveStats } from '../src/correlation/directive-runtime.js';
import type { BacklogAck } from '../src/correlation/items.js';
import type { Directive } from '../src/directive/directive.js';
import { enrichesAtStart, spawnBacklog, type BacklogDeps } from './backlog-actor.js';
import { Coalescer } from './coalescer.js';
import { describeCreated, describeDecision } from './lifecycle-log.js';
import type { BacklogMsg, DirectiveMsg } from './messages.js';
import { resumeAndLog } from './supervision.js';

export type { DirectiveStats } from '../src/correlation/directive-runtime.js';

/** A running directive's counters, as the metrics read them. */
export interface DirectiveView {
  readonly directive: { readonly id: number; readonly name: string };
  readonly counters: DirectiveCounters;
  /** Live backlogs. */
  readonly backlogs: number;
}

export interface DirectiveDeps extends BacklogDeps {
  /** New backlog ids (alarm ids). */
  readonly newId: () => string;
  /** Instead, ids given the directive id (tests). */
  readonly idsByDirective?: (directiveId: number) => string;
  /** JetStream mode: the id of a backlog from the stream position of its first event (the same after a crash). */
  readonly streamId?: (directiveId: number, seq: number, salt: number) => string;
  readonly stats: BacklogDeps['stats'] & DirectiveStats & { backlogsDropped: number };
  /** Every running directive (added at spawn, removed when retired), for per-directive metrics. */
  readonly running?: Set<DirectiveView>;
  /** `--max_delay` in seconds (0: off) and what to call for a late event. */
  readonly maxDelaySec: number;
  readonly onLate: (nowMs: number) => void;
}

/**
 * Spawns a directive actor; `restored` are backlogs from a snapshot (their actors are spawned at once). `name`
 * defaults to `directive-{id}`; a directive renamed by a reload gets another while the old actor finishes.
 */
export function spawnDirective(
  parent: Ref<unknown>,
  directive: Directive,
  deps: DirectiveDeps,
  restored: readonly BacklogState[] = [],
  name = `directive-${directive.id}`,
): Ref<DirectiveMsg> {
  const acks = new Coalescer<BacklogAck>(() => dispatch(self, { type: 'acks' }));
  const ack = (a: BacklogAck) => acks.post(a);
  let spawned = 0;
  const debug = deps.log.isDebugEnabled();
  // This directive's backlogs read the context at every message: a reload swaps it here once nothing is in flight.
  let ctx = deps.ctx;
  const backlogDeps: BacklogDeps = {
    ...deps,
    get ctx(): BacklogContext {
      return ctx;
    },
  };
  const host: DirectiveHost<Ref<BacklogMsg>> = {
    spawn: (state, enrichNow) => spawnBacklog(self, `b${++spawned}`, ack, state, backlogDeps, enrichNow),
    send: (ref, items) => dispatch(ref, { type: 'items', items }),
    stop: (ref) => stop(ref),
    write: (effects) => deps.output.write(effects),
    newId: (first, attempt) => (deps.streamId !== undefined && first.seq !== undefined && first.seq > 0 ? deps.streamId(directive.id, first.seq, attempt) : deps.idsByDirective?.(directive.id) ?? deps.newId()),
    now: () => deps.clock.now(),
    maxDelaySec: deps.maxDelaySec,
    onLate: deps.onLate,
    // The enricher's sources may be replaced by a reload.
    get enriches(): boolean {
      return enrichesAtStart(deps);
    },
    reconfigured: (_directive, next) => {
      ctx = next;
    },
    ...(debug ? { onCreated: (state: BacklogState, firstEventId: string) => describeCreated(deps.log, state, firstEventId) } : {}),
    ...(deps.log.isSillyEnabled() ? { onDecision: (d: Decision) => describeDecision(deps.log, d) } : {}),
  };
  const runtime = new DirectiveRuntime(directive, ctx, host, deps.stats);
  deps.running?.add(runtime);
  const retire = (reason: 'renamed' | 'removed', reply: (dropped: number) => void) =>
    runtime.retire((dropped) => {
      deps.running?.delete(runtime);
      deps.stats.backlogsDropped += dropped.length;
      if (dropped.length > 0) {
        deps.log.warn(`live backlogs dropped: the directive was ${reason} by a config reload`, {
          directiveId: directive.id,
          directiveName: directive.name,
          backlogs: dropped.length,
          backlogIds: dropped.slice(0, 20).map((b) => b.id),
        });
      }
      reply(dropped.length);
      stop(self);
    });
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
          runtime.barrier(msg.reply, msg.lookups);
          break;
        case 'snapshot':
          msg.reply(runtime.snapshot());
          break;
        case 'reconfigure':
          runtime.reconfigure(msg.directive, msg.ctx);
          break;
        case 'retire':
          retire(msg.reason, msg.reply);
          break;
      }
      return state + 1;
    },
    name,
    { initialState: 0, onCrash: resumeAndLog(deps.log, 'directive actor', { directiveId: directive.id }) },
  );
  for (const r of runtime.restore(restored)) deps.log.error('saved backlog not restored', { directiveId: directive.id, backlogId: r.id, reason: r.reason });
  return self;
}
