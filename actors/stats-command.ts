/**
 * `dsiem-backend stats`: asks a running backend for its counters (the `dsiem_backend_stats` request/reply over
 * NATS) and prints them, one `name: value` line each, or the JSON reply as it is with `-j`.
 */

import { connect, ErrorCode, type NatsError } from 'nats';
import { redactUrl } from '../src/shared/redact-url.js';
import { natsOptions, STATS_SUBJECT } from './serve.js';

export interface StatsOptions {
  readonly msq: string;
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly write: (line: string) => void;
  /** From the environment, as `serve` reads them. */
  readonly natsCreds: string;
  readonly natsTlsCa: string;
}

/** `a.b: 1` lines from a nested JSON object, in its order. */
export function statsLines(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${prefix}: ${JSON.stringify(value)}`];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 && prefix !== '') return [`${prefix}: {}`];
  return entries.flatMap(([k, v]) => statsLines(v, prefix === '' ? k : `${prefix}.${k}`));
}

/** 0 printed, else a message for the user (exit 1). */
export async function runStats(o: StatsOptions): Promise<{ readonly code: 0 } | { readonly code: 1; readonly error: string }> {
  const where = redactUrl(o.msq);
  let nc;
  try {
    nc = await connect({ ...natsOptions(o.msq, o.natsCreds, o.natsTlsCa), name: 'dsiem-backend-stats', maxReconnectAttempts: 0, timeout: o.timeoutMs });
  } catch (err) {
    return { code: 1, error: `cannot connect to NATS at ${where} (--msq, DSIEM_MSQ): ${(err as Error).message}` };
  }
  try {
    const reply = await nc.request(STATS_SUBJECT, new Uint8Array(0), { timeout: o.timeoutMs });
    const text = new TextDecoder().decode(reply.data);
    if (o.json) o.write(text);
    else for (const line of statsLines(JSON.parse(text))) o.write(line);
    return { code: 0 };
  } catch (err) {
    const code = (err as NatsError).code;
    if (code === ErrorCode.NoResponders) return { code: 1, error: `no backend answers ${STATS_SUBJECT} on ${where}` };
    if (code === ErrorCode.Timeout) return { code: 1, error: `no backend answered ${STATS_SUBJECT} on ${where} within ${o.timeoutMs / 1000} s` };
    return { code: 1, error: `${STATS_SUBJECT} on ${where}: ${(err as Error).message}` };
  } finally {
    await nc.close();
  }
}
