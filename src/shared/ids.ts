/** Alarm ids: 9 characters from `_-0-9a-zA-Z`, like Dsiem's short ids. The source is injected where ids are made. */

import { randomBytes } from 'node:crypto';

export type IdSource = () => string;

const ALPHABET = '_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export const randomIds: IdSource = () => {
  const bytes = randomBytes(9);
  let id = '';
  for (const b of bytes) id += ALPHABET[b & 63];
  return id;
};

/** Deterministic ids for tests: prefix-1, prefix-2, ... */
export function sequentialIds(prefix = 'alarm'): IdSource {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
