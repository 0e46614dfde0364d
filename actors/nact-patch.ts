/**
 * Runtime fixes for nact 7.6.2 (unmaintained since 2021), applied once before any actor is spawned.
 *
 * nact copies an actor's children map into the context of every message it handles, so a directive actor with
 * thousands of backlog children pays O(children) per message (research: 222 msgs/s at 10,000 children). The
 * context's `children` becomes a lazy getter (nothing here reads it on the hot path). An actor keeps one children
 * map instead of nact's two (the references are read from the children when asked: one map entry less per
 * backlog, and one map write less at each spawn and stop), made only when it gets a child (backlog actors never
 * do; an empty Map is ~0.3 KB), and its mailbox only when a message has to wait. The dispatch patch is nact's
 * own, with that one change.
 *
 * The supervision and stop contexts are rebuilt too: nact makes them by spreading the handler context, which
 * would lose the `children` getter.
 *
 * The patch replaces internals, so it checks first that they are the ones it was written for: nact's version
 * and every member it replaces or relies on. A mismatch (an upgraded nact) fails loudly at start, naming what
 * differs, instead of misbehaving later.
 *
 * We do not use nact's `query` (its random 31-bit reply ids collide): control messages carry a reply callback.
 */

import { createRequire } from 'node:module';
import { requireOptional } from './require-optional.js';

/** A child as its parent keeps it. */
interface Child {
  readonly name: string;
  readonly reference: unknown;
}

interface ActorInternals {
  parent?: { reference: unknown };
  path: unknown;
  reference: unknown;
  name: string;
  children: ReadonlyMap<string, Child>;
  log: unknown;
}

/** Name to reference, as nact's `childReferences` held them. */
function referencesOf(children: ReadonlyMap<string, Child>): Map<string, unknown> {
  const refs = new Map<string, unknown>();
  for (const [name, child] of children) refs.set(name, child.reference);
  return refs;
}

/**
 * What nact passes to a handler as `this` and last argument. A class, so that its fields stay fast properties
 * (an object literal with a getter is a dictionary, ~0.5 KB), and made per message instead of kept per actor:
 * handlers here never keep their context beyond the call, and a short-lived object costs nothing to keep.
 */
class HandlerContext {
  constructor(
    readonly parent: unknown,
    readonly path: unknown,
    readonly self: unknown,
    readonly name: string,
    private readonly childActors: ReadonlyMap<string, Child>,
    readonly sender: unknown,
    readonly log: unknown,
  ) {}

  get children(): Map<string, unknown> {
    return referencesOf(this.childActors);
  }
}

interface PathInternals {
  parts: string[];
}
interface PathClass {
  prototype: { createChildPath(this: PathInternals, name: string): PathInternals };
}

