/**
 * Readiness of a running backend (`GET /readyz`): it can take events when NATS is connected, the configuration is
 * loaded, the queue of events waiting for correlation is below 90% of its bound and it is not shutting down.
 * Every reason that holds is given, so that the probe's body says all that is wrong at once.
 */

export interface ReadinessInput {
  readonly configLoaded: boolean;
  readonly natsConnected: boolean;
  readonly queueLength: number;
  /** `--max_queue` as applied (0 already turned into its meaning). */
  readonly maxQueue: number;
  readonly shuttingDown: boolean;
}

/** The share of the queue bound at which the backend stops being ready (it drops events at the bound). */
export const QUEUE_READY_LIMIT = 0.9;

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reasons: readonly string[] };

export function readiness(r: ReadinessInput): Readiness {
  const reasons: string[] = [];
  if (r.shuttingDown) reasons.push('shutting down');
  if (!r.configLoaded) reasons.push('configuration not loaded yet');
  if (!r.natsConnected) reasons.push('NATS not connected');
  if (r.queueLength >= QUEUE_READY_LIMIT * r.maxQueue) {
    reasons.push(`event queue at ${r.queueLength} of ${r.maxQueue} (${QUEUE_READY_LIMIT * 100}% or more of --max_queue)`);
  }
  return reasons.length === 0 ? { ready: true } : { ready: false, reasons };
}
