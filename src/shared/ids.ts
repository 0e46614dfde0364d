/** Alarm ids: 9 characters from `_-0-9a-zA-Z`, like Dsiem's short ids. The source is injected where ids are made. */

import { randomBytes } from 'node:crypto';

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

/** Deterministic ids for tests: prefix-1, prefix-2, ... */
export function sequentialIds(prefix = 'alarm'): IdSource {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
