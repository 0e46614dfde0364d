// What explain says about each event: the first rule field that fails (with references shown as written and as
// resolved), each reason an event is consumed but not counted, expiry, new backlogs, the quick check, and the
// text form of all of it. Events go in as lines of an events file, as the command reads them.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Directive } from '../../../src/directive/directive.js';
import type { RuleSpec } from '../../../src/directive/rule-spec.js';
import { directiveScopedIds } from '../../../src/explain/config-trace.js';
import { ExplainSession } from '../../../src/explain/explain-session.js';
import type { BacklogAnswer } from '../../../src/explain/backlog-answer.js';
import type { DirectiveRecord, EventRecord } from '../../../src/explain/explanation.js';
import { formatDrained, formatEventRecord } from '../../../src/explain/explanation-text.js';
import { aContext, aDirective, at, BASE_EVENT } from '../helpers.js';

const SCANNER = '203.0.113.50';
const TARGET = '192.168.0.10';

const scan = aDirective(
  [
    { plugin_id: 2001, plugin_sid: [1], from: '!HOME_NET', to: 'HOME_NET' },
    { plugin_id: 2001, plugin_sid: [1], from: ':1', to: ':1', occurrence: 3, reliability: 5, timeout: 300, sticky_different: 'DST_PORT' },
    { plugin_id: 2001, plugin_sid: [1], from: ':1', to: ':1', occurrence: 5, reliability: 8, timeout: 900 },
  ],
  { id: 3, name: 'Scan from SRC_IP' },
);

/** An events-file line: a scanner's SYN at T0 + t seconds, with overrides. */
function syn(id: string, t: number, over: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...BASE_EVENT, event_id: id, timestamp: at(t), plugin_id: 2001, plugin_sid: 1, src_ip: SCANNER, dst_ip: TARGET, dst_port: 1000 + t, ...over });
}

function session(directives: readonly Directive[] = [scan], overrides: Partial<Parameters<typeof aContext>[1]> = {}, only?: Directive): ExplainSession {
  return new ExplainSession(directives, aContext(undefined, overrides), directiveScopedIds(), only);
}

function run(s: ExplainSession, lines: readonly string[]): EventRecord[] {
  return lines.map((l) => s.line(l)).filter((r): r is EventRecord => r !== undefined);
}

function directiveOf(r: EventRecord | undefined, id = 3): DirectiveRecord {
  assert.ok(r !== undefined && 'directives' in r, 'not a correlated event');
  const d = r.directives.find((x) => x.directive_id === id);
  assert.ok(d !== undefined, `directive ${id} not reached`);
  return d;
}

function answerOf(r: EventRecord | undefined): BacklogAnswer {
  const b = directiveOf(r).backlogs[0];
  assert.ok(b !== undefined, 'no backlog met the event');
  return b;
}

/** A backlog in stage 2 after one event, then the lines given. */
function afterStart(lines: readonly string[], s = session()): EventRecord[] {
  return run(s, [syn('start', 100), ...lines]);
}

