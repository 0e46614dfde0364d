// Hot reload through the engine: half of a scenario's events, a reload that adds, changes, renames and removes
// directives and changes the assets (given between two batches, without waiting for the first half), then the
// rest. Each run's alarm files are read back per alarm id and compared with runs without a reload.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEngine, type Engine, type EngineReload } from '../../actors/engine.js';
import { silentLogger } from '../../actors/logger.js';
import { ALARM_EVENTS_FILE, ALARMS_FILE } from '../../actors/alarm-writer-actor.js';
import { loadConfigDir, type LoadedConfig } from '../../src/config-files/config-dir.js';
import { decodeEventJson } from '../../src/event/normalized-event.js';
import type { TimedEvent } from '../../src/correlation/items.js';
import { correlation, NEVER_EXPIRE } from '../helpers/correlation.js';
import { directiveOfAlarm, NAMES, perDirectiveIds, scenarioEvents, writeConfig, type Version } from '../helpers/reload-scenario.js';

/** Alarm and alarm-event lines of one run, per alarm id, in file order. */
type Lines = Map<string, string[]>;

interface Run {
  readonly lines: Lines;
  readonly reloads: EngineReload[];
  readonly engine: Engine;
}

async function config(version: Version): Promise<LoadedConfig> {
  const dir = await mkdtemp(path.join(tmpdir(), `dsiem-reload-v${version}-`));
  try {
    await writeConfig(dir, version);
    const loaded = await loadConfigDir(dir);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    return loaded.value;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Replay's clock: the latest event time seen. Batches of `batch` events; a step that is a config is a reload. */
async function run(initial: LoadedConfig, steps: ReadonlyArray<readonly string[] | LoadedConfig>, batch = 4): Promise<Run> {
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-reload-run-'));
  let clock = 0;
  const engine = startEngine({ config: initial, correlation: correlation(NEVER_EXPIRE), logsDir: logs, clock: { now: () => clock }, log: silentLogger(), idsByDirective: perDirectiveIds() });
  const reloads: Array<Promise<EngineReload>> = [];
  try {
    for (const step of steps) {
      if (!Array.isArray(step)) {
        reloads.push(engine.reload(step as LoadedConfig));
        continue;
      }
      let timed: TimedEvent[] = [];
      for (const line of step as readonly string[]) {
        const d = decodeEventJson(line);
        assert.ok(d.ok);
        clock = Math.max(clock, d.value.time * 1000);
        timed.push({ event: d.value, now: clock });
        if (timed.length >= batch) {
          engine.ingest(timed);
          timed = [];
        }
      }
      if (timed.length > 0) engine.ingest(timed);
    }
    const done = await Promise.all(reloads);
    await engine.barrier();
    await engine.close();
    const lines: Lines = new Map();
    for (const file of [ALARMS_FILE, ALARM_EVENTS_FILE]) {
      for (const line of (await readFile(path.join(logs, file), 'utf8')).split('\n')) {
        if (line === '') continue;
        const record = JSON.parse(line) as { alarm_id?: string; id?: string };
        const id = record.alarm_id ?? record.id ?? '';
        lines.set(`${file}:${id}`, [...(lines.get(`${file}:${id}`) ?? []), line]);
      }
    }
    return { lines, reloads: done, engine };
  } finally {
    engine.stop();
    await rm(logs, { recursive: true, force: true });
  }
}

const alarmIdOf = (key: string) => key.slice(key.indexOf(':') + 1);

function ofDirective(lines: Lines, id: number, keep: (alarmId: string) => boolean = () => true): Lines {
  return new Map([...lines].filter(([key]) => directiveOfAlarm(alarmIdOf(key)) === id && keep(alarmIdOf(key))));
}

const oldBacklog = (alarmId: string) => Number(alarmId.split('-')[1]) <= 3;

describe('engine reload', () => {
  it('keeps unchanged directives exactly, changed ones for new backlogs only, drops renamed and removed ones, starts new ones', async () => {
    const [v1, v2] = [await config(1), await config(2)];
    const { first, second } = scenarioEvents();
    const reloaded = await run(v1, [first, v2, second]);
    const without = await run(v1, [first, second]);
    const firstOnly = await run(v1, [first]);
    const secondOnV2 = await run(v2, [second]);

    const [reload] = reloaded.reloads;
    assert.ok(reload !== undefined);
    const d = reload.diff.directives;
    assert.deepEqual(
      { added: d.added.map((x) => x.id), changed: d.changed.map((x) => x.id), renamed: d.renamed.map((x) => x.after.id), removed: d.removed.map((x) => x.id), unchanged: d.unchanged.map((x) => x.id) },
      { added: [5], changed: [2], renamed: [3], removed: [4], unchanged: [1] },
    );
    assert.deepEqual(reload.diff.assets, { added: 1, removed: 0, changed: 0, before: 2, after: 3 });
    // C's and D's three live backlogs each.
    assert.equal(reload.droppedBacklogs, 6);
    assert.equal(reloaded.engine.stats.backlogsDropped, 6);

    // A: unchanged, its alarms identical to a run without reload, alarm ids included.
    assert.ok(ofDirective(without.lines, 1).size > 0);
    assert.deepEqual(ofDirective(reloaded.lines, 1), ofDirective(without.lines, 1));
    // B: the backlogs of the first half go on with the rules they were made with (as without reload) ...
    assert.deepEqual(ofDirective(reloaded.lines, 2, oldBacklog), ofDirective(without.lines, 2, oldBacklog));
    // ... and new backlogs use the new rules (stage 2: 2 events, reliability 6).
    const newB = [...ofDirective(reloaded.lines, 2, (id) => !oldBacklog(id))].filter(([key]) => key.startsWith(ALARMS_FILE));
    assert.equal(newB.length, 2);
    for (const [, lines] of newB) {
      const rules = (JSON.parse(lines.at(-1) ?? '{}') as { rules: Array<{ occurrence: number; reliability: number }> }).rules;
      assert.deepEqual([rules[1]?.occurrence, rules[1]?.reliability], [2, 6]);
    }
    // C (renamed) and D (removed): nothing after the swap for their old backlogs; C's new backlogs carry its new name.
    assert.deepEqual(ofDirective(reloaded.lines, 3, oldBacklog), ofDirective(firstOnly.lines, 3));
    assert.deepEqual(ofDirective(reloaded.lines, 4), ofDirective(firstOnly.lines, 4));
    const newC = [...ofDirective(reloaded.lines, 3, (id) => !oldBacklog(id))].filter(([key]) => key.startsWith(ALARMS_FILE));
    assert.equal(newC.length, 5, 'the second half of C (hosts 1-5) made new backlogs');
    for (const [, lines] of newC) assert.match(lines.at(-1) ?? '', new RegExp(`"title":"${NAMES.cRenamed.replace('SRC_IP', '10\\.0\\.0\\.3\\d').replace(/[()]/g, '\\$&')}"`));
    // E: new, as if v2 had run the second half on its own (its assets apply).
    assert.ok(ofDirective(secondOnV2.lines, 5).size > 0);
    assert.deepEqual(ofDirective(reloaded.lines, 5), ofDirective(secondOnV2.lines, 5));

    // No event lost or handled twice: every event of A, B, C and E handled once, D's second-half events by nobody.
    assert.equal(reloaded.engine.stats.handled, first.length + second.length - 3);
    assert.equal(reloaded.engine.stats.eventsWithoutCandidate, 3);
    const pairs = [...reloaded.lines].filter(([key]) => key.startsWith(ALARM_EVENTS_FILE)).flatMap(([, lines]) => lines.map((l) => {
      const r = JSON.parse(l) as { alarm_id: string; event_id: string };
      return `${r.alarm_id} ${r.event_id}`;
    }));
    assert.equal(new Set(pairs).size, pairs.length, 'an alarm-event line was written twice');
    assert.equal(reloaded.engine.stats.activeBacklogs, 5 + 5 + 5 + 3, 'A: 5, B: 3 old + 2 new, C: 5 new, E: 3');
  });
});
