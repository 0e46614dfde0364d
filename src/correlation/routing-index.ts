/**
 * A directive's live backlogs by routing key (routing-key.ts): the backlogs keyed on one source host (those keyed
 * on a host pair among them, by their source), those keyed on one destination host, and the unkeyed rest. An event
 * is offered only to the unkeyed backlogs and to those keyed on its own source or destination; the directive skips
 * the pair-keyed ones of its source whose destination is not the event's (`otherPair`). Buckets are arrays (an
 * entry knows its slot, so removal is a swap), walked by index: no iterator objects on the per-event path. (A
 * second map level per source for the pairs would cost a Map per source: ~250 bytes per backlog when each has
 * a source of its own.)
 */

import type { IpKey, RoutingKey } from '../backlog/routing-key.js';

/** What the index keeps on an entry to find it again. */
export interface Routable {
  key: RoutingKey;
  bucket: Routable[] | undefined;
  slot: number;
}

export class RoutingIndex<T extends Routable> {
  private readonly bySrc = new Map<IpKey, T[]>();
  private readonly byDst = new Map<IpKey, T[]>();
  readonly unkeyed: T[] = [];
  private count = 0;

  /** Entries in the index. */
  get size(): number {
    return this.count;
  }

  add(entry: T, key: RoutingKey): void {
    if (entry.bucket !== undefined) throw new Error('routing index: entry added twice');
    const bucket = this.bucketFor(key, true) as T[];
    entry.key = key;
    entry.bucket = bucket as Routable[];
    entry.slot = bucket.length;
    bucket.push(entry);
    this.count++;
  }

  remove(entry: T): void {
    const bucket = entry.bucket as T[] | undefined;
    if (bucket === undefined) return;
    const last = bucket.pop() as T;
    if (last !== entry) {
      bucket[entry.slot] = last;
      last.slot = entry.slot;
    }
    entry.bucket = undefined;
    entry.slot = -1;
    this.count--;
    const key = entry.key;
    if (key !== undefined && bucket.length === 0) (key.side === 'dst' ? this.byDst : this.bySrc).delete(key.key);
  }

  /** Moves an entry to the bucket of its new key (after its stage changed). */
  rekey(entry: T, key: RoutingKey): void {
    const old = entry.key;
    if (entry.bucket !== undefined && sameKey(key, old)) return;
    this.remove(entry);
    this.add(entry, key);
  }

  /** Keyed entries an event from this host can touch (besides `unkeyed`), pair-keyed ones included. */
  bySource(key: IpKey): readonly T[] | undefined {
    return this.bySrc.get(key);
  }

  /** Keyed entries an event to this host can touch (besides `unkeyed`). */
  byDestination(key: IpKey): readonly T[] | undefined {
    return this.byDst.get(key);
  }

  private bucketFor(key: RoutingKey, create: boolean): T[] | undefined {
    if (key === undefined) return this.unkeyed;
    const map = key.side === 'dst' ? this.byDst : this.bySrc;
    let bucket = map.get(key.key);
    if (bucket === undefined && create) {
      bucket = [];
      map.set(key.key, bucket);
    }
    return bucket;
  }
}

function sameKey(a: RoutingKey, b: RoutingKey): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.side === b.side && a.key === b.key && (a.side !== 'pair' || (b.side === 'pair' && a.dst === b.dst));
}

/**
 * An entry of a source bucket keyed on a pair whose destination is not `dst` (as `pairDestination` gives it): no
 * event to `dst` can touch it.
 */
export function otherPair(entry: Routable, dst: IpKey): boolean {
  const key = entry.key;
  return key !== undefined && key.side === 'pair' && key.dst !== dst;
}
