/**
 * The NATS connection's status events, logged and counted, with a slow-consumer cut told apart from other
 * disconnects.
 *
 * nats-server cuts a client that reads too slowly (its outbound buffer for the client passes `max_pending`, or a
 * write passes `write_deadline`) by closing the connection without a word: it sends no `-ERR` for this (it
 * skips the final flush), and nats.js reports a plain disconnect. What tells it apart is that the server is
 * still the same one when the client reconnects (the same `server_id`; a restarted server has a new one) and
 * that nothing else explained the disconnect first: no error from the server, no stale connection seen by the
 * client, no lame-duck notice, no reconnect asked by the client. Everything the server held for the backend at
 * that moment is lost, so it is logged as an error and counted.
 */

import type { NatsConnection, Status } from 'nats';
import type { Logger } from './logger.js';

export interface NatsConnectionStats {
  /** Up now (readiness, metrics). */
  connected: boolean;
  disconnects: number;
  reconnects: number;
  /** Disconnects recognised as slow-consumer cuts by the server. */
  slowConsumerCuts: number;
}

/** Status types that explain a disconnect other than a slow-consumer cut. */
const EXPLAINED_BY = new Set(['error', 'staleConnection', 'ldm', 'client initiated reconnect']);

export function watchNatsStatus(nc: NatsConnection, log: Logger): NatsConnectionStats {
  const stats: NatsConnectionStats = { connected: !nc.isClosed(), disconnects: 0, reconnects: 0, slowConsumerCuts: 0 };
  let serverId = nc.info?.server_id;
  /** What happened since the last (re)connect that explains a disconnect, if anything. */
  let explained: string | undefined;
  let disconnectedFrom: { readonly serverId: string | undefined; readonly explained: string | undefined } | undefined;
  const onStatus = (s: Status) => {
    if (EXPLAINED_BY.has(s.type)) explained ??= `${s.type}${s.data === '' ? '' : ` ${String(s.data)}`}`;
    if (s.type === 'error') log.error('nats client error', { error: String(s.data) });
    else if (s.type === 'disconnect') {
      stats.connected = false;
      stats.disconnects++;
      disconnectedFrom ??= { serverId, explained };
      log.warn('nats disconnected', { server: String(s.data), ...(explained === undefined ? {} : { after: explained }) });
    } else if (s.type === 'reconnect') {
      stats.connected = true;
      stats.reconnects++;
      const now = nc.info?.server_id;
      const before = disconnectedFrom;
      disconnectedFrom = undefined;
      explained = undefined;
      serverId = now;
      if (before !== undefined && before.explained === undefined && now !== undefined && now === before.serverId) {
        stats.slowConsumerCuts++;
        log.error('nats-server cut the connection: slow consumer; events it held for the backend are lost', {
          server: String(s.data),
          serverId: now,
          why: 'the same server closed the connection without an error: nats-server does so when a client reads slower than it publishes (max_pending or write_deadline exceeded)',
          slowConsumerCuts: stats.slowConsumerCuts,
        });
      } else {
        log.warn('nats reconnected', { server: String(s.data), ...(now !== before?.serverId ? { newServer: true } : {}) });
      }
    }
  };
  void (async () => {
    for await (const s of nc.status()) onStatus(s);
  })()
    .catch(() => undefined)
    .finally(() => {
      stats.connected = false;
    });
  return stats;
}
