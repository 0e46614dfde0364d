/**
 * SIGTERM and SIGINT, watched from the very start of `serve`: a stop asked for during start-up (before the
 * backend runs) ends the start-up at its next step, leaving saved backlogs as they were (nothing was taken from
 * them yet), instead of killing the process halfway (the default action). A second signal during the shutdown
 * is logged and ignored: it must not cut the save short.
 */

import type { Logger } from './logger.js';

export class StopRequested extends Error {
  override readonly name = 'StopRequested';
  constructor(readonly signal: NodeJS.Signals) {
    super(`${signal} received during start-up`);
  }
}

export interface StopSignals {
  /** Resolves with the first signal. */
  readonly received: Promise<NodeJS.Signals>;
  /** The signal received so far, if any. */
  readonly signal: NodeJS.Signals | undefined;
  /** A start-up step that gives way to a stop: rejects with `StopRequested` when a signal comes first. */
  during<T>(step: Promise<T>): Promise<T>;
  /** From now on further signals are only logged (the shutdown is under way). */
  shuttingDown(): void;
  uninstall(): void;
}

export function watchStopSignals(log: Logger): StopSignals {
  let signal: NodeJS.Signals | undefined;
  let resolve: (s: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((r) => (resolve = r));
  let shutting = false;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal === undefined) {
      signal = s;
      resolve(s);
    } else if (shutting) {
      log.warn('shutdown already in progress, signal ignored', { signal: s });
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    received,
    get signal() {
      return signal;
    },
    during: <T>(step: Promise<T>) => Promise.race([step, received.then((s): never => {
      throw new StopRequested(s);
    })]),
    shuttingDown: () => {
      shutting = true;
    },
    uninstall: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
