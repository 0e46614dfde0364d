/** Alarm ids: 9 characters from `_-0-9a-zA-Z`, like Dsiem's short ids. The source is injected where ids are made. */

import { createHash, randomBytes } from 'node:crypto';

export type IdSource = () => string;

const ALPHABET = '_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

const POOL_IDS = 4096;

/** Random 9-character ids; random bytes are drawn 4096 ids at a time (one system call, not one per id). */
export function randomIds(): IdSource {
  let pool = randomBytes(0);
  let offset = 0;
  return () => {
    if (offset + 9 > pool.length) {
      pool = randomBytes(9 * POOL_IDS);
      offset = 0;
    }
    let id = '';
    for (let i = offset; i < offset + 9; i++) id += ALPHABET[(pool[i] ?? 0) & 63];
    offset += 9;
    return id;
  };
}

/**
 * Reproducible ids (`replay --seed`): the same seed gives the same ids in the same order, in the alphabet and
 * length of the random ones, so two runs over the same input write the same files and can be diffed. Each call
 * makes an independent source; its state lives in the closure (a Weyl sequence through the murmur3 finaliser, as
 * splitmix does: small, and every seed gives a full 2^32 period). Not for secrets: the ids are as guessable as the seed.
 */
export function seededIds(seed: number): IdSource {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return () => {
    // 54 bits per id: 5 characters from one draw (30 bits) and 4 from the next (24 bits).
    const a = next();
    const b = next();
    let id = '';
    for (let i = 0; i < 5; i++) id += ALPHABET[(a >>> (6 * i)) & 63];
    for (let i = 0; i < 4; i++) id += ALPHABET[(b >>> (6 * i)) & 63];
    return id;
  };
}

/**
 * The id of a backlog whose first event came from a JetStream stream, made from where that event stands in it:
 * the stream (its name and creation time: a stream deleted and made again starts its sequences anew), the
 * directive and the sequence. Correlating the same events again after a crash gives the same ids, so an alarm
 * keeps its id. `salt` > 0 gives other ids for the same place (never needed: one event starts at most one backlog
 * per directive; kept so that a collision cannot stop a directive).
 */
export function streamAlarmId(stream: string, directiveId: number, seq: number, salt = 0): string {
  const digest = createHash('sha256').update(`${stream}\u0000${directiveId}\u0000${seq}\u0000${salt}`).digest();
  let id = '';
  for (let i = 0; i < 9; i++) id += ALPHABET[(digest[i] ?? 0) & 63];
  return id;
}

/** Deterministic ids for tests: prefix-1, prefix-2, ... */
export function sequentialIds(prefix = 'alarm'): IdSource {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
