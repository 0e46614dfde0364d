// Directive test cases, the pure parts: expected.json (every problem at once, with line:column and "did you
// mean"), the alarms read back from a run's files, the diff between the two, and the JUnit report.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem } from '../../../src/config-files/config-problem.js';
import { caseAlarms, type CaseAlarm } from '../../../src/directive-cases/case-alarms.js';
import { compareAlarms } from '../../../src/directive-cases/compare-alarms.js';
import { decodeExpectedFile, renderExpectedFile, type ExpectedCase } from '../../../src/directive-cases/expected-file.js';
import { junitReport } from '../../../src/directive-cases/junit.js';
import { readWrittenRun } from '../../../src/explain/alarm-lines.js';

const scan: CaseAlarm = {
  title: 'Port scan from 203.0.113.50 against 192.168.0.10',
  risk: 3,
  risk_class: 'Medium',
  status: 'Open',
  stage: 3,
  events_per_stage: [1, 2, 1],
  event_ids: [['s1'], ['s2', 's3'], ['s4']],
  rule_status: ['finished', 'finished', ''],
};
const ping: CaseAlarm = { ...scan, title: 'Ping Flood from 10.0.0.5', risk: 1, risk_class: 'Low', stage: 2, events_per_stage: [1, 1, 0], event_ids: [['p1'], ['p2'], []], rule_status: ['finished', '', ''] };

describe('expected.json', () => {
  it('reads the options and the alarms, with defaults for what is left out', () => {
    const r = decodeExpectedFile('expected.json', '{ "drain": true, "alarms": [ { "title": "x", "risk": 2 } ] }');
    assert.deepEqual(r, { ok: true, value: { options: { drain: true, minAlarmLifetime: 0 }, alarms: [{ title: 'x', risk: 2 }] } });
  });

  it('lists every problem at once, each with line:column, and suggests the field meant', () => {
    const text = ['{', '  "drian": true,', '  "alarms": [', '    { "title": "x", "risc": 3 },', '    { "risk": "3", "event_ids": [[1]] }', '  ]', '}'].join('\n');
    const r = decodeExpectedFile('case/expected.json', text);
    assert.ok(!r.ok);
    assert.deepEqual(r.error.map(formatProblem), [
      'case/expected.json:2:3: error: field "drian": unknown field; did you mean "drain"?',
      'case/expected.json:4:21: error: alarm #1: field "risc": unknown field; did you mean "risk"?',
      'case/expected.json:5:15: error: alarm #2: field "risk": expected a whole number, got "3"',
      'case/expected.json:5:35: error: alarm #2: field "event_ids[0][0]": expected a string, got 1',
    ]);
  });

  it('says where a JSON syntax error is', () => {
    const r = decodeExpectedFile('expected.json', '{ "alarms": [ }');
    assert.ok(!r.ok && /^expected\.json:1:15: error: not valid JSON/.test(formatProblem(r.error[0] ?? { severity: 'error', kind: '', file: '', line: 0, column: 0, offset: 0, message: '' })));
  });

  it('is written by --update in a form it reads back the same', () => {
    const c: ExpectedCase = { description: 'scan', options: { drain: true, minAlarmLifetime: 5 }, alarms: [scan, ping] };
    const text = renderExpectedFile(c);
    assert.match(text, /"event_ids": \[\["s1"\], \["s2", "s3"\], \["s4"\]\]/);
    assert.deepEqual(decodeExpectedFile('expected.json', text), { ok: true, value: c });
    assert.equal(renderExpectedFile({ options: { drain: false, minAlarmLifetime: 0 }, alarms: [] }), '{\n  "alarms": []\n}\n');
  });
});

