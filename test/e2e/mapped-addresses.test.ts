// IPv4-mapped IPv6 addresses end to end (issue 15 items 9 and 10): `serve` with real nats-server. A whitelisted
// scanner that sends `::ffff:192.168.0.2` is dropped as whitelisted (before the fix it raised an alarm); a
// mapped non-whitelisted source gives exactly the alarms of the plain IPv4 run; addresses that are not IP
// literals are counted as invalid by reason.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Backend, cleanup, eventLines, expectedAlarms, publishEvents, SCENARIOS, tempDir, useNats } from './harness.js';

const PING = path.join(SCENARIOS, 'core', '01-ping-flood-from-src');

function withSource(lines: readonly string[], src: string): string[] {
  return lines.map((l) => JSON.stringify({ ...(JSON.parse(l) as Record<string, unknown>), src_ip: src }));
}

describe('serve with IPv4-mapped IPv6 and invalid addresses', () => {
  const shared = useNats();

  it('drops a whitelisted scanner that writes its address as ::ffff:192.168.0.2: no alarm', async () => {
    const logs = await tempDir('dsiem-e2e-mapped-white-');
    try {
      const backend = await Backend.start(['--config-dir', PING, '--msq', shared.server.url, '-l', '1000000000'], logs);
      const lines = withSource(await eventLines(PING), '::ffff:192.168.0.2');
      await publishEvents(shared.nc, lines);
      const stats = await backend.settled(shared.nc, lines.length);
      assert.equal(stats.whitelisted, lines.length, JSON.stringify(stats));
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
      assert.equal(await readFile(path.join(logs, 'siem_alarms.json'), 'utf8').catch(() => ''), '');
    } finally {
      await cleanup(logs);
    }
  });

  it('a mapped source (::ffff:10.0.0.1) gives the same alarms as 10.0.0.1: title, src_ips, asset value', async () => {
    const logs = await tempDir('dsiem-e2e-mapped-');
    try {
      const backend = await Backend.start(['--config-dir', PING, '--msq', shared.server.url, '-l', '1000000000'], logs);
      const lines = withSource(await eventLines(PING), '::ffff:10.0.0.1');
      await publishEvents(shared.nc, lines);
      await backend.settled(shared.nc, lines.length);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
      assert.deepEqual(await backend.alarms(), await expectedAlarms(PING));
    } finally {
      await cleanup(logs);
    }
  });

  it('counts src_ip/dst_ip that are not addresses as invalid events by reason, and correlates the rest', async () => {
    const logs = await tempDir('dsiem-e2e-badip-');
    try {
      const backend = await Backend.start(['--config-dir', PING, '--msq', shared.server.url, '-l', '1000000000'], logs);
      const good = await eventLines(PING);
      const bad = [...withSource(good.slice(0, 4), '1.2.3'), ...withSource(good.slice(0, 1), '[::1]')];
      const badDst = good.slice(0, 2).map((l) => JSON.stringify({ ...(JSON.parse(l) as Record<string, unknown>), event_id: 'x', dst_ip: '10.0.0.1\n' }));
      await publishEvents(shared.nc, [...bad, ...badDst, ...good]);
      const stats = await backend.settled(shared.nc, bad.length + badDst.length + good.length);
      assert.deepEqual(stats.invalid_by_reason, { 'invalid-src-ip': 5, 'invalid-dst-ip': 2 });
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
      assert.deepEqual(await backend.alarms(), await expectedAlarms(PING));
    } finally {
      await cleanup(logs);
    }
  });
});
