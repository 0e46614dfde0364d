// Tests of the alarm normaliser: the recorded conformance scenarios, a
// cross-check against the corpus' reference script (when ../shared is
// present), and hand-written edge cases.
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normaliseAlarmFiles, normaliseAlarmLines } from './normalise.js';

const CONFORMANCE_DIR = fileURLToPath(new URL('../fixtures/conformance/', import.meta.url));
// The corpus' reference script; NORMALISE_REFERENCE overrides its location.
const REFERENCE_SCRIPT =
  process.env.NORMALISE_REFERENCE ?? fileURLToPath(new URL('../../../shared/conformance/normalise.mjs', import.meta.url));

type Json = Record<string, unknown>;

interface Scenario {
  readonly name: string;
  readonly dir: string;
}

function scenarios(): Scenario[] {
  return ['core', 'expiry'].flatMap((group) => {
    const groupDir = join(CONFORMANCE_DIR, group);
    return readdirSync(groupDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => ({ name: `${group}/${entry.name}`, dir: join(groupDir, entry.name) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  });
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** Output lines of the reference script for `input` (the script must exist). */
function runReference(input: string, args: readonly string[] = []): string[] {
  const result = spawnSync(process.execPath, [REFERENCE_SCRIPT, ...args], { input, encoding: 'utf8' });
  assert.equal(result.status, 0, `reference script failed: ${result.stderr}`);
  return nonEmptyLines(result.stdout);
}

/** Compares our output with the reference script's, with and without events; skips without the script. */
function assertAgreesWithReference(t: TestContext, lines: readonly string[]): void {
  if (!existsSync(REFERENCE_SCRIPT)) {
    t.skip('reference script not available');
    return;
  }
  const input = lines.join('\n') + '\n';
  assert.deepEqual(normaliseAlarmLines(lines), runReference(input), 'with events');
  assert.deepEqual(normaliseAlarmLines(lines, { events: false }), runReference(input, ['--no-events']), '--no-events');
}

// ---- builders for hand-written input ---------------------------------------------

function rule(stage: number, extra: Json = {}): Json {
  return {
    name: `stage ${stage}`, stage, plugin_id: 1001, plugin_sid: [1], occurrence: 1, from: 'ANY', to: 'ANY',
    type: 'PluginRule', port_from: 'ANY', port_to: 'ANY', reliability: stage, timeout: 60, ...extra,
  };
}

function snapshot(alarmId: string, extra: Json = {}): Json {
  return {
    alarm_id: alarmId, title: `Alarm ${alarmId}`, status: 'Open', kingdom: 'K', category: 'C',
    created_time: 100, update_time: 100, risk: 1, risk_class: 'Low', tag: 'Identified Threat',
    src_ips: ['10.0.0.1'], dst_ips: ['8.8.8.8'], networks: ['10.0.0.0/8'],
    rules: [rule(1, { status: 'finished' }), rule(2)], ...extra,
  };
}

function eventRecord(alarmId: string, stage: number, eventId: string): Json {
  return { alarm_id: alarmId, stage, event_id: eventId };
}

function jsonLines(...records: readonly unknown[]): string[] {
  return records.map((record) => JSON.stringify(record));
}

function parsed(lines: readonly string[]): Json[] {
  return lines.map((line) => JSON.parse(line) as Json);
}

function rulesOf(alarm: Json): Json[] {
  return alarm.rules as Json[];
}

// ---- recorded scenarios -------------------------------------------------------------

describe('normaliseAlarmLines on the conformance scenarios', () => {
  const all = scenarios();

  it('finds the scenario folders', () => {
    assert.ok(all.length >= 20, `only ${all.length} scenarios under ${CONFORMANCE_DIR}`);
  });

  for (const scenario of all) {
    describe(scenario.name, () => {
      const alarmsFile = join(scenario.dir, 'expected-alarms.jsonl');
      const alarmLines = () => nonEmptyLines(readText(alarmsFile));

      it('gives expected-normalised.jsonl', () => {
        const expected = nonEmptyLines(readText(join(scenario.dir, 'expected-normalised.jsonl')));
        assert.deepEqual(normaliseAlarmLines(alarmLines()), expected);
      });

      it('agrees with the reference script', (t) => {
        assertAgreesWithReference(t, alarmLines());
      });
    });
  }
});

// ---- hand-written cases -----------------------------------------------------------------

/** Hand-written inputs, each checked below and also against the reference script. */
const EDGE_INPUTS = {
  staleSnapshot: jsonLines(
    snapshot('a1', {
      update_time: 200, risk: 4, risk_class: 'Medium',
      rules: [rule(1, { status: 'finished' }), rule(2, { status: 'finished' })],
    }),
    snapshot('a1', { update_time: 300, risk: 1 }),
  ),
  tieBreaks: jsonLines(
    snapshot('a1', { src_ips: ['10.0.0.1', '10.0.0.2'], risk: 2 }), // more IPs ...
    snapshot('a1', { update_time: 999, risk: 3 }), // ... beat a larger update_time
    snapshot('b1', { update_time: 100, risk: 5 }),
    snapshot('b1', { update_time: 101, risk: 6 }), // larger update_time wins
    snapshot('b1', { update_time: 100, risk: 7 }),
    snapshot('c1', { risk: 8 }),
    snapshot('c1', { risk: 9 }), // full tie: the later line wins
  ),
  orphanEvents: jsonLines(
    eventRecord('ghost', 1, 'ev-0'),
    snapshot('a1'),
    eventRecord('a1', 1, 'ev-2'),
    eventRecord('a1', 2, 'ev-4'),
    eventRecord('a1', 2, 'ev-3'),
    eventRecord('ghost', 2, 'ev-9'),
  ),
  alarmEventsReplace: jsonLines(
    eventRecord('a1', 1, 'ev-old'),
    snapshot('a1', { update_time: 500, alarm_events: [{ stage: 1, event_id: 'ev-1' }] }),
    snapshot('a1', { update_time: 400, alarm_events: [{ stage: 2, event_id: 'ev-stale' }] }),
    eventRecord('a1', 2, 'ev-after'),
  ),
  emptyFields: jsonLines(snapshot('a1', {
    custom_data: [], intel_hits: [],
    rules: [{
      stage: 1, name: 'bare', type: '', status: '', plugin_id: 0, plugin_sid: [], product: [],
      subcategory: null, sticky_different: null, custom_data1: '', custom_label1: null,
      occurrence: 0, reliability: 0, timeout: 0, start_time: 0, end_time: 0, rcvd_time: 123,
    }],
  })),
  // Sorting by plain JSON text would put the second entry first ('{"p' < '{"v').
  intelHits: jsonLines(snapshot('a1', {
    intel_hits: [{ provider: 'b', value: 'b' }, { value: 'a', provider: 'a' }],
    vulnerabilities: [{ provider: 'b', value: 'b' }, { value: 'a', provider: 'a' }],
  })),
  sorting: jsonLines(
    snapshot('z', {
      title: 'B', src_ips: ['10.0.0.9', '10.0.0.1', '10.0.0.9'], networks: ['b', 'a'],
      custom_data: [{ label: 'user', content: 'root' }, { label: 'host', content: 'x' }],
      rules: [rule(2), rule(1, { status: 'finished' })],
    }),
    snapshot('y', { title: 'A' }),
    snapshot('x', { title: 'C' }),
    eventRecord('z', 1, 'ev-1'),
    eventRecord('x', 1, 'ev-0'),
  ),
  junkLines: [
    '', '   ', 'not json', '[1,2]', '42', 'null', '{"no_alarm_id":1}', '{"alarm_id":"q","rules":null}',
    `${JSON.stringify(snapshot('a1'))}\r\n${JSON.stringify(eventRecord('a1', 1, 'ev-1'))}\r`,
    `\uFEFF  ${JSON.stringify(eventRecord('a1', 2, 'ev-2'))}  \r${JSON.stringify(eventRecord('a1', 2, 'ev-3'))}`,
  ],
  // Title order differs from JSON-text order when a title continues with a char below '"'.
  titleOrder: jsonLines(snapshot('t1', { title: 'X!' }), snapshot('t2', { title: 'X' })),
  oddValues: jsonLines(
    // numeric and string alarm ids are different alarms
    snapshot('7', { title: 'string id' }),
    { ...snapshot('x'), alarm_id: 7, title: 'number id' },
    // values of the wrong type are coerced like the script does
    snapshot('odd', {
      risk: '3', update_time: 'soon', src_ips: [1, '1', null], networks: 'n',
      custom_data: [{ label: 1, content: null }, 'text'],
      rules: [
        rule(1, { stage: '1', plugin_id: 'abc', plugin_sid: ['2', 'x'], status: false, from: 0, timeout: null }),
        rule(2, { stage: 'two', product: [null, 1] }),
        rule(3, { stage: 3, status: 'finished', start_time: '5', end_time: 'x' }),
      ],
      alarm_events: [{ stage: '1', event_id: 9 }, { stage: 3 }, 5, { stage: 3, event_id: 'e3' }, { stage: 3, event_id: 'e3' }],
    }),
    // an unparsable update_time never wins a tie: the first line stays
    snapshot('nan', { update_time: 'x', risk: 1 }),
    snapshot('nan', { update_time: 'y', risk: 2 }),
  ),
} satisfies Record<string, string[]>;

describe('normaliseAlarmLines edge cases', () => {
  it('keeps the most advanced snapshot over a later stale one', () => {
    const [alarm] = parsed(normaliseAlarmLines(EDGE_INPUTS.staleSnapshot));
    assert.equal(alarm.risk, 4);
    assert.deepEqual(rulesOf(alarm).map((r) => r.status), ['finished', 'finished']);
  });

  it('breaks ties by IPs, then update_time, then the later line', () => {
    const risks = parsed(normaliseAlarmLines(EDGE_INPUTS.tieBreaks, { events: false })).map((a) => [a.title, a.risk]);
    assert.deepEqual(risks, [['Alarm a1', 2], ['Alarm b1', 6], ['Alarm c1', 9]]);
  });

  it('drops alarm-event records of an alarm id without snapshot', () => {
    const out = parsed(normaliseAlarmLines(EDGE_INPUTS.orphanEvents));
    assert.equal(out.length, 1);
    assert.deepEqual(rulesOf(out[0]).map((r) => [r.n_events, r.events]), [[1, ['ev-2']], [2, ['ev-3', 'ev-4']]]);
  });

  it('lets alarm_events of a snapshot replace earlier records, even from a stale snapshot', () => {
    const [alarm] = parsed(normaliseAlarmLines(EDGE_INPUTS.alarmEventsReplace));
    assert.equal(alarm.title, 'Alarm a1');
    assert.deepEqual(rulesOf(alarm).map((r) => r.events), [[], ['ev-after', 'ev-stale']]);
  });

  it('omits 0, null and empty rule fields but keeps occurrence, reliability and timeout', () => {
    const [alarm] = parsed(normaliseAlarmLines(EDGE_INPUTS.emptyFields));
    assert.deepEqual(rulesOf(alarm), [
      { stage: 1, name: 'bare', occurrence: 0, reliability: 0, timeout: 0, n_events: 0, events: [] },
    ]);
    assert.equal('custom_data' in alarm, false);
    assert.equal('intel_hits' in alarm, false);
    assert.equal('vulnerabilities' in alarm, false);
  });

  it('sorts intel_hits and vulnerabilities by canonical JSON, keeping each entry as written', () => {
    const [line] = normaliseAlarmLines(EDGE_INPUTS.intelHits);
    const alarm = JSON.parse(line) as Json;
    const sorted = [{ value: 'a', provider: 'a' }, { provider: 'b', value: 'b' }];
    assert.deepEqual(alarm.intel_hits, sorted);
    assert.deepEqual(alarm.vulnerabilities, sorted);
    assert.ok(line.includes('"intel_hits":[{"value":"a","provider":"a"},{"provider":"b","value":"b"}]'));
  });

  it('sorts sets, custom data, rules and alarms', () => {
    const out = parsed(normaliseAlarmLines(EDGE_INPUTS.sorting));
    // An alarm without stage-1 event sorts first (key ''), then by first event id.
    assert.deepEqual(out.map((a) => a.title), ['A', 'C', 'B']);
    const b = out[2];
    assert.deepEqual(b.src_ips, ['10.0.0.1', '10.0.0.9']);
    assert.deepEqual(b.networks, ['a', 'b']);
    // Canonical JSON puts "content" before "label": pairs sort by content first.
    assert.deepEqual(b.custom_data, [{ label: 'user', content: 'root' }, { label: 'host', content: 'x' }]);
    assert.deepEqual(rulesOf(b).map((r) => r.stage), [1, 2]);
  });

  it('without events: no events/n_events, alarms sorted by title', () => {
    const out = parsed(normaliseAlarmLines(EDGE_INPUTS.sorting, { events: false }));
    assert.deepEqual(out.map((a) => a.title), ['A', 'B', 'C']);
    for (const r of out.flatMap(rulesOf)) {
      assert.equal('events' in r, false);
      assert.equal('n_events' in r, false);
    }
  });

  it('skips blank, non-JSON and unrelated lines; accepts CRLF, lone CR and several lines per entry', () => {
    const out = parsed(normaliseAlarmLines(EDGE_INPUTS.junkLines));
    assert.equal(out.length, 1);
    assert.deepEqual(rulesOf(out[0]).map((r) => r.events), [['ev-1'], ['ev-2', 'ev-3']]);
  });

  it('sorts alarms with the same first event by title before their JSON text', () => {
    assert.deepEqual(parsed(normaliseAlarmLines(EDGE_INPUTS.titleOrder)).map((a) => a.title), ['X', 'X!']);
  });

  it('coerces odd values', () => {
    const out = parsed(normaliseAlarmLines(EDGE_INPUTS.oddValues));
    assert.deepEqual(out.map((a) => a.title), ['Alarm nan', 'number id', 'string id', 'Alarm odd']);
    const odd = out[3];
    assert.equal(odd.risk, 3);
    assert.deepEqual(odd.src_ips, ['1', 'null']);
    assert.deepEqual(odd.networks, []);
    assert.deepEqual(rulesOf(odd).map((r) => [r.stage, r.status, r.events]), [
      [1, 'false', ['9']], [null, undefined, []], [3, 'finished', ['e3', 'e3', 'undefined']],
    ]);
    assert.equal(out[0].risk, 1);
  });
});

describe('edge cases agree with the reference script', () => {
  for (const [name, lines] of Object.entries(EDGE_INPUTS)) {
    it(name, (t) => {
      assertAgreesWithReference(t, lines);
    });
  }

  it('all edge inputs together', (t) => {
    assertAgreesWithReference(t, Object.values(EDGE_INPUTS).flat());
  });
});

describe('normaliseAlarmFiles', () => {
  it('treats a missing file as no lines', async () => {
    assert.deepEqual(await normaliseAlarmFiles([join(CONFORMANCE_DIR, 'no-such-file.json')]), []);
  });

  it('reads and joins several files', async () => {
    const dir = join(CONFORMANCE_DIR, 'core', '04-two-stage-complete-then-new');
    const out = await normaliseAlarmFiles([join(dir, 'expected-alarms.jsonl'), join(dir, 'missing.json')]);
    assert.deepEqual(out, nonEmptyLines(readText(join(dir, 'expected-normalised.jsonl'))));
  });
});
