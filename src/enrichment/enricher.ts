/**
 * Threat-intel (Wise) and vulnerability (Nesd) lookups over HTTP for one backlog's addresses: the edge of the
 * enrichment feature (the parsing is pure, in wise.ts and nesd.ts).
 *
 * Decision D1: lookups never block correlation (the caller runs them beside the backlog and merges what comes
 * back); only sources with `"enabled": true` are used. Here:
 *   - intel targets are the backlog's source and destination IPs, global ones only unless `intelPrivateIp`;
 *   - vulnerability terms come from the backlog's rules (nesd.ts, vulnSearchTerms);
 *   - a successful answer is cached per (source, term) for `cacheMinutes`; failures (transport, timeout,
 *     non-2xx status, unparsable body) are never cached, so the next lookup asks again;
 *   - concurrent lookups of the same (source, term) share one request;
 *   - at most `maxRequests` requests are open at a time, over all lookups (a restart that looks up again every
 *     restored alarm, or a burst of alarms, does not open thousands of connections to Wise/Nesd at once); at most
 *     `maxWaiting` wait for a slot, beyond that a query fails at once (a dead server under a steady flow of alarms
 *     must not queue lookups without bound);
 *   - every failure is returned as a message in `errors` and counted; the promise never rejects, and one
 *     failure does not discard the other lookups' hits (the Rust port drops the whole check).
 */

import got from 'got';
import type { EnrichmentHit } from './hit.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { RuleSpec } from '../directive/rule-spec.js';
import { isGlobalIp, parseIp } from '../net/ip.js';
import { nesdUrl, parseNesdResponse, vulnSearchTerms } from './nesd.js';
import type { EnrichmentSource } from './sources.js';
import { parseWiseResponse, wiseUrl } from './wise.js';

export interface EnricherOptions {
  readonly intelSources: readonly EnrichmentSource[];
  readonly vulnSources: readonly EnrichmentSource[];
  /** Time-to-live of a successful answer; 0 disables the cache. */
  readonly cacheMinutes: number;
  /** Also look up private / non-global addresses (`--intel_private_ip`). */
  readonly intelPrivateIp: boolean;
  /** Per-request timeout; default 10000. */
  readonly timeoutMs?: number;
  /** Requests open at a time, over all lookups; default 32. */
  readonly maxRequests?: number;
  /** Queries that may wait for a request slot; default 10000. */
  readonly maxWaiting?: number;
  /** Clock in ms for the cache and the latency of requests; default Date.now. */
  readonly now?: () => number;
  /** Told of every answer: from a request (with its latency), or without one (cache, shared request). */
  readonly observe?: (o: LookupObservation) => void;
}

/** One answer to one (source, term) query, for metrics. */
export interface LookupObservation {
  readonly kind: 'intel' | 'vuln';
  readonly source: string;
  /** `ok` and `error` are requests; `cached`: answered from the cache or by a request already in flight. */
  readonly result: 'ok' | 'error' | 'cached';
  /** Latency of the request, s (0 for `cached`). */
  readonly seconds: number;
}

export interface EnrichmentStats {
  /** HTTP requests made (cache misses). */
  readonly lookups: number;
  /** Answers that needed no request of their own (from the cache, or sharing a request in flight). */
  readonly cacheHits: number;
  /** Failed requests. */
  readonly errors: number;
}

export interface EnrichmentInput {
  readonly srcIps: readonly string[];
  readonly dstIps: readonly string[];
  readonly rules: readonly RuleSpec[];
  readonly lastSrcPort: number;
  readonly lastDstPort: number;
}

export interface EnrichmentResult {
  readonly intel: EnrichmentHit[];
  readonly vulns: EnrichmentHit[];
  readonly errors: string[];
}

