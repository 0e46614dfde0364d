// Supervision of backlog actors: a backlog whose handler throws is restarted from its last good state and the
// engine keeps correlating; one that keeps failing is stopped after its restart budget, the others unaffected.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { stepBatch } from '../../src/backlog/batch.js';
import { sequentialIds } from '../../src/shared/ids.js';
import { runReplay, type ReplaySummary } from '../../actors/replay.js';
import type { BacklogDeps } from '../../actors/backlog-actor.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { correlation } from '../helpers/correlation.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'supervision');

interface Run {
  summary: ReplaySummary;
  failedEvents: unknown[];
  alarms: Array<{ alarm_id: string; risk: number; rules: Array<{ status?: string }> }>;
  events: Array<{ alarm_id: string; stage: number; event_id: string }>;
  logged: string[];
}

async function run(step: BacklogDeps['stepBatch'], maxRestarts: number): Promise<Run> {
  const loaded = await loadConfigDir(fixture);
  assert.ok(loaded.ok);
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-sup-'));
  const { log, lines } = captureLogger();
  try {
    const summary = await runReplay({
      config: loaded.value,
      eventsFile: path.join(fixture, 'events.jsonl'),
      logsDir: logs,
      drain: false,
      correlation: correlation(1_000_000),
      log,
      engine: { newId: sequentialIds('alarm'), stepBatch: step, budget: { maxRestarts, windowMs: 60_000 } },
      batchSize: 1,
    });
    const read = async (name: string) =>
      (await readFile(path.join(logs, name), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    return {
      summary,
      failedEvents: lines.flatMap((l) => (Array.isArray(l.fields['eventIds']) ? l.fields['eventIds'] : [])),
      alarms: await read('siem_alarms.json'),
      events: await read('siem_alarm_events.json'),
      logged: lines.map((l) => l.message),
    };
  } finally {
    await rm(logs, { recursive: true, force: true });
  }
}

const finalAlarm = (r: Run, id: string) => r.alarms.filter((a) => a.alarm_id === id).at(-1);
const eventsOf = (r: Run, id: string) => r.events.filter((e) => e.alarm_id === id).map((e) => e.event_id);

describe('backlog supervision', () => {
  it('without failures, both sources complete their backlog', async () => {
    const r = await run(stepBatch, 3);
    assert.equal(r.summary.backlogsCreated, 2);
    assert.deepEqual(eventsOf(r, 'alarm-1'), ['sv-001', 'sv-003', 'sv-005', 'sv-007']);
    assert.deepEqual(eventsOf(r, 'alarm-2'), ['sv-002', 'sv-004', 'sv-006', 'sv-008']);
    assert.equal(finalAlarm(r, 'alarm-2')?.risk, 6);
  });

  it('restarts a backlog whose handler throws, from its last good state, and keeps correlating', async () => {
    let thrown = false;
    const flaky: BacklogDeps['stepBatch'] = (state, items, ctx) => {
      if (items.some((i) => i.type === 'event' && i.event.event_id === 'sv-005') && state.id === 'alarm-1' && !thrown) {
        thrown = true;
        throw new Error('injected failure');
      }
      return stepBatch(state, items, ctx);
    };
    const r = await run(flaky, 3);
    assert.equal(thrown, true);
    assert.equal(r.summary.backlogRestarts, 1);
    assert.ok(r.logged.some((m) => m.includes('restarting it from its last good state')));
    // The restarted backlog kept the events counted before the failure and went on with the next one.
    assert.deepEqual(eventsOf(r, 'alarm-1'), ['sv-001', 'sv-003', 'sv-007']);
    // The event it failed on is reported by id (the directive had already seen it as consumed by this backlog).
    assert.deepEqual(r.failedEvents, ['sv-005']);
    assert.equal(r.summary.backlogsCreated, 2);
    // The other source's backlog is untouched.
    assert.deepEqual(eventsOf(r, 'alarm-2'), ['sv-002', 'sv-004', 'sv-006', 'sv-008']);
    assert.equal(finalAlarm(r, 'alarm-2')?.rules[1]?.status, 'finished');
  });

  it('stops a backlog that keeps failing after its restart budget; the others are unaffected', async () => {
    let failures = 0;
    const broken: BacklogDeps['stepBatch'] = (state, items, ctx) => {
      if (state.id === 'alarm-1') {
        failures++;
        throw new Error('always failing');
      }
      return stepBatch(state, items, ctx);
    };
    const r = await run(broken, 1);
    assert.equal(failures, 2);
    assert.equal(r.summary.backlogRestarts, 1);
    assert.ok(r.logged.some((m) => m.includes('failed too often, stopping it')));
    assert.deepEqual(eventsOf(r, 'alarm-1'), ['sv-001']);
    assert.deepEqual(eventsOf(r, 'alarm-2'), ['sv-002', 'sv-004', 'sv-006', 'sv-008']);
    assert.equal(finalAlarm(r, 'alarm-2')?.risk, 6);
  });
});