interface Mailbox {
  readonly length: number;
  push(item: unknown): number;
}
interface LazyMailbox {
  dsiemMailbox?: Mailbox;
}
interface ActorMethods {
  busy: boolean;
  immediate: unknown;
  state: unknown;
  f: (this: unknown, state: unknown, message: unknown, ctx: unknown) => unknown;
  assertNotStopped(): void;
  clearTimeout(): void;
  handleMessage(message: unknown, sender: unknown): void;
  handleFault(message: unknown, sender: unknown, error: unknown): void;
  afterMessage(): void;
  processNext(): void;
  createContext(sender: unknown): unknown;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/** The children of an actor that has none: shared, so it must never be added to. */
class NoChildren extends Map<string, unknown> {
  override set(): this {
    throw new Error('nact patch: a child was added to the shared empty children map');
  }
}
const NO_CHILDREN = new NoChildren();

interface LazyChildren {
  dsiemChildren?: Map<string, Child>;
}

/** `children` reads the actor's own map once it has a child, the shared empty one before. */
const LAZY_CHILDREN: PropertyDescriptor = {
  get(this: LazyChildren) {
    return this.dsiemChildren ?? NO_CHILDREN;
  },
  // nact's constructor assigns a new empty Map: it is dropped (one per backlog actor would be ~300 bytes each).
  set(this: LazyChildren, map: Map<string, Child>) {
    this.dsiemChildren = map.size === 0 ? undefined : map;
  },
  configurable: true,
};

/**
 * `childReferences`, derived from the children if anything reads it: nact's own readers (`createContextWithMailbox`,
 * `childSpawned`, `childStopped`) are replaced below and use the children. What nact's constructor assigns is dropped.
 */
const DERIVED_REFERENCES: PropertyDescriptor = {
  get(this: ActorInternals) {
    return referencesOf(this.children);
  },
  set() {},
  configurable: true,
};

/** The nact release this patch was written for and checked against. */
export const PATCHED_NACT_VERSION = '7.6.2';

/** Members of nact's Actor the patch replaces or calls; each must be a function of the prototype. */
const ACTOR_METHODS = [
  'createContext',
  'createContextWithMailbox',
  'createSupervisionContext',
  'dispatch',
  'childSpawned',
  'childStopped',
  'handleMessage',
  'handleFault',
  'afterMessage',
  'processNext',
  'assertNotStopped',
  'clearTimeout',
] as const;

export class NactPatchError extends Error {
  override readonly name = 'NactPatchError';
}

interface NactModules {
  readonly version: unknown;
  readonly Actor: { prototype: Record<string, unknown> } | undefined;
  readonly ActorPath: { prototype: Record<string, unknown> } | undefined;
  readonly hasQueue: boolean;
  readonly Nobody: unknown;
}

/** What differs between the nact in node_modules and the one the patch was written for (empty: all as expected). */
export function nactMismatches(m: NactModules): string[] {
  const problems: string[] = [];
  if (m.version !== PATCHED_NACT_VERSION) problems.push(`nact version is ${String(m.version)}, the patch was written for ${PATCHED_NACT_VERSION}`);
  if (m.Actor === undefined) problems.push('nact/lib/actor.js exports no Actor class');
  else for (const name of ACTOR_METHODS) if (typeof m.Actor.prototype[name] !== 'function') problems.push(`Actor.prototype.${name} is not a function`);
  if (typeof m.ActorPath?.prototype['createChildPath'] !== 'function') problems.push('ActorPath.prototype.createChildPath is not a function');
  if (!m.hasQueue) problems.push("nact's mailbox queue (denque) cannot be loaded");
  if (typeof m.Nobody !== 'function') problems.push('nact/lib/references.js exports no Nobody class');
  return problems;
}

let applied = false;

export function applyNactPatch(): void {
  if (applied) return;
  const require = createRequire(import.meta.url);
  const load = requireOptional;
  const actorModule = load<{ Actor?: { prototype: Record<string, unknown> } }>('nact/lib/actor.js');
  const pathModule = load<{ ActorPath?: { prototype: Record<string, unknown> } }>('nact/lib/paths.js');
  const refs = load<{ Nobody?: unknown }>('nact/lib/references.js');
  const queueFrom = actorModule === undefined ? undefined : load<unknown>(createRequire(require.resolve('nact/lib/actor.js')).resolve('denque'));
  const problems = nactMismatches({
    version: load<{ version?: unknown }>('nact/package.json')?.version,
    Actor: actorModule?.Actor,
    ActorPath: pathModule?.ActorPath,
    hasQueue: typeof queueFrom === 'function',
    Nobody: refs?.Nobody,
  });
  if (problems.length > 0) {
    throw new NactPatchError(`cannot apply the runtime patch to nact (actors/nact-patch.ts): ${problems.join('; ')}`);
  }
  const { Actor } = require('nact/lib/actor.js') as { Actor: { prototype: Record<string, unknown> } };
  Actor.prototype['createContext'] = function createContext(this: ActorInternals, sender: unknown) {
    return new HandlerContext(this.parent?.reference, this.path, this.reference, this.name, this.children, sender, this.log);
  };
  // nact spreads the handler context into these (rare: a crash, a stop): give them plain fields, children included.
  Actor.prototype['createContextWithMailbox'] = function createContextWithMailbox(this: ActorInternals & { mailbox: { toArray(): unknown[] } }, sender: unknown) {
    return {
      parent: this.parent?.reference,
      path: this.path,
      self: this.reference,
      name: this.name,
      children: referencesOf(this.children),
      sender,
      log: this.log,
      mailbox: this.mailbox.toArray(),
    };
  };
  // A child's path copies its parent's parts: with a spread the copy keeps room for 16 more (~150 bytes).
  const { ActorPath } = require('nact/lib/paths.js') as { ActorPath: PathClass };
  const createChildPath = ActorPath.prototype.createChildPath;
  ActorPath.prototype.createChildPath = function exactChildPath(this: PathInternals, name: string) {
    const path = createChildPath.call(this, name);
    path.parts = path.parts.slice();
    return path;
  };
  // The mailbox too is made when a message first has to wait (the constructor's empty one is dropped).
  const Queue = createRequire(require.resolve('nact/lib/actor.js'))('denque') as new () => Mailbox;
  const { Nobody } = require('nact/lib/references.js') as { Nobody: new () => unknown };
  const EMPTY_MAILBOX = new Queue();
  EMPTY_MAILBOX.push = () => {
    throw new Error('nact patch: a message was queued in the shared empty mailbox');
  };
  Object.defineProperty(Actor.prototype, 'mailbox', {
    get(this: LazyMailbox) {
      return this.dsiemMailbox ?? EMPTY_MAILBOX;
    },
    set(this: LazyMailbox, mailbox: Mailbox) {
      this.dsiemMailbox = mailbox.length === 0 ? undefined : mailbox;
    },
    configurable: true,
  });
  Actor.prototype['dispatch'] = function dispatch(this: LazyMailbox & ActorMethods, message: unknown, sender: unknown = new Nobody()) {
    this.assertNotStopped();
    this.clearTimeout();
    if (!this.busy) this.handleMessage(message, sender);
    else (this.dsiemMailbox ??= new Queue()).push({ message, sender });
  };
  // nact awaits every handler's result (`await Promise.resolve(f(...))`): a promise and a microtask hop per
  // message even for the synchronous handlers that do nearly all the work here. Only a thenable is waited for;
  // a failure, thrown or rejected, goes to supervision as before.
  Actor.prototype['handleMessage'] = function handleMessage(this: ActorMethods, message: unknown, sender: unknown) {
    this.busy = true;
    this.immediate = setImmediate(() => {
      let result: unknown;
      try {
        const ctx = this.createContext(sender);
        result = this.f.call(ctx, this.state, message, ctx);
      } catch (err) {
        this.handleFault(message, sender, err);
        return;
      }
      const finish = (next: unknown) => {
        try {
          this.state = next;
          this.afterMessage();
          this.processNext();
        } catch (err) {
          this.handleFault(message, sender, err);
        }
      };
      if (isThenable(result)) result.then(finish, (err: unknown) => this.handleFault(message, sender, err));
      else finish(result);
    });
  };
  Object.defineProperty(Actor.prototype, 'children', LAZY_CHILDREN);
  Object.defineProperty(Actor.prototype, 'childReferences', DERIVED_REFERENCES);
  Actor.prototype['childSpawned'] = function childSpawned(this: LazyChildren, child: Child) {
    (this.dsiemChildren ??= new Map()).set(child.name, child);
  };
  Actor.prototype['childStopped'] = function childStopped(this: LazyChildren, child: Child) {
    this.dsiemChildren?.delete(child.name);
  };
  applied = true;
}
