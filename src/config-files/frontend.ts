/**
 * Downloading the config files from a Dsiem frontend (edge module: HTTP with got, file I/O).
 *
 * `GET {frontend}/config/` lists `{"files":[{"filename":...}]}`; the backend takes `assets_*.json`,
 * `intel_*.json`, `vuln_*.json` and `directives_{node}_*.json` (D7: with the trailing underscore, so node `b-1`
 * does not take `b-10`'s files) and downloads each into a fresh folder. Names must be plain file names (no
 * path separator, no `..`), responses must be 2xx; anything else fails with the URL. Transport errors and 5xx
 * answers are retried with exponential backoff before giving up.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import got, { HTTPError, ParseError, RequestError } from 'got';
import type { LoadResult } from '../shared/decode.js';

export interface DownloadOptions {
  readonly frontend: string;
  readonly node: string;
  /** Empty folder that receives the files. */
  readonly dest: string;
  readonly retries?: number;
  readonly timeoutMs?: number;
  /** Called before each retry (for the log). */
  readonly onRetry?: (url: string, attempt: number, error: string) => void;
}

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isPlainFileName(name: string): boolean {
  return PLAIN_NAME.test(name) && !name.includes('..');
}

/** Which listed files a node downloads. */
export function wantedFile(name: string, node: string): boolean {
  if (!name.endsWith('.json')) return false;
  return name.startsWith('assets_') || name.startsWith('intel_') || name.startsWith('vuln_') || name.startsWith(`directives_${node}_`);
}

function describe(url: string, err: unknown): string {
  if (err instanceof HTTPError) return `${url}: HTTP ${err.response.statusCode}`;
  if (err instanceof RequestError) return `${url}: ${err.code ?? ''} ${err.message}`.trim();
  return `${url}: ${(err as Error).message}`;
}

const RETRIED_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Worth another attempt: no answer at all (refused, reset, timed out), or an answer that says "later". */
function retryable(err: unknown): boolean {
  if (err instanceof HTTPError) return RETRIED_STATUS.has(err.response.statusCode);
  return err instanceof RequestError && !(err instanceof ParseError) && err.response === undefined;
}

/**
 * Retries with exponential backoff (1 s, 2 s, 4 s, 8 s at most) done here, not by got: since Node 24.20 / 26.7 a
 * refused connection makes got 14 reject after its first attempt (its retry goes on unseen; got issue #2469).
 */
async function withRetries<T>(url: string, o: DownloadOptions, attempt: () => Promise<T>): Promise<T> {
  const retries = o.retries ?? 5;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= retries || !retryable(err)) throw err;
      o.onRetry?.(url, n + 1, (err as Error).message);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** n, 8_000)));
    }
  }
}

export async function downloadConfig(o: DownloadOptions): Promise<LoadResult<string[]>> {
  const base = o.frontend.replace(/\/+$/, '');
  const client = got.extend({ timeout: { request: o.timeoutMs ?? 10_000 }, retry: { limit: 0 } });
  const listUrl = `${base}/config/`;
  let listing: unknown;
  try {
    listing = await withRetries(listUrl, o, () => client.get(listUrl).json());
  } catch (err) {
    return { ok: false, error: `cannot get the list of config files: ${describe(listUrl, err)}` };
  }
  const files = (listing as { files?: unknown } | null)?.files;
  if (files !== null && !Array.isArray(files)) return { ok: false, error: `${listUrl}: answer is not {"files":[{"filename":...}]}` };
  const names: string[] = [];
  for (const f of files ?? []) {
    const name = (f as { filename?: unknown } | null)?.filename;
    if (typeof name !== 'string') return { ok: false, error: `${listUrl}: a listed file has no "filename"` };
    if (!isPlainFileName(name)) return { ok: false, error: `${listUrl}: refused file name ${JSON.stringify(name)} (must be a plain file name)` };
    if (wantedFile(name, o.node)) names.push(name);
  }
  await mkdir(o.dest, { recursive: true });
  for (const name of names) {
    const url = `${base}/config/${encodeURIComponent(name)}`;
    let body: string;
    try {
      body = await withRetries(url, o, () => client.get(url).text());
    } catch (err) {
      return { ok: false, error: `cannot download a config file: ${describe(url, err)}` };
    }
    await writeFile(path.join(o.dest, name), body);
  }
  return { ok: true, value: names };
}
