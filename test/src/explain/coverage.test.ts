// Coverage from a trace: per directive the events its quick check let in, backlogs, alarms, events counted per
// stage and the highest stage; the directives and stages no event reached.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { directiveScopedIds } from '../../../src/explain/config-trace.js';
import { CoverageCounter, coverageRecords, formatCoverage } from '../../../src/explain/coverage.js';
import { ReplayTrace } from '../../../src/explain/replay-trace.js';
import { aContext, aDirective, at, BASE_EVENT } from '../helpers.js';

const ping = aDirective(
  [
    { plugin_id: 1001, plugin_sid: [1], from: 'HOME_NET', to: 'ANY' },
    { plugin_id: 1001, plugin_sid: [1], from: ':1', to: 'ANY', occurrence: 2, reliability: 6, timeout: 60 },
    { plugin_id: 1001, plugin_sid: [1], from: ':1', to: 'ANY', occurrence: 50, reliability: 9, timeout: 60 },
  ],
  { id: 1, name: 'Ping from SRC_IP' },
);
const never = aDirective([{ plugin_id: 7, plugin_sid: [7] }, { plugin_id: 7, plugin_sid: [7], occurrence: 2 }], { id: 2, name: 'Never' });

function cover(lines: readonly string[], drain: boolean) {
  const ctx = aContext();
  const trace = new ReplayTrace([ping, never], ctx, directiveScopedIds());
  const counter = new CoverageCounter([ping, never]);
  for (const line of lines) {
    const t = trace.next(line);
    if (t !== undefined && 'trace' in t) counter.event(t.trace);
  }
  if (drain) counter.expiries(trace.drain());
  return counter.report();
}

const event = (id: string, t: number, over: Record<string, unknown> = {}) => JSON.stringify({ ...BASE_EVENT, event_id: id, timestamp: at(t), plugin_id: 1001, plugin_sid: 1, ...over });

describe('coverage', () => {
  it('counts per directive what reached it and how far it got, and what never did', () => {
    const report = cover([event('a', 0), event('b', 1), event('c', 2), event('d', 3), event('other', 4, { src_ip: '8.8.4.4' }), event('sid', 5, { plugin_sid: 2 })], true);
    assert.deepEqual(report.directives, [
      { directive_id: 1, directive: 'Ping from SRC_IP', stages: 3, events: 5, backlogs: 1, alarms: 1, counted_per_stage: [1, 2, 1], highest_stage: 3, stages_never_reached: [] },
      { directive_id: 2, directive: 'Never', stages: 2, events: 0, backlogs: 0, alarms: 0, counted_per_stage: [0, 0], highest_stage: 0, stages_never_reached: [1, 2] },
    ]);
    assert.deepEqual(report.summary, { directives: 2, reached: 1, with_backlogs: 1, never_reached: [2], stages: 5, stages_reached: 3, events: 6, backlogs: 1, alarms: 1 });
    assert.deepEqual(formatCoverage(report), [
      'coverage: 6 events; 1 of 2 directives reached, 1 with backlogs; 3 of 5 stages counted an event; 1 backlog, 1 alarm',
      '  directive 1 "Ping from SRC_IP": 5 events, 1 backlog, 1 alarm, highest stage 3 of 3 (events per stage 1, 2, 1)',
      '  directive 2 "Never": never reached (no event passed its quick check)',
      '  never reached: directive 2',
    ]);
    assert.deepEqual(coverageRecords(report).map((r) => (r as { coverage: string }).coverage), ['directive', 'directive', 'summary']);
  });

  it('lists the stages no event was counted in', () => {
    const report = cover([event('a', 0)], false);
    assert.deepEqual(report.directives[0]?.stages_never_reached, [2, 3]);
    assert.equal(formatCoverage(report).at(-1), '  stages never reached: directive 1 stages 2, 3');
  });
});
