/**
 * Loading a module of node_modules that may not be there or may not be what the code expects: the patches and
 * checks that read a library's internals (nact-patch.ts, the JetStream intake's nats.js check) say what differs
 * instead of failing on the load.
 */

import { createRequire } from 'node:module';

/** The CommonJS module `id` (resolved from actors/), or undefined when it cannot be loaded. */
export function requireOptional<T>(id: string): T | undefined {
  try {
    return createRequire(import.meta.url)(id) as T;
  } catch {
    return undefined;
  }
}
