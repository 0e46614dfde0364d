// `publish` with a real nats-server: events go out on dsiem_events as the frontend sends them (rcvd_time in ns at
// publish time; with --now the first event is now and the gaps are kept), and the README's serve quick start
// (serve on the example config, then publish --now) ends with the alarms a replay of the same file gives.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Msg } from 'nats';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { parseRfc3339Seconds } from '../../src/shared/time.js';
import { runReplay } from '../../actors/replay.js';
import { silentLogger } from '../../actors/logger.js';
import { normaliseAlarmFiles } from '../helpers/normalise.js';
import { spawnCli } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { correlation } from '../helpers/correlation.js';
import { Backend, cleanup, tempDir, useNats } from './harness.js';

const EXAMPLE = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'config', 'example');
const EVENTS = path.join(EXAMPLE, 'events.jsonl');

async function fileEvents(): Promise<Array<Record<string, unknown>>> {
  return (await readFile(EVENTS, 'utf8')).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('publish', () => {
  const shared = useNats();

  /** Runs `publish` with the args and returns what arrived on dsiem_events, with the wall clock around the run. */
  async function published(args: string[], expected: number) {
    const got: Array<Record<string, unknown>> = [];
    const sub = shared.nc.subscribe('dsiem_events', { callback: (_err, m: Msg) => got.push(m.json<Record<string, unknown>>()) });
    await shared.nc.flush();
    const before = Date.now();
    const run = spawnCli(['publish', '--events', EVENTS, '--msq', shared.server.url, ...args]);
    const exit = await run.exited;
    const after = Date.now();
    assert.equal(exit.code, 0, run.output());
    await waitFor(() => got.length >= expected || undefined, { what: `${expected} events on dsiem_events` });
    sub.unsubscribe();
    return { got, before, after, run };
  }

  it('sends every line with rcvd_time (ns) set at publish time, the rest of the event unchanged', async () => {
    const original = await fileEvents();
    const { got, before, after, run } = await published([], original.length);
    assert.equal(got.length, original.length);
    got.forEach((e, i) => {
      const rcvdMs = Number(e['rcvd_time']) / 1e6;
      assert.ok(rcvdMs >= before - 1 && rcvdMs <= after + 1, `rcvd_time ${e['rcvd_time']} not within the run`);
      const { rcvd_time: _r, ...rest } = e;
      assert.deepEqual(rest, original[i]);
    });
    assert.match(run.stdout.join('\n'), new RegExp(`^published ${original.length} events from .*events.jsonl to nats://127.0.0.1:\\d+ \\(dsiem_events\\)`));
  });

  it('--now: the first event is now and the gaps between events are kept', async () => {
    const original = await fileEvents();
    const { got, before, after } = await published(['--now'], original.length);
    const times = got.map((e) => parseRfc3339Seconds(String(e['timestamp'])));
    const first = times[0] ?? NaN;
    assert.ok(first >= Math.floor(before / 1000) && first <= Math.floor(after / 1000), `first timestamp ${got[0]?.['timestamp']}`);
    const originalTimes = original.map((e) => parseRfc3339Seconds(String(e['timestamp'])));
    assert.deepEqual(times.map((t) => t - first), originalTimes.map((t) => t - (originalTimes[0] ?? 0)));
  });

  it('--rate: events are published no faster than the rate', async () => {
    const rate = 100;
    const { got } = await published(['--rate', String(rate)], 29);
    const rcvd = got.map((e) => Number(e['rcvd_time']) / 1e6);
    const span = (rcvd.at(-1) ?? 0) - (rcvd[0] ?? 0);
    // The last of 29 events is due 280 ms after the start; the first may have left up to a few ms after it.
    assert.ok(span >= (28 * 1000) / rate - 20, `29 events in ${span} ms at ${rate}/s`);
  });

  it('refuses a rate of 0 (exit 2) and an unreachable server (exit 1, naming the URL)', async () => {
    const zero = spawnCli(['publish', '--events', EVENTS, '--rate', '0']);
    assert.equal((await zero.exited).code, 2, zero.output());
    const down = spawnCli(['publish', '--events', EVENTS, '--msq', 'nats://127.0.0.1:1']);
    assert.equal((await down.exited).code, 1, down.output());
    assert.match(down.stderr.join('\n'), /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  });

  it('the serve quick start: serve on config/example, then publish --now, gives the alarms a replay of the file gives', async () => {
    const logs = await tempDir('dsiem-quickstart-');
    const reference = await tempDir('dsiem-quickstart-ref-');
    try {
      const loaded = await loadConfigDir(EXAMPLE);
      assert.ok(loaded.ok);
      await runReplay({ config: loaded.value, eventsFile: EVENTS, logsDir: reference, drain: false, correlation: correlation(0), log: silentLogger() });
      const expected = await normaliseAlarmFiles([path.join(reference, 'siem_alarms.json'), path.join(reference, 'siem_alarm_events.json')]);
      assert.equal(expected.length, 4);
      // As the README has it: no -l, the wall clock drives expiry.
      const backend = await Backend.start(['--config-dir', EXAMPLE, '--msq', shared.server.url], logs);
      const run = spawnCli(['publish', '--events', EVENTS, '--msq', shared.server.url, '--now']);
      assert.equal((await run.exited).code, 0, run.output());
      const stats = await backend.settled(shared.nc, 29);
      assert.equal(stats.alarms, 4);
      assert.equal((await backend.stop()).code, 0, backend.proc.output());
      // The same alarms; their event times are moved by --now's shift.
      const withoutTimes = (alarms: string[]) => alarms.map((a) => a.replace(/"(start|end)_time":\d+,/g, ''));
      assert.deepEqual(withoutTimes(await backend.alarms()), withoutTimes(expected));
    } finally {
      await cleanup(logs, reference);
    }
  });
});