describe('the alarms of a run, read from its files', () => {
  const alarmLine = (id: string, title: string, risk: number, status: string[]) =>
    JSON.stringify({ alarm_id: id, title, status: 'Open', risk, risk_class: risk < 3 ? 'Low' : 'Medium', rules: status.map((s, i) => ({ stage: i + 1, ...(s === '' ? {} : { status: s }) })) });
  const eventLine = (id: string, stage: number, eventId: string) => JSON.stringify({ alarm_id: id, stage, event_id: eventId });

  it('one per backlog that wrote an alarm, from its last snapshot, sorted by first event then title', () => {
    const alarms = [alarmLine('b', 'Ping', 0, ['finished', '', '']), alarmLine('a', 'Scan', 1, ['finished', '', '']), alarmLine('a', 'Scan', 3, ['finished', 'finished', 'timeout']), alarmLine('b', 'Ping', 1, ['finished', 'finished', 'finished'])].join('\n');
    const events = [eventLine('b', 1, 'e1'), eventLine('a', 1, 'e2'), eventLine('a', 2, 'e3'), eventLine('b', 2, 'e4'), eventLine('b', 3, 'e5'), eventLine('c', 1, 'e0')].join('\n');
    const got = caseAlarms(readWrittenRun(alarms, events));
    assert.deepEqual(got.map((a) => [a.title, a.risk, a.stage, a.events_per_stage, a.rule_status]), [
      ['Ping', 1, 3, [1, 1, 1], ['finished', 'finished', 'finished']],
      ['Scan', 3, 3, [1, 1, 0], ['finished', 'finished', 'timeout']],
    ]);
  });

  it('counts a line that is not JSON as unreadable instead of failing', () => {
    const run = readWrittenRun('{"alarm_id":"a","title":"x"}\n{"alarm_', '{"alarm_id":"a","stage":1,"event_id":"e"}\nnot json');
    assert.equal(run.unreadable, 2);
    assert.equal(run.backlogs.size, 1);
  });
});

describe('compareAlarms: the diff', () => {
  it('is empty when every expectation is met, comparing only the fields given', () => {
    assert.deepEqual(compareAlarms([{ title: scan.title, risk: 3 }, { title: ping.title }], [scan, ping]), []);
    assert.deepEqual(compareAlarms([{ title: ping.title }, { title: scan.title }], [scan, ping]), [], 'in any order');
  });

  it('names each field that differs, with both values, and which events of a stage are missing or extra', () => {
    const diff = compareAlarms([{ title: scan.title, risk: 4, events_per_stage: [1, 2, 2], event_ids: [['s1'], ['s2', 's3'], ['s4', 's5']] }], [scan]);
    assert.deepEqual(diff, [
      `alarm "${scan.title}" (expected alarm #1):`,
      '  risk: expected 4, got 3',
      '  events_per_stage: expected [1, 2, 2], got [1, 2, 1]',
      '  event_ids stage 3: missing "s5"',
    ]);
  });

  it('reports an alarm expected but not raised, and one raised but not expected', () => {
    const diff = compareAlarms([{ title: scan.title }, { title: 'SSH brute force against 172.16.0.20', risk: 3 }], [scan, ping]);
    assert.deepEqual(diff, [
      `alarm "SSH brute force against 172.16.0.20" (expected alarm #2):`,
      `  title: expected "SSH brute force against 172.16.0.20", got "${ping.title}"`,
      '  risk: expected 3, got 1',
    ]);
    assert.deepEqual(compareAlarms([{ title: scan.title }, { title: 'gone' }], [scan]), ['missing: expected alarm #2 {"title": "gone"} was not raised']);
    assert.deepEqual(compareAlarms([], [ping]), [`unexpected alarm: "${ping.title}", risk 1 (Low), stage 2, events per stage [1, 1, 0]`]);
  });
});

describe('the JUnit report', () => {
  it('has one testcase per case, failures with the diff and errors, all escaped', () => {
    const xml = junitReport([
      { name: 'cases/ok', seconds: 0.5, outcome: 'pass', details: [] },
      { name: 'cases/<bad> & "quoted"', seconds: 0.25, outcome: 'fail', details: ['risk: expected 4, got 3', 'a\u0001b'] },
      { name: 'cases/broken', seconds: 0, outcome: 'error', details: ['invalid config cases/broken: 1 error'] },
    ]);
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="dsiem-backend test" tests="3" failures="1" errors="1" time="0\.750">/);
    assert.match(xml, /<testcase classname="dsiem-backend\.directive-cases" name="cases\/ok" time="0\.500"\/>/);
    assert.match(xml, /name="cases\/&lt;bad&gt; &amp; &quot;quoted&quot;"/);
    assert.match(xml, /<failure message="the alarms differ from expected\.json" type="AlarmMismatch">risk: expected 4, got 3\nab<\/failure>/);
    assert.match(xml, /<error message="invalid config cases\/broken: 1 error" type="CaseError">/);
  });
});
