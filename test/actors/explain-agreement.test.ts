// Explain agrees with what the engine really does: the same events through `runReplay` (the actor pipeline) and
// through explain give the same backlogs, each with the same events counted in the same stages, and the same
// alarms; on the example config and on every conformance scenario. The backlogs are read off the explanation
// records (what a user sees) and off the alarm files the engine wrote.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReplay } from '../../actors/replay.js';
import { correlationContext, forEachLine } from '../../actors/explain-command.js';
import { silentLogger } from '../../actors/logger.js';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { readWrittenRun, stagesKey, type WrittenRun } from '../../src/explain/alarm-lines.js';
import { directiveScopedIds } from '../../src/explain/config-trace.js';
import { ExplainSession } from '../../src/explain/explain-session.js';
import type { EventRecord } from '../../src/explain/explanation.js';
import { sequentialIds } from '../../src/shared/ids.js';
import { correlation, NEVER_EXPIRE } from '../helpers/correlation.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFORMANCE = path.join(ROOT, 'test', 'fixtures', 'conformance');

interface Scenario {
  readonly name: string;
  readonly config: string;
  readonly events: string;
  readonly lifetime: number;
  readonly drain: boolean;
}

async function scenarios(): Promise<Scenario[]> {
  const example = path.join(ROOT, 'config', 'example');
  const list: Scenario[] = [
    { name: 'config/example (nothing expires)', config: example, events: path.join(example, 'events.jsonl'), lifetime: NEVER_EXPIRE, drain: false },
    { name: 'config/example (-l 0 --drain)', config: example, events: path.join(example, 'events.jsonl'), lifetime: 0, drain: true },
  ];
  // A sensor whose clock is an hour ahead: its event moves replay's clock (the latest time so far), so every SSH
  // backlog after it is already past its deadline at the next event.
  const ahead = path.join(await mkdtemp(path.join(tmpdir(), 'dsiem-agree-')), 'events.jsonl');
  const early = JSON.stringify({ event_id: 'ahead', timestamp: '2025-06-02T11:00:00Z', sensor: 'fast-clock', plugin_id: 9999, plugin_sid: 1, src_ip: '10.9.9.9', dst_ip: '10.9.9.8' });
  await writeFile(ahead, `${early}\n${await readFile(path.join(ROOT, 'test', 'directive-cases', 'ssh-brute-force', 'events.jsonl'), 'utf8')}`);
  list.push({ name: 'an event stamped an hour ahead, then the SSH case (-l 0)', config: example, events: ahead, lifetime: 0, drain: false });
  for (const name of ['port-scan', 'ssh-brute-force']) {
    list.push({ name: `directive case ${name}`, config: example, events: path.join(ROOT, 'test', 'directive-cases', name, 'events.jsonl'), lifetime: 0, drain: true });
  }
  for (const [group, lifetime, drain] of [['core', NEVER_EXPIRE, false], ['expiry', 0, true]] as const) {
    for (const dir of (await readdir(path.join(CONFORMANCE, group))).sort()) {
      const full = path.join(CONFORMANCE, group, dir);
      list.push({ name: `conformance ${group}/${dir}`, config: full, events: path.join(full, 'events.jsonl'), lifetime, drain });
    }
  }
  return list;
}

/** Per backlog, its counted events by stage, and whether it wrote an alarm (with its last risk), from explain's records. */
function explained(records: readonly EventRecord[]): Map<string, { stages: string[][]; risk?: number }> {
  const backlogs = new Map<string, { stages: string[][]; risk?: number }>();
  const count = (id: string, stage: number, eventId: string) => {
    const b = backlogs.get(id) ?? { stages: [] };
    while (b.stages.length < stage) b.stages.push([]);
    b.stages[stage - 1]?.push(eventId);
    backlogs.set(id, b);
  };
  const alarm = (id: string, risk: number | undefined) => {
    const b = backlogs.get(id);
    if (b !== undefined && risk !== undefined) b.risk = risk;
  };
  for (const r of records) {
    if (!('directives' in r)) continue;
    for (const x of r.expired) alarm(x.backlog_id, x.alarm?.risk);
    for (const d of r.directives) {
      for (const b of d.backlogs) {
        if (b.result === 'counted') count(b.backlog_id, b.counted_stage, r.event_id);
        if (b.result === 'counted' || b.result === 'expired') alarm(b.backlog_id, b.alarm?.risk);
      }
      if (d.new_backlog !== undefined) {
        count(d.new_backlog.backlog_id, 1, r.event_id);
        alarm(d.new_backlog.backlog_id, d.new_backlog.alarm?.risk);
      }
    }
  }
  return backlogs;
}

function signatures(entries: Iterable<{ stages: string[][]; risk?: number | undefined }>): string[] {
  return [...entries].map((b) => `${stagesKey(b.stages)} risk=${b.risk ?? '-'}`).sort();
}

function writtenSignatures(run: WrittenRun): string[] {
  return signatures([...run.backlogs.values()].map((b) => ({ stages: b.stages, risk: typeof b.alarm?.['risk'] === 'number' ? b.alarm['risk'] : undefined })));
}

async function compare(s: Scenario): Promise<{ backlogs: number; counted: number }> {
  const loaded = await loadConfigDir(s.config);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
  const config = loaded.value;
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-agree-'));
  try {
    const summary = await runReplay({ config, eventsFile: s.events, logsDir: logs, drain: s.drain, correlation: correlation(s.lifetime), log: silentLogger(), engine: { newId: sequentialIds('engine') } });
    const read = (f: string) => readFile(path.join(logs, f), 'utf8').catch(() => '');
    const written = readWrittenRun(await read('siem_alarms.json'), await read('siem_alarm_events.json'));

    const session = new ExplainSession(config.directives, correlationContext(config, correlation(s.lifetime)), directiveScopedIds());
    const records: EventRecord[] = [];
    await forEachLine(s.events, (line) => {
      const r = session.line(line);
      if (r !== undefined) records.push(r);
    });
    const drained = s.drain ? session.drain() : [];
    const ours = explained(records);
    for (const x of drained) if (x.alarm !== undefined) (ours.get(x.backlog_id) ?? { stages: [] }).risk = x.alarm.risk;

    assert.deepEqual(signatures(ours.values()), writtenSignatures(written), 'backlogs, their counted events per stage and their last risk');
    const e = session.summary();
    assert.equal(e.backlogs_created, summary.backlogsCreated, 'backlogs created');
    assert.equal(e.counted, summary.alarmEventLines, 'events counted');
    assert.equal(e.alarms, summary.alarms, 'alarms');
    assert.equal(e.invalid, summary.skipped, 'invalid events');
    assert.equal(e.whitelisted, summary.whitelisted, 'whitelisted events');
    return { backlogs: e.backlogs_created, counted: e.counted };
  } finally {
    await rm(logs, { recursive: true, force: true });
  }
}

describe('explain agrees with the engine (replay)', async () => {
  let backlogs = 0;
  for (const s of await scenarios()) {
    it(`${s.name}: the same backlogs, events counted per stage, and alarms`, async () => {
      backlogs += (await compare(s)).backlogs;
    });
  }
  it('compared some backlogs at all', () => assert.ok(backlogs > 20, `only ${backlogs} backlogs compared`));
});
