// `serve` under faults and with its neighbours: NATS restarts, late events (overload signals), Wise and Nesd
// lookups (answering, hanging), and a frontend that is down or answers garbage. All parts are real and local.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startConfigFrontend, startHttpServer } from '../helpers/http-server.js';
import { spawnCli } from '../helpers/process.js';
import { Latch, waitFor } from '../helpers/wait.js';
import { Backend, cleanup, useNats, eventLines, expectedAlarms, publishEvents, SCENARIOS, tempDir } from './harness.js';

const ENRICH = path.join(SCENARIOS, '..', 'enrichment');

async function readJsonLines(file: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('serve under faults', () => {
  const shared = useNats();

  it('survives a NATS server restart and keeps correlating', async () => {
    const scenario = path.join(SCENARIOS, 'core', '06-occurrence-counts');
    const logs = await tempDir('dsiem-e2e-natsrestart-');
    try {
      const backend = await Backend.start(['--config-dir', scenario, '--msq', shared.server.url, '-l', '1000000000'], logs);
      const lines = await eventLines(scenario);
      const half = Math.ceil(lines.length / 2);
      await publishEvents(shared.nc, lines.slice(0, half));
      await backend.settled(shared.nc, half);
      const reconnected = new Latch(1, { timeoutMs: 20_000, what: 'the test client to reconnect' });
      void (async () => {
        for await (const s of shared.nc.status()) if (s.type === 'reconnect') reconnected.count();
      })();
      await shared.server.restart();
      await reconnected.wait();
      await backend.proc.waitForLine(/nats reconnected/, 20_000);
      // Core NATS keeps nothing for a subscriber not there yet: the backend answering through the new server shows
      // that its subscriptions, sent again at the reconnection, are in place before the rest is published.
      await backend.stats(shared.nc);
      await publishEvents(shared.nc, lines.slice(half));
      // The backend's counters survive the reconnection: it has now received every event.
      await backend.settled(shared.nc, lines.length);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
      assert.deepEqual(await backend.alarms(), await expectedAlarms(scenario));
    } finally {
      await cleanup(logs);
    }
  });

  it('signals overload=true for late events, then overload=false after the hold duration', async () => {
    const scenario = path.join(SCENARIOS, 'core', '01-ping-flood-from-src');
    const logs = await tempDir('dsiem-e2e-overload-');
    const signals: string[] = [];
    const sub = shared.nc.subscribe('dsiem_overload_signals', { callback: (_e, m) => signals.push(new TextDecoder().decode(m.data)) });
    try {
      const backend = await Backend.start(['--config-dir', scenario, '--msq', shared.server.url, '-l', '1000000000', '--max_delay', '1', '--hold_duration', '1'], logs);
      const lines = await eventLines(scenario);
      await publishEvents(shared.nc, lines, -10_000);
      await backend.settled(shared.nc, lines.length);
      await backend.proc.waitForLine(/overload = true signal sent/, 10_000);
      await backend.proc.waitForLine(/overload = false signal sent/, 10_000);
      await waitFor(() => signals.length >= 2 || undefined, { timeoutMs: 5_000, what: 'both signals to arrive' });
      assert.deepEqual(signals, ['true', 'false']);
      assert.equal((await backend.stop()).code, 0);
    } finally {
      sub.unsubscribe();
      await cleanup(logs);
    }
  });

  it('adds Wise intel hits and Nesd vulnerabilities to the alarm', async () => {
    const config = await tempDir('dsiem-e2e-enrich-cfg-');
    const logs = await tempDir('dsiem-e2e-enrich-');
    const wise = await startHttpServer((req, res) => {
      res.end(req.url === '/ip/8.8.8.8' ? '[{field: "description", len: 21, value: "known exfil endpoint"}]' : '[]');
    });
    const nesd = await startHttpServer((_req, res) => {
      res.end(JSON.stringify([{ cve: 'CVE-2024-6387', risk: 'High', name: 'OpenSSH regreSSHion' }, { risk: 'Low', name: 'banner' }]));
    });
    try {
      await cp(ENRICH, config, { recursive: true });
      await writeFile(path.join(config, 'intel_wise.json'), JSON.stringify({ intel_sources: [{ name: 'Wise', type: 'IP', enabled: true, plugin: 'Wise', config: JSON.stringify({ url: `${wise.url}/ip/\${ip}` }) }] }));
      await writeFile(path.join(config, 'vuln_nesd.json'), JSON.stringify({ vuln_sources: [{ name: 'Nessus', type: 'IP-Port', enabled: true, plugin: 'Nesd', config: JSON.stringify({ url: `${nesd.url}/?ip=\${ip}&port=\${port}` }) }] }));
      const backend = await Backend.start(['--config-dir', config, '--msq', shared.server.url, '-l', '1000000000'], logs);
      const lines = await eventLines(ENRICH);
      await publishEvents(shared.nc, lines);
      await backend.settled(shared.nc, lines.length);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
      const alarms = await readJsonLines(path.join(logs, 'siem_alarms.json'));
      const last = alarms.at(-1);
      assert.deepEqual(last?.['intel_hits'], [{ provider: 'Wise', term: '8.8.8.8', result: 'description: known exfil endpoint' }]);
      // Terms come from the literal addresses of the resolved rules (from :1 = 192.168.0.1 with the last source
      // port, to :1 = 8.8.8.8 with port_to 22); the Low finding is left out.
      const vulns = (last?.['vulnerabilities'] as Array<{ term: string }>).map((v) => JSON.stringify(v)).sort();
      assert.deepEqual(vulns, [
        JSON.stringify({ provider: 'Nesd', term: '192.168.0.1:40001', result: 'High - OpenSSH regreSSHion (CVE-2024-6387)' }),
        JSON.stringify({ provider: 'Nesd', term: '8.8.8.8:22', result: 'High - OpenSSH regreSSHion (CVE-2024-6387)' }),
      ]);
      // The private source address was not sent to the intel service.
      assert.ok(wise.requests.every((r) => r.url === '/ip/8.8.8.8'), JSON.stringify(wise.requests));
    } finally {
      await wise.close();
      await nesd.close();
      await cleanup(config, logs);
    }
  });

  for (const firstRun of ['answers', 'fails'] as const) {
    const what = firstRun === 'answers' ? 'not again the alarm whose lookup had answered (with nothing)' : 'again the alarm whose lookup had failed';
    it(`after a restart, looks up ${what}`, async () => {
      const config = await tempDir('dsiem-e2e-relookup-cfg-');
      const logs = await tempDir('dsiem-e2e-relookup-');
      // Nothing known about any address (no intel hit); in the first run, when `failing`, the service is broken.
      let failing = firstRun === 'fails';
      const wise = await startHttpServer((_req, res) => {
        if (failing) res.statusCode = 500;
        res.end('[]');
      });
      try {
        await cp(ENRICH, config, { recursive: true });
        await writeFile(path.join(config, 'intel_wise.json'), JSON.stringify({ intel_sources: [{ name: 'Wise', type: 'IP', enabled: true, plugin: 'Wise', config: JSON.stringify({ url: `${wise.url}/ip/\${ip}` }) }] }));
        const args = ['--config-dir', config, '--msq', shared.server.url, '-l', '1000000000'];
        const first = await Backend.start(args, logs);
        const lines = await eventLines(ENRICH);
        await publishEvents(shared.nc, lines);
        await first.settled(shared.nc, lines.length);
        assert.equal((await first.stop()).code, 0, first.proc.output());
        assert.ok(wise.requests.some((r) => r.url === '/ip/8.8.8.8'), JSON.stringify(wise.requests));
        const before = wise.requests.length;
        failing = false;

        const second = await Backend.start(args, logs);
        await second.proc.waitForLine(/backlogs restored/, 10_000);
        // A new alarm's lookup comes after any lookup the restore started: once it is seen, those would be too.
        const fresh = { event_id: 'en-new', timestamp: '2025-07-01T12:10:00Z', sensor: 's1', plugin_id: 9000, plugin_sid: 22, src_ip: '192.168.0.2', src_port: 40002, dst_ip: '1.1.1.1', dst_port: 22, protocol: 'TCP' };
        await publishEvents(shared.nc, [JSON.stringify(fresh)]);
        await waitFor(() => wise.requests.slice(before).some((r) => r.url === '/ip/1.1.1.1'), { timeoutMs: 10_000, what: "the new alarm's lookup" });
        assert.deepEqual(
          wise.requests.slice(before).map((r) => r.url),
          firstRun === 'answers' ? ['/ip/1.1.1.1'] : ['/ip/8.8.8.8', '/ip/1.1.1.1'],
        );
        assert.equal((await second.stop()).code, 0, second.proc.output());
      } finally {
        await wise.close();
        await cleanup(config, logs);
      }
    });
  }

  it('writes alarms at once even when the intel service never answers', async () => {
    const config = await tempDir('dsiem-e2e-hang-cfg-');
    const logs = await tempDir('dsiem-e2e-hang-');
    const wise = await startHttpServer(() => undefined); // never answers
    try {
      await cp(ENRICH, config, { recursive: true });
      await writeFile(path.join(config, 'intel_wise.json'), JSON.stringify({ intel_sources: [{ name: 'Wise', type: 'IP', enabled: true, plugin: 'Wise', config: JSON.stringify({ url: `${wise.url}/ip/\${ip}` }) }] }));
      const backend = await Backend.start(['--config-dir', config, '--msq', shared.server.url, '-l', '1000000000'], logs);
      const lines = await eventLines(ENRICH);
      const started = Date.now();
      await publishEvents(shared.nc, lines);
      const stats = await backend.settled(shared.nc, lines.length);
      const elapsed = Date.now() - started;
      assert.equal(stats.alarms, 1);
      const alarms = await readJsonLines(path.join(logs, 'siem_alarms.json'));
      assert.ok(alarms.length >= 2, `alarm lines written before any lookup answered (${alarms.length})`);
      assert.ok(elapsed < 5_000, `correlation waited for the intel service (${elapsed} ms)`);
      assert.ok(wise.requests.length >= 1);
      await backend.stop();
    } finally {
      await wise.close();
      await cleanup(config, logs);
    }
  });

  describe('config download faults', () => {
    const run = async (frontendUrl: string) => {
      const logs = await tempDir('dsiem-e2e-fe-');
      try {
        const proc = spawnCli(['serve', '-f', frontendUrl, '-n', 'n1', '--msq', shared.server.url, '--logs', logs, '--frontend-retries', '1']);
        const exit = await proc.exited;
        return { exit, output: proc.output() };
      } finally {
        await cleanup(logs);
      }
    };

    it('a frontend that is down: retried, then a clear exit naming the URL', async () => {
      const dead = await startHttpServer(() => undefined);
      const url = dead.url;
      await dead.close();
      const { exit, output } = await run(url);
      assert.equal(exit.code, 1);
      assert.match(output, /config download failed, retrying/);
      assert.match(output, new RegExp(`cannot get the list of config files: ${url}/config/: ECONNREFUSED`));
    });

    it('a frontend answering 500: a clear error naming the URL and status', async () => {
      const fe = await startHttpServer((_req, res) => {
        res.statusCode = 500;
        res.end('boom');
      });
      try {
        const { exit, output } = await run(fe.url);
        assert.equal(exit.code, 1);
        assert.match(output, new RegExp(`${fe.url}/config/: HTTP 500`));
      } finally {
        await fe.close();
      }
    });

    it('a frontend answering garbage or unsafe file names is refused', async () => {
      for (const body of ['<html>oops</html>', '{"files":[{"filename":"../etc/passwd"}]}', '{"files":[{"filename":"/abs/assets_x.json"}]}', '{"nofiles":1}']) {
        const fe = await startHttpServer((_req, res) => {
          res.end(body);
        });
        try {
          const { exit, output } = await run(fe.url);
          assert.equal(exit.code, 1, body);
          assert.match(output, new RegExp(`${fe.url}/config/`), body);
        } finally {
          await fe.close();
        }
      }
    });

    it("downloads only this node's directive files (directives_{node}_*)", async () => {
      const scenario = path.join(SCENARIOS, 'core', '02-ping-flood-to-dst');
      const folder = await tempDir('dsiem-e2e-fe-node-');
      const logs = await tempDir('dsiem-e2e-fe-node-logs-');
      try {
        await cp(path.join(scenario, 'assets_main.json'), path.join(folder, 'assets_main.json'));
        const [file] = (await readdir(scenario)).filter((n) => n.startsWith('directives_'));
        await cp(path.join(scenario, file ?? ''), path.join(folder, 'directives_n1_main.json'));
        // Node n10's file must not be taken by node n1 (D7): it is broken, so loading it would fail.
        await writeFile(path.join(folder, 'directives_n10_other.json'), '{ broken');
        const fe = await startConfigFrontend(folder);
        try {
          const backend = await Backend.start(['-f', fe.url, '-n', 'n1', '--msq', shared.server.url], logs);
          assert.ok(!fe.requests.some((r) => r.url.includes('n10')));
          await backend.stop();
        } finally {
          await fe.close();
        }
      } finally {
        await cleanup(folder, logs);
      }
    });
  });
});
