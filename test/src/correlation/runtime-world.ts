// A directive runtime in a world of plain objects, for the runtime's step-by-step tests: each backlog is a port
// whose mailbox the test steps and answers when it says so (`answerAll`), with the context the runtime gave it.

import { stepBatch } from '../../../src/backlog/batch.js';
import type { BacklogContext, BacklogState } from '../../../src/backlog/state.js';
import { DirectiveRuntime, type DirectiveStats } from '../../../src/correlation/directive-runtime.js';
import type { BacklogAck, BacklogItem } from '../../../src/correlation/items.js';
import type { Directive } from '../../../src/directive/directive.js';
import { sequentialIds } from '../../../src/shared/ids.js';

export interface Port {
  state: BacklogState;
  readonly mailbox: Array<readonly BacklogItem[]>;
  /** Spawned with a lookup to make at once (an alarm at creation, or restored without a lookup result). */
  readonly lookedUp: boolean;
  stopped: boolean;
  /** The context the backlog was spawned under (a reload gives later backlogs the new one). */
  readonly ctx: BacklogContext;
}

/** `enriches`: lookups are enabled (a function: they may be turned on and off, as by a reload). */
export function runtimeWorld(directive: Directive, ctx: BacklogContext, o: { readonly enriches?: boolean | (() => boolean) } = {}) {
  const ports: Port[] = [];
  const stats: DirectiveStats = { backlogsCreated: 0, activeBacklogs: 0, handled: 0, latencyMsSum: 0, inFlightItems: 0, waits: 0, backlogsExpired: 0, backlogsCompleted: 0 };
  let stepCtx = ctx;
  const changes: Directive[] = [];
  const runtime = new DirectiveRuntime<Port>(
    directive,
    ctx,
    {
      spawn: (state, enrichNow) => {
        const p: Port = { state, mailbox: [], lookedUp: enrichNow, stopped: false, ctx: stepCtx };
        ports.push(p);
        return p;
      },
      send: (p, items) => p.mailbox.push(items),
      stop: (p) => {
        p.stopped = true;
      },
      write: () => undefined,
      newId: sequentialIds('b'),
      now: () => 0,
      maxDelaySec: 0,
      onLate: () => undefined,
      get enriches() {
        return typeof o.enriches === 'function' ? o.enriches() : (o.enriches ?? false);
      },
      reconfigured: (d, next) => {
        changes.push(d);
        stepCtx = next;
      },
    },
    stats,
  );
  /**
   * Every waiting message of every backlog is stepped (under the runtime's current context) and answered;
   * `enriching`: the backlogs' lookups have not answered yet.
   */
  const answerAll = (enriching?: boolean) => {
    const acks: BacklogAck[] = [];
    for (const p of ports) {
      for (let items = p.mailbox.shift(); items !== undefined; items = p.mailbox.shift()) {
        const r = stepBatch(p.state, items, stepCtx);
        p.state = r.state;
        acks.push({ backlogId: p.state.id, consumed: r.consumed, state: r.state, ...(enriching !== undefined ? { enriching } : {}) });
      }
    }
    runtime.answers(acks);
  };
  return { runtime, ports, stats, changes, answerAll };
}
