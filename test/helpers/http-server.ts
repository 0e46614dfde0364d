// Small HTTP servers for integration tests: a recording server around any
// handler, and a stand-in for the Dsiem frontend's config endpoints.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
}

export interface TestHttpServer {
  /** `http://127.0.0.1:<port>` (no trailing slash) */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Stops listening and destroys open connections (so a handler that never answers does not hang it). */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 and a free port. A handler that throws
 * (or rejects) gets a 500 answer when it has not answered yet.
 */
export function startHttpServer(handler: HttpHandler): Promise<TestHttpServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const fail = (res: ServerResponse, error: unknown): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain');
    res.end(`test handler failed: ${error instanceof Error ? error.message : String(error)}`);
  };

  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    try {
      const result = handler(req, res);
      if (result instanceof Promise) result.catch((error: unknown) => fail(res, error));
    } catch (error) {
      fail(res, error);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    });
    return closing;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`unexpected server address ${String(address)}`));
        return;
      }
      const port = address.port;
      resolve({ url: `http://127.0.0.1:${port}`, port, requests, close });
    });
  });
}

export interface ConfigFrontendOptions {
  /**
   * The backend's node name. Directive files of the folder that do not already
   * start with `directives_<node>` are listed (and served) as
   * `directives_<node>_<rest>`, as the Go Dsiem recording setup renames
   * `directives_X.json` to `directives_<node>_X.json`.
   */
  readonly node?: string;
  /**
   * What the listing says for an empty folder: `null` (`{"files":null}`, what
   * Go's frontend sends, default) or `[]` (`{"files":[]}`).
   */
  readonly emptyListing?: 'null' | 'array';
}

/** The name a folder file is published under. */
function publishedName(file: string, node: string | undefined): string {
  if (node === undefined || !file.startsWith('directives_') || file.startsWith(`directives_${node}`)) return file;
  return `directives_${node}_${file.slice('directives_'.length)}`;
}

/** Files of the folder (regular files only, sorted), keyed by published name. */
async function listFolder(folder: string, node: string | undefined): Promise<Map<string, string>> {
  const entries = await readdir(folder, { withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();
  return new Map(files.map((file) => [publishedName(file, node), file]));
}

/**
 * Serves the files of `folder` like the Dsiem frontend's config endpoints
 * (read at every request, so files may be added later):
 * `GET /config/` → `{"files":[{"filename":"..."}, ...]}`,
 * `GET /config/<name>` → the file's content; anything else → 404.
 */
export function startConfigFrontend(folder: string, options: ConfigFrontendOptions = {}): Promise<TestHttpServer> {
  const { node, emptyListing = 'null' } = options;
  return startHttpServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://frontend').pathname;
    const notFound = (): void => {
      res.statusCode = 404;
      res.setHeader('content-type', 'text/plain');
      res.end('404 page not found\n');
    };
    if (req.method !== 'GET' || !path.startsWith('/config/')) {
      notFound();
      return;
    }
    const files = await listFolder(folder, node);
    const rest = path.slice('/config/'.length);
    if (rest === '') {
      const listing = [...files.keys()].map((filename) => ({ filename }));
      const body = { files: listing.length === 0 && emptyListing === 'null' ? null : listing };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(rest);
    } catch {
      notFound();
      return;
    }
    const file = files.get(name);
    if (file === undefined) {
      notFound();
      return;
    }
    const content = await readFile(join(folder, file));
    res.setHeader('content-type', file.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8');
    res.end(content);
  });
}
