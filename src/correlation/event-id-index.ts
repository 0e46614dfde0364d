/**
 * The event ids a directive's live backlogs hold, counted or in flight, with how many hold each: the D3 check
 * ("could a backlog already have counted this id?") is then one map lookup per event, and a backlog walks its
 * own id lists only when the id is here (redeliveries).
 */

import { idsAddedSince, idsToArray } from '../backlog/event-ids.js';
import type { BacklogState } from '../backlog/state.js';
import type { BacklogItem } from './items.js';

export class EventIdIndex {
  private readonly counts = new Map<string, number>();

  get size(): number {
    return this.counts.size;
  }

  has(id: string): boolean {
    return this.counts.has(id);
  }

  add(id: string): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }

  /** Sets the count of an id the caller knows is held exactly `n` times (no read of the old count). */
  hold(id: string, n: number): void {
    this.counts.set(id, n);
  }

  remove(id: string): void {
    const n = (this.counts.get(id) ?? 0) - 1;
    if (n <= 0) this.counts.delete(id);
    else this.counts.set(id, n);
  }

  /** Every id a state has counted, once per stage holding it. */
  addCounted(state: BacklogState): void {
    for (const stage of state.stages) for (const id of idsToArray(stage.event_ids)) this.add(id);
  }

  removeCounted(state: BacklogState): void {
    for (const stage of state.stages) for (const id of idsToArray(stage.event_ids)) this.remove(id);
  }

  /**
   * After an answer: the answered events are no longer in flight (-1 each), and the ids the backlog counted since
   * its last known state are held (+1 each; id lists only grow). Usually the backlog counted exactly the answered
   * events, in order: then the counts do not change and the map is not touched.
   */
  settle(answered: readonly BacklogItem[], before: BacklogState, after: BacklogState): void {
    if (countedExactly(answered, before, after)) return;
    const added: string[] = [];
    if (before !== after) {
      for (let i = 0; i < after.stages.length; i++) {
        const ids = after.stages[i]?.event_ids;
        const known = before.stages[i]?.event_ids;
        if (ids !== known) for (const id of idsAddedSince(ids, known)) added.push(id);
      }
    }
    let k = 0;
    let same = true;
    for (const item of answered) {
      if (item.type !== 'event') continue;
      if (added[k] !== item.event.event_id) {
        same = false;
        break;
      }
      k++;
    }
    if (same && k === added.length) return;
    for (const item of answered) if (item.type === 'event') this.remove(item.event.event_id);
    for (const id of added) this.add(id);
  }
}

/**
 * Did the backlog count exactly the answered events, in order, and nothing else since `before`? (The usual
 * answer: then `settle` changes nothing.) Walked backwards, newest first, without making the lists.
 */
function countedExactly(answered: readonly BacklogItem[], before: BacklogState, after: BacklogState): boolean {
  let k = answered.length;
  if (before !== after) {
    for (let i = after.stages.length - 1; i >= 0; i--) {
      const known = before.stages[i]?.event_ids;
      for (let cell = after.stages[i]?.event_ids; cell !== undefined && cell !== known; cell = cell.prev) {
        k = previousEvent(answered, k);
        const item = answered[k];
        if (item?.type !== 'event' || item.event.event_id !== cell.id) return false;
      }
    }
  }
  return previousEvent(answered, k) < 0;
}

/** The index of the last event item before `end`; -1 when there is none. */
function previousEvent(items: readonly BacklogItem[], end: number): number {
  for (let k = end - 1; k >= 0; k--) if (items[k]?.type === 'event') return k;
  return -1;
}
