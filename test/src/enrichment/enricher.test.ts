// The enricher against real HTTP servers on 127.0.0.1 (ephemeral ports) answering like Wise and Nesd.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEnricher, DEFAULT_MAX_REQUESTS, type EnricherOptions, type EnrichmentInput, type LookupObservation } from '../../../src/enrichment/enricher.js';
import { switchableEnricher } from '../../../src/enrichment/switchable-enricher.js';
import type { EnrichmentSource } from '../../../src/enrichment/sources.js';
import type { RuleSpec } from '../../../src/directive/rule-spec.js';
import { aRule } from '../helpers.js';

// ---- mock servers -------------------------------------------------------------------------------------------

interface MockServer {
  /** http://127.0.0.1:<port> */
  readonly base: string;
  /** Request paths (with query) received so far. */
  readonly requests: string[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

async function startServer(handler: Handler): Promise<MockServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    handler(req, res, url);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Wise-like: GET /ip/<ip> answers a JS-object array (unquoted keys) from the table, else `[]`. */
const WISE_ANSWERS: Readonly<Record<string, string>> = {
  '1.0.0.1': '[{field: "tags", len: 4, value: "tiny"}]',
  '1.0.0.2': '[{field: "threat.tag", len: 40, value: "known botnet C&C"}]',
  '192.168.0.1': '[{field: "tags", len: 12, value: "internal scanner"}]',
  '8.8.8.8': '[{field: "asn", len: 20, value: "AS15169 Google"}, {field: "tags", len: 9, value: "dns"}]',
};

function wiseHandler(_req: IncomingMessage, res: ServerResponse, url: URL): void {
  const ip = decodeURIComponent(url.pathname.replace(/^\/ip\//, ''));
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(WISE_ANSWERS[ip] ?? '[]');
}

/** Nesd-like: GET /?ip=..&port=.. answers a JSON array, or exactly `no vulnerability found\n`. */
const NESD_ANSWERS: Readonly<Record<string, string>> = {
  '192.168.0.1:80': '[{"cve":"CVE-2007-007","risk":"Medium","name":"Bond"}]',
  '1.0.0.1:25': '[{"cve":"","risk":"High","name":"Open relay"},{"risk":"Low","name":"Banner"}]',
  '1.0.0.2:31337': '[{"cve":"CVE-1","risk":"Low","name":"Back Orifice banner"}]',
};

function nesdHandler(_req: IncomingMessage, res: ServerResponse, url: URL): void {
  const key = `${url.searchParams.get('ip')}:${url.searchParams.get('port')}`;
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(NESD_ANSWERS[key] ?? 'no vulnerability found\n');
}

const neverAnswers: Handler = () => {
  /* keeps the connection open without answering */
};

function wise(server: MockServer, name = 'Wise', enabled = true): EnrichmentSource {
  return { name, plugin: 'Wise', type: 'IP', enabled, url: `${server.base}/ip/\${ip}` };
}

function nesd(server: MockServer, name = 'Nessus', enabled = true): EnrichmentSource {
  return { name, plugin: 'Nesd', type: 'IP-Port', enabled, url: `${server.base}/?ip=\${ip}&port=\${port}` };
}

function options(overrides: Partial<EnricherOptions>): EnricherOptions {
  return { intelSources: [], vulnSources: [], cacheMinutes: 10, intelPrivateIp: false, ...overrides };
}

function input(overrides: Partial<EnrichmentInput> & { ruleOverrides?: Array<Partial<RuleSpec>> } = {}): EnrichmentInput {
  const { ruleOverrides = [], ...rest } = overrides;
  return { srcIps: [], dstIps: [], rules: ruleOverrides.map((r) => aRule(r)), lastSrcPort: 0, lastDstPort: 0, ...rest };
}

/** An http:// base on 127.0.0.1 where nothing listens. */
async function closedBase(): Promise<string> {
  const s = await startServer(() => undefined);
  await s.close();
  return s.base;
}

// ---- tests --------------------------------------------------------------------------------------------------

describe('createEnricher', () => {
  const servers: MockServer[] = [];
  const start = async (handler: Handler): Promise<MockServer> => {
    const s = await startServer(handler);
    servers.push(s);
    return s;
  };
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  describe('Wise intel', () => {
    let server: MockServer;
    before(async () => {
      server = await start(wiseHandler);
    });

    it('returns the hits of global IPs (len < 5 filtered) and skips private ones (test_intel)', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ intelSources: [wise(server)] }));
      assert.equal(enricher.enabled, true);
      const r = await enricher.lookup(input({ srcIps: ['1.0.0.1', '192.168.0.1'], dstIps: ['1.0.0.2'] }));
      assert.deepEqual(r, {
        intel: [{ provider: 'Wise', term: '1.0.0.2', result: 'threat.tag: known botnet C&C' }],
        vulns: [],
        errors: [],
      });
      assert.deepEqual([...server.requests].sort(), ['/ip/1.0.0.1', '/ip/1.0.0.2']);
      assert.deepEqual(enricher.stats, { lookups: 2, cacheHits: 0, errors: 0 });
    });

    it('queries private IPs too with intelPrivateIp', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ intelSources: [wise(server)], intelPrivateIp: true }));
      const r = await enricher.lookup(input({ srcIps: ['192.168.0.1', '10.0.0.1'], dstIps: ['8.8.8.8'] }));
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.intel, [
        { provider: 'Wise', term: '192.168.0.1', result: 'tags: internal scanner' },
        { provider: 'Wise', term: '8.8.8.8', result: 'asn: AS15169 Google' },
        { provider: 'Wise', term: '8.8.8.8', result: 'tags: dns' },
      ]);
      assert.equal(server.requests.length, 3);
    });

    it('asks once for an IP that is both source and destination', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ intelSources: [wise(server)] }));
      const r = await enricher.lookup(input({ srcIps: ['8.8.8.8'], dstIps: ['8.8.8.8'] }));
      assert.equal(r.intel.length, 2);
      assert.deepEqual(server.requests, ['/ip/8.8.8.8']);
    });

    it('serves a second lookup within cacheMinutes from the cache and asks again after expiry', async () => {
      server.requests.length = 0;
      let clock = 1_000_000;
      const enricher = createEnricher(options({ intelSources: [wise(server)], cacheMinutes: 10, now: () => clock }));
      const expected = [{ provider: 'Wise', term: '1.0.0.2', result: 'threat.tag: known botnet C&C' }];

      assert.deepEqual((await enricher.lookup(input({ srcIps: ['1.0.0.2'] }))).intel, expected);
      clock += 10 * 60_000 - 1;
      assert.deepEqual((await enricher.lookup(input({ dstIps: ['1.0.0.2'] }))).intel, expected);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(enricher.stats, { lookups: 1, cacheHits: 1, errors: 0 });

      clock += 1;
      assert.deepEqual((await enricher.lookup(input({ srcIps: ['1.0.0.2'] }))).intel, expected);
      assert.equal(server.requests.length, 2);
      assert.deepEqual(enricher.stats, { lookups: 2, cacheHits: 1, errors: 0 });
    });

    it('caches empty answers too (a successful answer with no hits)', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ intelSources: [wise(server)] }));
      await enricher.lookup(input({ srcIps: ['1.0.0.1'] }));
      await enricher.lookup(input({ srcIps: ['1.0.0.1'] }));
      assert.equal(server.requests.length, 1);
    });

    it('does not cache with cacheMinutes 0', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ intelSources: [wise(server)], cacheMinutes: 0 }));
      await enricher.lookup(input({ srcIps: ['1.0.0.2'] }));
      await enricher.lookup(input({ srcIps: ['1.0.0.2'] }));
      assert.equal(server.requests.length, 2);
    });

    it('shares one request between concurrent lookups of the same IP', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ intelSources: [wise(server)] }));
      const [a, b] = await Promise.all([
        enricher.lookup(input({ srcIps: ['1.0.0.2'] })),
        enricher.lookup(input({ dstIps: ['1.0.0.2'] })),
      ]);
      assert.deepEqual(a, b);
      assert.equal(a.intel.length, 1);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(enricher.stats, { lookups: 1, cacheHits: 1, errors: 0 });
    });

    it('keeps separate cache entries per source name', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ intelSources: [wise(server, 'wise-a'), wise(server, 'wise-b')] }));
      const r = await enricher.lookup(input({ srcIps: ['1.0.0.2'] }));
      assert.equal(server.requests.length, 2);
      // the two sources give the same hit: it is reported once
      assert.equal(r.intel.length, 1);
    });
  });

  describe('Nesd vulnerabilities', () => {
    let server: MockServer;
    before(async () => {
      server = await start(nesdHandler);
    });

    it('looks up the (ip, port) terms of the rules and keeps Medium and above (test_vuln)', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ vulnSources: [nesd(server)] }));
      assert.equal(enricher.enabled, true);
      const r = await enricher.lookup(input({
        srcIps: ['192.168.0.1'],
        ruleOverrides: [
          { from: '192.168.0.1', to: '1.0.0.1', port_from: '80', port_to: '25' },
          { from: '1.0.0.2', to: 'ANY', port_from: '31337, 25' },
        ],
      }));
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.intel, []);
      assert.deepEqual(r.vulns, [
        { provider: 'Nesd', term: '192.168.0.1:80', result: 'Medium - Bond (CVE-2007-007)' },
        { provider: 'Nesd', term: '1.0.0.1:25', result: 'High - Open relay' },
      ]);
      assert.deepEqual([...server.requests].sort(), [
        '/?ip=1.0.0.1&port=25', '/?ip=1.0.0.2&port=25', '/?ip=1.0.0.2&port=31337', '/?ip=192.168.0.1&port=80',
      ]);
    });

    it('adds the last non-zero ports of the backlog', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ vulnSources: [nesd(server)] }));
      const r = await enricher.lookup(input({ ruleOverrides: [{ from: '1.0.0.1', to: '192.168.0.1' }], lastSrcPort: 25, lastDstPort: 80 }));
      assert.deepEqual(r.vulns.map((h) => h.term), ['1.0.0.1:25', '192.168.0.1:80']);
      assert.equal(server.requests.length, 2);
    });

    it('asks nothing when the rules hold no literal IP', async () => {
      server.requests.length = 0;
      const enricher = createEnricher(options({ vulnSources: [nesd(server)] }));
      const r = await enricher.lookup(input({ srcIps: ['1.0.0.1'], ruleOverrides: [{ from: 'HOME_NET', to: 'ANY' }], lastSrcPort: 25 }));
      assert.deepEqual(r, { intel: [], vulns: [], errors: [] });
      assert.equal(server.requests.length, 0);
    });
  });

  describe('disabled sources', () => {
    it('never queries a source with enabled false', async () => {
      const on = await start(wiseHandler);
      const off = await start(wiseHandler);
      const offNesd = await start(nesdHandler);
      const enricher = createEnricher(options({
        intelSources: [wise(off, 'off', false), wise(on, 'on')],
        vulnSources: [nesd(offNesd, 'off-nesd', false)],
      }));
      assert.equal(enricher.enabled, true);
      const r = await enricher.lookup(input({ srcIps: ['1.0.0.2'], ruleOverrides: [{ from: '192.168.0.1', port_from: '80' }] }));
      assert.equal(r.intel.length, 1);
      assert.deepEqual(r.vulns, []);
      assert.equal(on.requests.length, 1);
      assert.equal(off.requests.length, 0);
      assert.equal(offNesd.requests.length, 0);
    });

    it('is not enabled without an enabled source and then answers at once with nothing', async () => {
      const off = await start(wiseHandler);
      for (const enricher of [
        createEnricher(options({})),
        createEnricher(options({ intelSources: [wise(off, 'a', false)], vulnSources: [nesd(off, 'b', false)] })),
      ]) {
        assert.equal(enricher.enabled, false);
        const r = await enricher.lookup(input({ srcIps: ['1.0.0.2'], ruleOverrides: [{ from: '1.0.0.2', port_from: '80' }] }));
        assert.deepEqual(r, { intel: [], vulns: [], errors: [] });
        assert.deepEqual(enricher.stats, { lookups: 0, cacheHits: 0, errors: 0 });
      }
      assert.equal(off.requests.length, 0);
    });
  });

  describe('failures', () => {
    it('reports a server that never answers as a timeout error, without rejecting, and keeps the other hits', async () => {
      const silent = await start(neverAnswers);
      const good = await start(wiseHandler);
      const enricher = createEnricher(options({ intelSources: [wise(silent, 'silent'), wise(good, 'good')], timeoutMs: 300 }));
      const started = Date.now();
      const r = await enricher.lookup(input({ srcIps: ['1.0.0.2'] }));
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 5000, `took ${elapsed} ms`);
      assert.deepEqual(r.intel, [{ provider: 'Wise', term: '1.0.0.2', result: 'threat.tag: known botnet C&C' }]);
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0] ?? '', /"silent"/);
      assert.ok(r.errors[0]?.includes(`${silent.base}/ip/1.0.0.2`), r.errors[0]);
      assert.match(r.errors[0] ?? '', /timeout|ETIMEDOUT/i);
      assert.equal(silent.requests.length, 1);
      assert.deepEqual(enricher.stats, { lookups: 2, cacheHits: 0, errors: 1 });

      // not cached: the next lookup asks again
      await enricher.lookup(input({ srcIps: ['1.0.0.2'] }));
      assert.equal(silent.requests.length, 2);
      assert.equal(good.requests.length, 1);
    });

    it('reports an HTTP 500 with the URL and status and does not cache it', async () => {
      const failing = await start((_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('[{field: "tags", len: 40, value: "must not be read"}]');
      });
      const enricher = createEnricher(options({ vulnSources: [nesd(failing)] }));
      const lookup = () => enricher.lookup(input({ ruleOverrides: [{ from: '1.0.0.1', port_from: '25' }] }));
      const r = await lookup();
      assert.deepEqual(r.vulns, []);
      assert.equal(r.errors.length, 1);
      assert.ok(r.errors[0]?.includes(`${failing.base}/?ip=1.0.0.1&port=25`), r.errors[0]);
      assert.match(r.errors[0] ?? '', /\b500\b/);
      await lookup();
      assert.equal(failing.requests.length, 2);
      assert.deepEqual(enricher.stats, { lookups: 2, cacheHits: 0, errors: 2 });
    });

    it('reports a garbage body as a parse error and does not cache it', async () => {
      const garbage = await start((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>502 Bad Gateway</body></html>');
      });
      const enricher = createEnricher(options({ intelSources: [wise(garbage)], vulnSources: [nesd(garbage)] }));
      const lookup = () => enricher.lookup(input({ srcIps: ['1.0.0.2'], ruleOverrides: [{ from: '1.0.0.1', port_from: '25' }] }));
      const r = await lookup();
      assert.deepEqual(r.intel, []);
      assert.deepEqual(r.vulns, []);
      assert.equal(r.errors.length, 2);
      assert.ok(r.errors.some((e) => e.includes('error parsing wise result')), r.errors.join('\n'));
      assert.ok(r.errors.some((e) => e.includes('error parsing nesd result')), r.errors.join('\n'));
      await lookup();
      assert.equal(garbage.requests.length, 4);
      assert.deepEqual(enricher.stats, { lookups: 4, cacheHits: 0, errors: 4 });
    });

    it('reports a refused connection as an error, without rejecting', async () => {
      const base = await closedBase();
      const enricher = createEnricher(options({
        intelSources: [{ name: 'down', plugin: 'Wise', type: 'IP', enabled: true, url: `${base}/ip/\${ip}` }],
        timeoutMs: 2000,
      }));
      const r = await enricher.lookup(input({ srcIps: ['1.0.0.2'] }));
      assert.deepEqual(r.intel, []);
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0] ?? '', /get request error/);
    });

    it('keeps the hits of the lookups that worked when others fail', async () => {
      const wiseServer = await start(wiseHandler);
      const failing = await start((_req, res) => {
        res.writeHead(503);
        res.end();
      });
      const nesdServer = await start(nesdHandler);
      const enricher = createEnricher(options({
        intelSources: [wise(wiseServer)],
        vulnSources: [nesd(failing, 'broken'), nesd(nesdServer)],
      }));
      const r = await enricher.lookup(input({ srcIps: ['1.0.0.2'], ruleOverrides: [{ from: '192.168.0.1', port_from: '80' }] }));
      assert.equal(r.intel.length, 1);
      assert.deepEqual(r.vulns, [{ provider: 'Nesd', term: '192.168.0.1:80', result: 'Medium - Bond (CVE-2007-007)' }]);
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0] ?? '', /"broken".*\b503\b/);
    });
  });

  describe('observations (metrics) and replacement (hot reload)', () => {
    it('tells every answer: requests with their result and latency, cache and shared answers as cached', async () => {
      const wiseServer = await start(wiseHandler);
      const failing = await start((_req, res) => {
        res.writeHead(500);
        res.end();
      });
      const seen: LookupObservation[] = [];
      let clock = 1_000;
      const enricher = createEnricher(options({
        intelSources: [wise(wiseServer)],
        vulnSources: [nesd(failing, 'broken')],
        now: () => (clock += 250),
        observe: (o) => seen.push(o),
      }));
      const target = input({ srcIps: ['1.0.0.2'], ruleOverrides: [{ from: '192.168.0.1', port_from: '80' }] });
      await enricher.lookup(target);
      await enricher.lookup(target);
      const requests = seen.filter((o) => o.result !== 'cached').map((o) => `${o.kind} ${o.source} ${o.result}`).sort();
      assert.deepEqual(requests, ['intel Wise ok', 'vuln broken error', 'vuln broken error']);
      assert.ok(seen.filter((o) => o.result !== 'cached').every((o) => o.seconds > 0));
      assert.deepEqual(seen.filter((o) => o.result === 'cached').map((o) => `${o.kind} ${o.source} ${o.seconds}`), ['intel Wise 0']);
    });

    it('keeps at most 32 requests open over all lookups (a restart that looks up every restored alarm again)', async () => {
      let open = 0;
      let most = 0;
      const slow = await start((_req, res) => {
        open++;
        most = Math.max(most, open);
        setTimeout(() => {
          open--;
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('[]');
        }, 30);
      });
      const enricher = createEnricher(options({ intelSources: [wise(slow)] }));
      const results = await Promise.all(Array.from({ length: 200 }, (_, k) => enricher.lookup(input({ srcIps: [`1.0.${k >> 8}.${k & 255}`] }))));
      assert.deepEqual(results.flatMap((r) => r.errors), []);
      assert.equal(slow.requests.length, 200, 'every lookup asked');
      assert.ok(most <= DEFAULT_MAX_REQUESTS, `${most} requests open at once`);
      assert.ok(most >= 2, 'lookups still run side by side');
    });

    it('fails at once, without asking, a query beyond maxWaiting for a request slot', async () => {
      const hung = await start(neverAnswers);
      const enricher = createEnricher(options({ intelSources: [wise(hung)], maxRequests: 1, maxWaiting: 2, timeoutMs: 300 }));
      const lookups = ['1.0.9.1', '1.0.9.2', '1.0.9.3', '1.0.9.4'].map((ip) => enricher.lookup(input({ srcIps: [ip] })));
      const fourth = await Promise.race([lookups[3], new Promise<'waits'>((resolve) => setTimeout(() => resolve('waits'), 200))]);
      assert.notEqual(fourth, 'waits', 'the query beyond the waiting bound waited');
      assert.match(fourth === 'waits' ? '' : (fourth?.errors[0] ?? ''), /not asked: 2 lookups already wait for one of 1 requests/);
      const all = await Promise.all(lookups);
      assert.deepEqual(all.slice(0, 3).map((r) => /timeout/i.test(r.errors[0] ?? '')), [true, true, true], 'the others were asked, one at a time, and timed out');
    });

    it('a lookup after a replacement uses the new sources; counters add up over both', async () => {
      const first = await start(wiseHandler);
      const second = await start(wiseHandler);
      const enricher = switchableEnricher(createEnricher(options({ intelSources: [wise(first)] })));
      await enricher.lookup(input({ srcIps: ['1.0.0.2'] }));
      enricher.replace(createEnricher(options({ intelSources: [wise(second, 'Wise2')] })));
      const r = await enricher.lookup(input({ srcIps: ['1.0.0.2'] }));
      assert.deepEqual([first.requests.length, second.requests.length], [1, 1]);
      assert.equal(r.intel.length, 1);
      assert.equal(enricher.stats.lookups, 2);
      enricher.replace(createEnricher(options({})));
      assert.equal(enricher.enabled, false);
    });
  });
});
