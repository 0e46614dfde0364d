/**
 * `publish`: sends a JSON-lines file of events on `dsiem_events` the way the Dsiem frontend does, each event with
 * `rcvd_time` set (ns since the epoch) when it is published. With `now`, timestamps are shifted by whole seconds
 * so that the first event is now and the gaps between events are kept (under `serve`, whose clock is the wall
 * clock, events dated in the past would expire at once). With `rate`, at most that many events per second.
 * Lines that are not JSON objects are skipped (counted, the first ones logged with their line number); the
 * events themselves are not checked, so the backend's own checks can be tried with it.
 */

import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { shiftTimestamp } from '../src/event/shift-timestamp.js';
import { isBlankLine, LineSplitter } from '../src/shared/lines.js';
import { fail, ok, type Result } from '../src/shared/result.js';
import { parseRfc3339Seconds, systemClock, type Clock } from '../src/shared/time.js';
import type { Logger } from './logger.js';
import { EVENTS_SUBJECT } from './nats-ingress.js';

export interface PublishOptions {
  readonly eventsFile: string;
  /** Connection options (see `natsOptions` in serve.ts). */
  readonly nats: ConnectionOptions;
  /** The server as the user named it, credentials removed (for messages). */
  readonly server: string;
  /** Shift timestamps so that the first event is now (`--now`). */
  readonly now: boolean;
  /** Events per second at most (`--rate`); as fast as NATS takes them when absent. */
  readonly rate?: number;
  readonly log: Logger;
  readonly clock?: Clock;
}

export interface PublishSummary {
  readonly published: number;
  /** Lines that are not JSON objects (not published). */
  readonly skipped: number;
  /** Events whose timestamp could not be shifted (not RFC 3339), published as they were. */
  readonly unshifted: number;
  /** Seconds added to every timestamp (`--now`), 0 otherwise. */
  readonly shiftSeconds: number;
  readonly seconds: number;
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
}

/** Flush (wait for the server to take what was sent) this often: the client would otherwise buffer the file. */
const FLUSH_EVERY = 1_000;
const LOGGED_SKIPPED = 10;

export async function runPublish(o: PublishOptions): Promise<Result<PublishSummary, PublishError>> {
  const clock = o.clock ?? systemClock;
  let nc: NatsConnection;
  try {
    nc = await connect({ ...o.nats, maxReconnectAttempts: 0 });
  } catch (err) {
    return fail(new PublishError(`cannot connect to NATS at ${o.server}: ${(err as Error).message}`, { cause: err }));
  }
  const started = clock.now();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let shift: number | undefined = o.now ? undefined : 0;
  let line = 0;
  let published = 0;
  let skipped = 0;
  let unshifted = 0;
  const skip = (why: string) => {
    skipped++;
    if (skipped <= LOGGED_SKIPPED) o.log.warn('line not published', { file: o.eventsFile, line, reason: why });
  };
  const publishLine = async (bytes: Uint8Array) => {
    let event: unknown;
    try {
      event = JSON.parse(decoder.decode(bytes));
    } catch {
      return skip('not a JSON object');
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) return skip('not a JSON object');
    const e = event as Record<string, unknown>;
    if (o.now) {
      const ts = typeof e['timestamp'] === 'string' ? e['timestamp'] : '';
      const at = parseRfc3339Seconds(ts);
      if (shift === undefined && !Number.isNaN(at)) shift = Math.floor(clock.now() / 1000) - at;
      const moved = shift === undefined ? undefined : shiftTimestamp(ts, shift);
      if (moved === undefined) unshifted++;
      else e['timestamp'] = moved;
    }
    if (o.rate !== undefined) {
      const due = started + (published * 1000) / o.rate;
      const wait = due - clock.now();
      if (wait > 0) {
        await nc.flush();
        await sleep(wait);
      }
    }
    e['rcvd_time'] = clock.now() * 1e6;
    nc.publish(EVENTS_SUBJECT, encoder.encode(JSON.stringify(e)));
    published++;
    if (published % FLUSH_EVERY === 0) await nc.flush();
  };
  const handle = async (lines: readonly Uint8Array[]) => {
    for (const bytes of lines) {
      line++;
      if (!isBlankLine(bytes)) await publishLine(bytes);
    }
  };
  try {
    const splitter = new LineSplitter();
    for await (const chunk of createReadStream(o.eventsFile, { highWaterMark: 1 << 16 })) await handle(splitter.push(chunk as Buffer));
    await handle(splitter.end());
    await nc.flush();
  } catch (err) {
    return fail(new PublishError(`publishing ${o.eventsFile} to ${o.server} failed after ${published} events: ${(err as Error).message}`, { cause: err }));
  } finally {
    await nc.close().catch(() => undefined);
  }
  if (skipped > LOGGED_SKIPPED) o.log.warn('more lines not published', { file: o.eventsFile, notLogged: skipped - LOGGED_SKIPPED });
  return ok({ published, skipped, unshifted, shiftSeconds: shift ?? 0, seconds: (clock.now() - started) / 1000 });
}

export function formatPublishSummary(o: Pick<PublishOptions, 'eventsFile' | 'server'>, s: PublishSummary): string {
  const parts = [`published ${s.published} events from ${o.eventsFile} to ${o.server} (${EVENTS_SUBJECT}) in ${s.seconds.toFixed(2)} s`];
  if (s.shiftSeconds !== 0) parts.push(`timestamps moved by ${s.shiftSeconds > 0 ? '+' : ''}${s.shiftSeconds} s`);
  if (s.unshifted > 0) parts.push(`${s.unshifted} timestamps not RFC 3339, sent as they were`);
  if (s.skipped > 0) parts.push(`${s.skipped} lines skipped (not JSON objects)`);
  return parts.join('; ');
}
