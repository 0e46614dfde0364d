/**
 * Pairs the backlogs of a trace with the backlogs a real run wrote (alarm-lines.ts), by what they counted: the
 * same events in the same stages (and the same title where several backlogs counted the same events). The
 * pairing gives `replay --explain` the engine's alarm ids, and checks that the trace and the engine agree: a
 * backlog on one side without a partner on the other is a disagreement.
 */

import type { Directive } from '../directive/directive.js';
import type { AlarmDocument } from '../alarm/alarm.js';
import type { Step } from '../backlog/transitions.js';
import { eachStep, type EventTrace, type TraceIds } from './config-trace.js';
import { stagesKey, type WrittenBacklog, type WrittenRun } from './alarm-lines.js';

export interface TracedBacklog {
  readonly id: string;
  readonly directiveId: number;
  readonly title: string;
  /** Event ids per stage (index 0 is stage 1), in the order they were counted. */
  readonly stages: string[][];
  /** The last alarm it wrote, if its risk reached 1. */
  alarm?: AlarmDocument;
}

/** The backlogs of a trace, in the order they were created, with what each counted. */
export class TracedBacklogs {
  readonly list: TracedBacklog[] = [];
  private readonly byId = new Map<string, TracedBacklog>();

  event(trace: EventTrace): void {
    eachStep(trace, (d, s) => this.step(d, s));
  }

  private step(d: Directive, s: Step): void {
    let b = this.byId.get(s.state.id);
    if (b === undefined) {
      b = { id: s.state.id, directiveId: d.id, title: s.state.title, stages: d.rules.map(() => []) };
      this.byId.set(b.id, b);
      this.list.push(b);
    }
    for (const e of s.effects) {
      if (e.type === 'alarm-event') b.stages[e.record.stage - 1]?.push(e.record.event_id);
      else if (e.type === 'alarm') b.alarm = e.alarm;
    }
  }
}

export interface BacklogMatch {
  /** Per directive id, the written alarm id of each of its traced backlogs in creation order (undefined: no partner). */
  readonly byDirective: ReadonlyMap<number, ReadonlyArray<string | undefined>>;
  readonly unmatchedTraced: readonly TracedBacklog[];
  readonly unmatchedWritten: readonly WrittenBacklog[];
}

export function matchBacklogs(traced: readonly TracedBacklog[], written: WrittenRun): BacklogMatch {
  const byKey = new Map<string, WrittenBacklog[]>();
  for (const b of written.backlogs.values()) {
    const key = stagesKey(b.stages);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [b]);
    else list.push(b);
  }
  const byDirective = new Map<number, Array<string | undefined>>();
  const unmatchedTraced: TracedBacklog[] = [];
  for (const t of traced) {
    const candidates = byKey.get(stagesKey(t.stages)) ?? [];
    // Several backlogs (of different directives) may count the same events: the alarm tells them apart.
    const at = Math.max(0, candidates.findIndex((w) => (w.alarm === undefined) === (t.alarm === undefined) && (w.alarm?.['title'] ?? t.title) === t.title));
    const partner = candidates.splice(at, 1)[0];
    if (partner === undefined) unmatchedTraced.push(t);
    const ids = byDirective.get(t.directiveId) ?? [];
    ids.push(partner?.id);
    byDirective.set(t.directiveId, ids);
  }
  const unmatchedWritten = [...byKey.values()].flat();
  return { byDirective, unmatchedTraced, unmatchedWritten };
}

/** Trace ids that are the written run's alarm ids; `fallback` for a backlog without a partner. */
export function matchedIds(match: BacklogMatch, fallback: TraceIds): TraceIds {
  const next = new Map<number, number>();
  return (d) => {
    const k = next.get(d.id) ?? 0;
    next.set(d.id, k + 1);
    return match.byDirective.get(d.id)?.[k] ?? fallback(d);
  };
}
