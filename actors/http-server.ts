/**
 * The HTTP server of `serve` (`--address`, `--port`): `GET /metrics` (Prometheus text format), `GET /healthz`
 * (liveness: 200 while the process serves) and `GET /readyz` (readiness: 200, or 503 with the reasons in the body).
 * Nothing else; it never touches correlation, it only reads.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readiness } from '../src/health/readiness.js';
import type { Logger } from './logger.js';

export interface HttpRoutes {
  readonly ready: () => Readiness;
  readonly metrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
}

export interface HttpServer {
  /** The port it listens on. */
  readonly port: number;
  close(): Promise<void>;
}

export class HttpServerError extends Error {
  override readonly name = 'HttpServerError';
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: HttpRoutes, log: Logger): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return send(res, 404, 'not found: the routes are /metrics, /healthz and /readyz\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'method not allowed\n');
  }
  if (path === '/healthz') return send(res, 200, 'ok\n');
  if (path === '/readyz') {
    const r = routes.ready();
    return r.ready ? send(res, 200, 'ready\n') : send(res, 503, `not ready: ${r.reasons.join('; ')}\n`);
  }
  try {
    const m = await routes.metrics();
    send(res, 200, m.body, m.contentType);
  } catch (err) {
    log.error('metrics could not be collected', { error: (err as Error).message });
    send(res, 500, `metrics could not be collected: ${(err as Error).message}\n`);
  }
}

/** Listens, or fails naming the setting (a port in use, an address not of this host). */
export async function startHttpServer(o: { readonly address: string; readonly port: number; readonly routes: HttpRoutes; readonly log: Logger }): Promise<HttpServer> {
  const server = createServer((req, res) => void handle(req, res, o.routes, o.log));
  // A stalled client must not hold a socket for long (probes and scrapes are quick).
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new HttpServerError(
          `cannot listen on ${o.address}:${o.port} for /metrics, /healthz and /readyz (--address DSIEM_ADDRESS, --port DSIEM_PORT; --port 0 disables the server): ${err.code ?? err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(o.port, o.address, () => resolve());
  });
  server.on('error', (err) => o.log.error('http server error', { error: err.message }));
  // It never keeps the process alive by itself: a start-up that fails later still ends the process.
  server.unref();
  const port = (server.address() as AddressInfo).port;
  o.log.info('http server listening', { address: o.address, port, routes: ['/metrics', '/healthz', '/readyz'] });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
