/**
 * One runtime fix for nact 7.6.2 (unmaintained since 2021), applied once before any actor is spawned.
 *
 * nact copies an actor's children map into the context of every message it handles, so a directive actor with
 * thousands of backlog children pays O(children) per message (research: 222 msgs/s at 10,000 children). The
 * context's `children` becomes a lazy getter (nothing here reads it on the hot path), and each actor reuses one
 * context object, updating its `sender` (handlers here never keep their context beyond the call).
 *
 * We do not use nact's `query` (its random 31-bit reply ids collide): control messages carry a reply callback.
 */

import { createRequire } from 'node:module';

interface ActorInternals {
  parent?: { reference: unknown };
  path: unknown;
  reference: unknown;
  name: string;
  childReferences: Map<string, unknown>;
  log: unknown;
  dsiemContext?: { sender: unknown };
}

let applied = false;

export function applyNactPatch(): void {
  if (applied) return;
  const require = createRequire(import.meta.url);
  const { Actor } = require('nact/lib/actor.js') as { Actor: { prototype: Record<string, unknown> } };
  Actor.prototype['createContext'] = function createContext(this: ActorInternals, sender: unknown) {
    if (this.dsiemContext !== undefined && this.parent !== undefined) {
      this.dsiemContext.sender = sender;
      return this.dsiemContext;
    }
    const childReferences = this.childReferences;
    const context = {
      parent: this.parent ? this.parent.reference : undefined,
      path: this.path,
      self: this.reference,
      name: this.name,
      get children() {
        return new Map(childReferences);
      },
      sender,
      log: this.log,
    };
    this.dsiemContext = context;
    return context;
  };
  applied = true;
}
