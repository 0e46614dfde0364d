// A directive runtime in a simulated world: its backlogs are mailboxes stepped with the real `stepBatch`, their
// answers wait in a queue, and a scheduler decides (from a list of choices, e.g. drawn by fast-check) when the
// runtime gets the next work item, which backlog handles its next message, and how many waiting answers the
// runtime gets at once. Backlog mailboxes are FIFO and answers arrive in the order they were given, as with
// nact and the directive's coalescer; everything else is up to the scheduler.

import { stepBatch } from '../../../src/backlog/batch.js';
import type { BacklogContext, BacklogState } from '../../../src/backlog/state.js';
import type { BacklogEffect } from '../../../src/backlog/transitions.js';
import { DirectiveRuntime, type DirectiveStats } from '../../../src/correlation/directive-runtime.js';
import type { BacklogAck, BacklogItem, TimedEvent } from '../../../src/correlation/items.js';
import type { Directive } from '../../../src/directive/directive.js';
import type { ConfigSwitch } from '../../../src/correlation/sequential.js';

/** A batch of events given to the runtime at once, a clock tick (ms), or a configuration change (hot reload). */
export type Feed = { readonly batch: readonly TimedEvent[] } | { readonly tick: number } | { readonly change: ConfigSwitch };

interface SimBacklog {
  readonly id: number;
  state: BacklogState;
  readonly mailbox: Array<readonly BacklogItem[]>;
  stopped: boolean;
}

export interface SimulationRun {
  /** Backlog ids in the order the runtime created them. */
  readonly created: string[];
  /** Per backlog id, every effect in order (creation included). */
  readonly effects: Map<string, BacklogEffect[]>;
  readonly live: BacklogState[];
  readonly stats: DirectiveStats;
  /** The final barrier was answered. */
  readonly settled: boolean;
  /** Backlog messages that held more than one item (the batching paths ran). */
  readonly multiItemMessages: number;
  /** Configuration changes that took effect. */
  readonly changes: number;
}

export function simulate(
  directive: Directive,
  feeds: readonly Feed[],
  ctx: BacklogContext,
  newId: () => string,
  choices: readonly number[],
): SimulationRun {
  const backlogs: SimBacklog[] = [];
  const answers: BacklogAck[] = [];
  const created: string[] = [];
  const effects = new Map<string, BacklogEffect[]>();
  let multiItemMessages = 0;
  const record = (id: string, list: readonly BacklogEffect[]) => {
    if (list.length === 0) return;
    const known = effects.get(id);
    if (known === undefined) effects.set(id, [...list]);
    else known.push(...list);
  };
  const stats: DirectiveStats = { backlogsCreated: 0, activeBacklogs: 0, handled: 0, latencyMsSum: 0, inFlightItems: 0, waits: 0, backlogsExpired: 0, backlogsCompleted: 0 };
  // The context the backlogs step with: the runtime says when a change takes effect (nothing may be in flight then).
  let stepCtx = ctx;
  let changes = 0;
  const runtime = new DirectiveRuntime<SimBacklog>(
    directive,
    ctx,
    {
      spawn: (state) => {
        const b: SimBacklog = { id: backlogs.length, state, mailbox: [], stopped: false };
        backlogs.push(b);
        return b;
      },
      send: (b, items) => {
        if (b.stopped) throw new Error(`items sent to stopped backlog ${b.state.id}`);
        b.mailbox.push(items);
      },
      stop: (b) => {
        b.stopped = true;
      },
      // Called at creation only: every effect belongs to the new backlog.
      write: (list) => {
        const first = list[0];
        const id = first?.type === 'alarm-event' ? first.record.alarm_id : first?.type === 'alarm' ? first.alarm.alarm_id : undefined;
        if (id !== undefined) record(id, list);
      },
      newId: () => newId(),
      now: () => 0,
      maxDelaySec: 0,
      onLate: () => undefined,
      enriches: false,
      onCreated: (state) => created.push(state.id),
      reconfigured: (_directive, next) => {
        const busy = backlogs.filter((b) => b.mailbox.length > 0).length;
        if (busy > 0 || answers.length > 0) throw new Error(`a change took effect with ${busy} busy backlogs and ${answers.length} answers not delivered`);
        stepCtx = next;
        changes++;
      },
    },
    stats,
  );

  const runBacklog = (b: SimBacklog) => {
    const items = b.mailbox.shift();
    if (items === undefined) return;
    if (items.length > 1) multiItemMessages++;
    const r = stepBatch(b.state, items, stepCtx);
    b.state = r.state;
    record(b.state.id, r.effects);
    answers.push({ backlogId: b.state.id, consumed: r.consumed, state: r.state });
  };
  const busy = () => backlogs.filter((b) => b.mailbox.length > 0);

  let next = 0;
  const feed = () => {
    const f = feeds[next++] as Feed;
    if ('batch' in f) runtime.events(f.batch);
    else if ('change' in f) runtime.reconfigure(f.change.directive, f.change.ctx);
    else runtime.tick(f.tick);
  };
  // A choice picks an action among those possible, favouring new work (so that items pile up in flight), and
  // then which backlog runs or how many answers arrive.
  for (const choice of choices) {
    const waiting = busy();
    const can = { feed: next < feeds.length, run: waiting.length > 0, answer: answers.length > 0 };
    if (!can.feed && !can.run && !can.answer) break;
    const wish = choice % 8;
    const action = wish < 4 ? (can.feed ? 'feed' : can.run ? 'run' : 'answer') : wish < 6 ? (can.run ? 'run' : can.answer ? 'answer' : 'feed') : can.answer ? 'answer' : can.feed ? 'feed' : 'run';
    const rest = Math.floor(choice / 8);
    if (action === 'feed') feed();
    else if (action === 'run') runBacklog(waiting[rest % waiting.length] as SimBacklog);
    else runtime.answers(answers.splice(0, 1 + (rest % answers.length)));
  }
  // Whatever the choices left: everything fed, run and answered.
  let settled = false;
  for (;;) {
    if (next < feeds.length) feed();
    else if (busy().length > 0) for (const b of busy()) runBacklog(b);
    else if (answers.length > 0) runtime.answers(answers.splice(0, answers.length));
    else break;
  }
  runtime.barrier(() => {
    settled = true;
  });
  return { created, effects, live: runtime.snapshot(), stats, settled, multiItemMessages, changes };
}
