/**
 * The onCrash policy of the long-lived actors (supervisor, alarm writer, ingress, directives): log the failure
 * through winston and keep the actor running with its previous state. nact's default would print to the console
 * and stop the actor, which would silently stop all correlation. The policy never throws (a throwing onCrash
 * kills the process in nact 7.6).
 */

import type { Logger } from './logger.js';

export function resumeAndLog(log: Logger, what: string, fields: Record<string, unknown> = {}) {
  // Generic over the context: nact types its decisions as `Symbol` objects.
  return <C extends { readonly resume: unknown }>(_msg: unknown, err: unknown, ctx: C): C['resume'] => {
    try {
      log.error(`${what} failed on a message; it keeps running`, { ...fields, error: err instanceof Error ? err.message : String(err) });
    } catch {
      // nothing: the policy must not throw
    }
    return ctx.resume;
  };
}
