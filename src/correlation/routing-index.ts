/**
 * A directive's live backlogs by routing key (routing-key.ts): the backlogs keyed on one source host, those keyed
 * on one destination host, those keyed on a source and destination pair, and the unkeyed rest. An event is offered
 * only to the unkeyed backlogs and to those keyed on its own source, its own destination or its own pair. Buckets
 * are arrays (an entry knows its slot, so removal is a swap), walked by index: no iterator objects on the per-event
 * path.
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
  /** Source host, then destination host. */
  private readonly byPair = new Map<IpKey, Map<IpKey, T[]>>();
  readonly unkeyed: T[] = [];
  private count = 0;

  /** Entries in the index. */
  get size(): number {
    return this.count;
  }

  add(entry: T, key: RoutingKey): void {
    if (entry.bucket !== undefined) throw new Error('routing index: entry added twice');
    const bucket = this.bucketFor(key);
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
    if (key === undefined || bucket.length > 0) return;
    if (key.side !== 'pair') {
      (key.side === 'src' ? this.bySrc : this.byDst).delete(key.key);
      return;
    }
    const inner = this.byPair.get(key.key);
    inner?.delete(key.dst);
    if (inner?.size === 0) this.byPair.delete(key.key);
  }

  /** Moves an entry to the bucket of its new key (after its stage changed). */
  rekey(entry: T, key: RoutingKey): void {
    const old = entry.key;
    if (entry.bucket !== undefined && sameKey(key, old)) return;
    this.remove(entry);
    this.add(entry, key);
  }

  /** Keyed entries an event from this host can touch (besides `unkeyed`). */
  bySource(key: IpKey): readonly T[] | undefined {
    return this.bySrc.get(key);
  }

  /** Keyed entries an event to this host can touch (besides `unkeyed`). */
  byDestination(key: IpKey): readonly T[] | undefined {
    return this.byDst.get(key);
  }

  /** Entries keyed on exactly this source and destination pair (besides `unkeyed`). */
  byHosts(src: IpKey, dst: IpKey): readonly T[] | undefined {
    return this.byPair.get(src)?.get(dst);
  }

  /** The bucket for a key, made when missing. */
  private bucketFor(key: RoutingKey): T[] {
    if (key === undefined) return this.unkeyed;
    if (key.side !== 'pair') return bucketIn(key.side === 'src' ? this.bySrc : this.byDst, key.key);
    let inner = this.byPair.get(key.key);
    if (inner === undefined) {
      inner = new Map();
      this.byPair.set(key.key, inner);
    }
    return bucketIn(inner, key.dst);
  }
}

function sameKey(a: RoutingKey, b: RoutingKey): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.side === b.side && a.key === b.key && (a.side !== 'pair' || (b.side === 'pair' && a.dst === b.dst));
}

function bucketIn<T>(map: Map<IpKey, T[]>, key: IpKey): T[] {
  let bucket = map.get(key);
  if (bucket === undefined) {
    bucket = [];
    map.set(key, bucket);
  }
  return bucket;
}