describe('explain: a near miss', () => {
  it('names the first field that fails, with the reference as written and what the backlog resolved it to', () => {
    const [, near] = afterStart([syn('near', 101, { src_ip: '10.0.0.9' })]);
    const b = answerOf(near);
    assert.equal(b.result, 'not-matched');
    assert.ok(b.result === 'not-matched');
    assert.deepEqual(b.miss, { field: 'from', rule: ':1', resolved: SCANNER, event: '10.0.0.9', why: `"from" 10.0.0.9 is not :1 = ${SCANNER}` });
    const d = directiveOf(near);
    assert.equal(d.outcome, 'ignored');
    assert.ok(d.stage1 !== undefined && !d.stage1.matched && d.stage1.miss.why === '"from" 10.0.0.9 is in HOME_NET');
    const text = formatEventRecord(near as EventRecord).join('\n');
    assert.match(text, /backlog 3-1 stage 2: "from" 10\.0\.0\.9 is not :1 = 203\.0\.113\.50/);
    assert.match(text, /=> ignored: no backlog took it, and stage 1 does not match: "from" 10\.0\.0\.9 is in HOME_NET/);
  });

  it('checks the fields in Go Dsiem\'s order: the source first, then the destination', () => {
    const [, both] = afterStart([syn('both', 101, { src_ip: '10.0.0.9', dst_ip: '192.168.0.99' })]);
    const [, dst] = afterStart([syn('dst', 101, { dst_ip: '192.168.0.99' })]);
    const first = answerOf(both);
    assert.ok(first.result === 'not-matched' && first.miss.field === 'from');
    const b = answerOf(dst);
    assert.ok(b.result === 'not-matched' && b.miss.why === `"to" 192.168.0.99 is not :1 = ${TARGET}`);
  });

  it('says when a failed rule still recorded its sticky_different value (Go records PLUGIN_SID before the addresses)', () => {
    const sticky = aDirective(
      [
        { plugin_id: 2001, plugin_sid: [1], from: 'ANY', to: 'ANY' },
        { plugin_id: 2001, plugin_sid: [1, 2], from: ':1', to: 'ANY', occurrence: 2, timeout: 60, sticky_different: 'PLUGIN_SID' },
      ],
      { id: 3, name: 'Sticky' },
    );
    const [, failed] = run(session([sticky]), [syn('a', 100), syn('b', 101, { plugin_sid: 2, src_ip: '10.0.0.9' })]);
    const b = answerOf(failed);
    assert.ok(b.result === 'not-matched' && b.sticky_recorded === '2' && b.miss.field === 'from');
    assert.match(formatEventRecord(failed as EventRecord).join('\n'), /sticky_different value "2" is recorded as seen/);
  });
});