export interface Enricher {
  /** False when no source is enabled: lookup then resolves at once with nothing. */
  readonly enabled: boolean;
  /** A snapshot of the counters. */
  readonly stats: EnrichmentStats;
  /** Never rejects. */
  lookup(input: EnrichmentInput): Promise<EnrichmentResult>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Lookups of one call that run at the same time. */
const MAX_PARALLEL = 8;
export const DEFAULT_MAX_REQUESTS = 32;
export const DEFAULT_MAX_WAITING = 10_000;
/** Cache bound: beyond it expired entries are swept, then the oldest dropped. */
const MAX_CACHE_ENTRIES = 10_000;

type Outcome = Result<readonly EnrichmentHit[]>;

interface Query {
  readonly kind: 'intel' | 'vuln';
  readonly source: EnrichmentSource;
  readonly term: string;
  readonly url: string;
  readonly parse: (body: string) => Outcome;
}

interface CacheEntry {
  readonly expiresAt: number;
  readonly hits: readonly EnrichmentHit[];
}

export function createEnricher(o: EnricherOptions): Enricher {
  const intelSources = o.intelSources.filter((s) => s.enabled && s.plugin === 'Wise');
  const vulnSources = o.vulnSources.filter((s) => s.enabled && s.plugin === 'Nesd');
  const enabled = intelSources.length + vulnSources.length > 0;
  const timeoutMs = o.timeoutMs !== undefined && o.timeoutMs > 0 ? o.timeoutMs : DEFAULT_TIMEOUT_MS;
  const ttlMs = Math.max(0, o.cacheMinutes) * 60_000;
  const now = o.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<Outcome>>();
  const stats = { lookups: 0, cacheHits: 0, errors: 0 };
  const maxRequests = o.maxRequests !== undefined && o.maxRequests >= 1 ? o.maxRequests : DEFAULT_MAX_REQUESTS;
  const maxWaiting = o.maxWaiting !== undefined && o.maxWaiting >= 0 ? o.maxWaiting : DEFAULT_MAX_WAITING;
  let open = 0;
  const waiting: Array<() => void> = [];

  /** One request once a slot is free, and its latency in seconds (the wait for the slot not counted); never rejects. */
  function request(q: Query): Promise<{ readonly outcome: Outcome; readonly seconds: number }> {
    const run = async () => {
      open++;
      const started = now();
      try {
        const outcome = await query(q, timeoutMs);
        return { outcome, seconds: Math.max(0, now() - started) / 1000 };
      } finally {
        open--;
        waiting.shift()?.();
      }
    };
    if (open < maxRequests) return run();
    if (waiting.length >= maxWaiting) {
      return Promise.resolve({ outcome: fail(`not asked: ${maxWaiting} lookups already wait for one of ${maxRequests} requests (the server answers too slowly)`), seconds: 0 });
    }
    return new Promise((resolve) => waiting.push(() => resolve(run())));
  }

  function queriesFor(input: EnrichmentInput): Query[] {
    const queries: Query[] = [];
    if (intelSources.length > 0) {
      const targets = [...new Set([...input.srcIps, ...input.dstIps])].filter((ip) => {
        const parsed = parseIp(ip);
        return parsed !== undefined && (o.intelPrivateIp || isGlobalIp(parsed));
      });
      for (const source of intelSources) {
        for (const ip of targets) {
          queries.push({ kind: 'intel', source, term: ip, url: wiseUrl(source.url, ip), parse: (body) => parseWiseResponse(ip, body) });
        }
      }
    }
    if (vulnSources.length > 0) {
      const terms = vulnSearchTerms(input);
      for (const source of vulnSources) {
        for (const { ip, port } of terms) {
          queries.push({
            kind: 'vuln', source, term: `${ip}:${port}`, url: nesdUrl(source.url, ip, port),
            parse: (body) => parseNesdResponse(ip, port, body),
          });
        }
      }
    }
    return queries;
  }

  function cached(key: string): CacheEntry | undefined {
    const entry = cache.get(key);
    if (entry === undefined) return undefined;
    if (now() < entry.expiresAt) return entry;
    cache.delete(key);
    return undefined;
  }

  function store(key: string, hits: readonly EnrichmentHit[]): void {
    if (ttlMs <= 0) return;
    cache.delete(key);
    if (cache.size >= MAX_CACHE_ENTRIES) {
      const t = now();
      for (const [k, e] of cache) if (e.expiresAt <= t) cache.delete(k);
      while (cache.size >= MAX_CACHE_ENTRIES) {
        const oldest = cache.keys().next();
        if (oldest.done === true) break;
        cache.delete(oldest.value);
      }
    }
    cache.set(key, { expiresAt: now() + ttlMs, hits });
  }

  /** The observer is someone else's code: its failure must not turn into a rejected lookup. */
  function tell(q: Query, result: LookupObservation['result'], seconds: number): void {
    if (o.observe === undefined) return;
    try {
      o.observe({ kind: q.kind, source: q.source.name, result, seconds });
    } catch {
      // metrics only
    }
  }

  function resolve(q: Query): Promise<Outcome> {
    const key = `${q.kind}\u0000${q.source.name}\u0000${q.term}`;
    const hit = cached(key);
    if (hit !== undefined) {
      stats.cacheHits++;
      tell(q, 'cached', 0);
      return Promise.resolve(ok(hit.hits));
    }
    const pending = inFlight.get(key);
    if (pending !== undefined) {
      stats.cacheHits++;
      tell(q, 'cached', 0);
      return pending;
    }
    stats.lookups++;
    const pendingRequest = request(q).then(({ outcome, seconds }) => {
      inFlight.delete(key);
      if (outcome.ok) store(key, outcome.value);
      else stats.errors++;
      tell(q, outcome.ok ? 'ok' : 'error', seconds);
      return outcome;
    });
    inFlight.set(key, pendingRequest);
    return pendingRequest;
  }

  async function lookup(input: EnrichmentInput): Promise<EnrichmentResult> {
    if (!enabled) return { intel: [], vulns: [], errors: [] };
    try {
      const queries = queriesFor(input);
      const outcomes = await mapLimited(queries, MAX_PARALLEL, resolve);
      const intel = new HitSet();
      const vulns = new HitSet();
      const errors: string[] = [];
      outcomes.forEach((outcome, i) => {
        const q = queries[i] as Query;
        if (outcome.ok) (q.kind === 'intel' ? intel : vulns).addAll(outcome.value);
        else errors.push(`${q.kind} source "${q.source.name}" (${q.source.plugin}) for ${q.term}: GET ${q.url}: ${outcome.error}`);
      });
      return { intel: intel.list, vulns: vulns.list, errors };
    } catch (err) {
      // Not expected (query() and the parsers do not throw); kept so the promise never rejects.
      stats.errors++;
      return { intel: [], vulns: [], errors: [`enrichment failed: ${messageOf(err)}`] };
    }
  }

  return {
    enabled,
    get stats(): EnrichmentStats {
      return { ...stats };
    },
    lookup,
  };
}

/** One GET and the parse of its body; never rejects. */
async function query(q: Query, timeoutMs: number): Promise<Outcome> {
  try {
    const response = await got(q.url, {
      timeout: { request: timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
    });
    if (response.statusCode < 200 || response.statusCode > 299) {
      return fail(`HTTP status ${response.statusCode}`);
    }
    return q.parse(response.body);
  } catch (err) {
    return fail(`get request error: ${messageOf(err)}`);
  }
}

function messageOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/** Runs fn over items with at most `limit` at a time; results in item order. fn must not reject. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Hits without duplicates, in first-seen order. */
class HitSet {
  readonly list: EnrichmentHit[] = [];
  private readonly keys = new Set<string>();

  addAll(hits: readonly EnrichmentHit[]): void {
    for (const h of hits) {
      const key = `${h.provider}\u0000${h.term}\u0000${h.result}`;
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      this.list.push({ provider: h.provider, term: h.term, result: h.result });
    }
  }
}