describe('explain: consumed but not counted, and why', () => {
  it('a repeated event id', () => {
    const [, , again] = afterStart([syn('x', 101), syn('x', 102, { dst_port: 2 })]);
    const b = answerOf(again);
    assert.ok(b.result === 'consumed' && b.reason === 'repeated-id' && b.why === 'repeated event id "x": already counted in stage 2');
    assert.equal(directiveOf(again).outcome, 'consumed');
  });

  it('no new sticky_different value', () => {
    const [, , same] = afterStart([syn('p1', 101, { dst_port: 22 }), syn('p2', 102, { dst_port: 22 })]);
    const b = answerOf(same);
    assert.ok(b.result === 'consumed' && b.reason === 'no-new-sticky-value' && b.why === 'no new sticky_different value: DST_PORT "22" was already seen in stage 2');
  });

  it('out of order: older than the previous stage\'s end by 5 s or more', () => {
    const records = afterStart([syn('s2a', 101), syn('s2b', 102), syn('s2c', 103), syn('late', 90)]);
    const b = answerOf(records.at(-1));
    assert.ok(b.result === 'consumed' && b.reason === 'out-of-order', JSON.stringify(b));
    assert.match(b.why, /^out of order: event time .*:01:30Z \+ 5 s is not after stage 2's end .*:01:43Z$/);
  });

  it('an unusable timestamp: consumed by the backlog, and it could not start one either', () => {
    const [, bad] = afterStart([syn('bad', 101, { timestamp: 'yesterday' })]);
    const b = answerOf(bad);
    assert.ok(b.result === 'consumed' && b.reason === 'unusable-timestamp');
    const [alone] = run(session(), [syn('bad', 0, { timestamp: 'yesterday' })]);
    const d = directiveOf(alone);
    assert.equal(d.outcome, 'ignored');
    assert.deepEqual(d.stage1, { matched: true, unusable_timestamp: true });
    assert.match(formatEventRecord(alone as EventRecord).join('\n'), /timestamp is unusable \(not RFC 3339\), so no backlog starts/);
  });
});

describe('explain: counting, new backlogs, expiry', () => {
  it('counts with the stage\'s progress, and says when a stage is done and the alarm written', () => {
    const records = afterStart([syn('a', 101), syn('b', 102), syn('c', 103)]);
    const first = answerOf(records[1]);
    assert.ok(first.result === 'counted' && first.count === 1 && first.occurrence === 3 && !first.stage_done);
    const done = answerOf(records[3]);
    assert.ok(done.result === 'counted' && done.stage_done && done.now_stage === 3 && done.alarm?.risk === 3, JSON.stringify(done));
    assert.match(formatEventRecord(records[3] as EventRecord).join('\n'), /counted \(3 of 3\); stage 2 done: now stage 3; alarm written: risk 3 \(Medium\)/);
    const created = directiveOf(records[0]);
    assert.equal(created.outcome, 'new-backlog');
    assert.deepEqual(created.new_backlog, { backlog_id: '3-1', title: `Scan from ${SCANNER}`, stage: 2, completed: false });
  });

  it('reports a backlog that expired when the clock reached an event, before the event is offered', () => {
    const records = afterStart([syn('later', 500)]);
    const r = records[1];
    assert.ok(r !== undefined && 'expired' in r);
    assert.deepEqual(r.expired.map((x) => [x.backlog_id, x.stage, x.timeout]), [['3-1', 2, 300]]);
    assert.equal(directiveOf(r).outcome, 'new-backlog');
    assert.match(formatEventRecord(r).join('\n'), /clock .*: backlog 3-1 \(directive 3\) expired in stage 2 \(started .*, timeout 300 s\)/);
  });

  it('with --drain, expires what is still open after the last event', () => {
    const s = session();
    afterStart([], s);
    const drained = s.drain();
    assert.deepEqual(drained.map((x) => x.backlog_id), ['3-1']);
    assert.match(formatDrained(drained)[0] ?? '', /^end of events \(--drain\): backlog 3-1/);
    assert.deepEqual(s.summary(), { summary: 'explain', lines: 1, events: 1, invalid: 0, whitelisted: 0, backlogs_created: 1, counted: 1, expired: 1, alarms: 0 });
  });

  it('all_rules_always_active: an event for an earlier stage is counted there, with why the current stage did not take it', () => {
    const always = aDirective(
      [
        { plugin_id: 2001, plugin_sid: [1], from: 'ANY', to: 'ANY' },
        { plugin_id: 2001, plugin_sid: [2], from: ':1', to: ':1', occurrence: 2, timeout: 60 },
      ] as Array<Partial<RuleSpec>>,
      { id: 3, name: 'Always', allRulesAlwaysActive: true },
    );
    const [, again] = run(session([always]), [syn('a', 100), syn('b', 101)]);
    const b = answerOf(again);
    assert.ok(b.result === 'counted' && b.counted_stage === 1 && b.miss?.field === 'plugin_sid', JSON.stringify(b));
    assert.match(formatEventRecord(again as EventRecord).join('\n'), /all_rules_always_active: counted in stage 1/);
  });
});

describe('explain: the quick check and lines that are not correlated', () => {
  it('with a directive chosen, says why an event does not reach it', () => {
    const other = aDirective([{ plugin_id: 1001, plugin_sid: [5] }, { plugin_id: 1001, plugin_sid: [5], occurrence: 2 }], { id: 9 });
    const [r] = run(session([scan, other], {}, scan), [syn('ping', 100, { plugin_id: 1001, plugin_sid: 5 })]);
    assert.ok(r !== undefined && 'reached' in r);
    assert.deepEqual(r.reached, []);
    assert.deepEqual(r.not_reached, { directive_id: 3, why: 'its rules take plugin_id 2001 with plugin_sid [1]; the event has plugin_id 1001 plugin_sid 5' });
    assert.match(formatEventRecord(r).join('\n'), /quick check: does not reach directive 3: its rules take plugin_id 2001/);
  });

  it('lists the directives reached, and skips invalid and whitelisted lines as replay does', () => {
    const s = session();
    const records = run(s, ['', '{"event_id": "x"}', syn('white', 100, { src_ip: '192.168.0.2' }), syn('ok', 100)]);
    assert.deepEqual(
      records.map((r) => formatEventRecord(r)[0]),
      [
        'line 2: skipped: invalid event (missing-timestamp: timestamp is empty)',
        'line 3: event white from 192.168.0.2: whitelisted source, dropped before correlation',
        `line 4: event ok at ${at(100)}: plugin 2001/1, ${SCANNER}:31337 -> ${TARGET}:1100`,
      ],
    );
    assert.deepEqual(s.summary(), { summary: 'explain', lines: 3, events: 1, invalid: 1, whitelisted: 1, backlogs_created: 1, counted: 1, expired: 0, alarms: 0 });
  });
});
