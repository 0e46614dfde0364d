import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alarmOrigins } from '../../../src/alarm/alarm-origin.js';
import { toAlarmDocument } from '../../../src/alarm/alarm.js';
import { startBacklog } from '../../../src/backlog/transitions.js';
import type { Directive } from '../../../src/directive/directive.js';
import { aContext, aDirective, anEvent } from '../helpers.js';

const ctx = aContext();

/** The alarm document of the backlog the event starts in the directive (a real one, as the alarm writer gets it). */
function alarmOf(d: Directive, event = anEvent()): unknown {
  const t = startBacklog(d, event, ctx, 'a1', 0);
  return JSON.parse(JSON.stringify(toAlarmDocument(t.state, ctx)));
}

// Go Dsiem's two sample directives: the same rules but for from/to, told apart by their names.
const fromSrc = aDirective([{ from: 'HOME_NET', name: 'ping' }, { from: ':1', occurrence: 3, reliability: 6, timeout: 600, name: 'ping' }], { id: 1, name: 'Ping Flood from SRC_IP' });
const toDst = aDirective([{ to: 'HOME_NET', name: 'ping' }, { to: ':1', occurrence: 3, reliability: 6, timeout: 600, name: 'ping' }], { id: 2, name: 'Ping Flood to DST_IP' });
const taxonomy = aDirective([{ type: 'TaxonomyRule', plugin_id: 0, plugin_sid: [], product: ['IDS'], category: 'Malware', subcategory: ['Trojan'] }], { id: 3, name: 'Malware on DST_IP', kingdom: 'Delivery & Attack' });

describe('alarmOrigins', () => {
  const origin = alarmOrigins([fromSrc, toDst, taxonomy]);

  it('finds the directive of an alarm from its title, kingdom, category and rules', () => {
    assert.deepEqual(origin(alarmOf(fromSrc)), [1]);
    assert.deepEqual(origin(alarmOf(toDst, anEvent({ src_ip: '8.8.8.8', dst_ip: '192.168.0.10' }))), [2]);
    assert.deepEqual(origin(alarmOf(taxonomy, anEvent({ plugin_id: undefined, plugin_sid: undefined, product: 'IDS', category: 'Malware', subcategory: 'Trojan' }))), [3]);
  });

  it('tells apart directives that differ in one rule field that is never a reference', () => {
    const other = aDirective([{ from: 'HOME_NET', name: 'ping' }, { from: ':1', occurrence: 4, reliability: 6, timeout: 600, name: 'ping' }], { id: 7, name: 'Ping Flood from SRC_IP' });
    const both = alarmOrigins([fromSrc, other]);
    assert.deepEqual(both(alarmOf(fromSrc)), [1]);
    assert.deepEqual(both(alarmOf(other)), [7]);
  });

  it('gives every candidate when nothing in the alarm tells two directives apart', () => {
    const twin = { ...fromSrc, id: 9 };
    assert.deepEqual(alarmOrigins([fromSrc, twin])(alarmOf(fromSrc)), [1, 9]);
  });

  it('gives none for an alarm of no known directive, or for something that is not an alarm', () => {
    assert.deepEqual(origin(alarmOf(aDirective([{ plugin_sid: [99] }], { id: 5 }))), []);
    for (const junk of [null, 3, 'x', {}, { title: 't', rules: [null, 1] }]) assert.deepEqual(origin(junk), []);
  });

  it('reads a title literally apart from SRC_IP and DST_IP (regular-expression characters in names)', () => {
    const odd = aDirective([{}], { id: 4, name: 'C2 (beacon) to DST_IP [x.y]' });
    const o = alarmOrigins([odd]);
    assert.deepEqual(o(alarmOf(odd)), [4]);
    const renamed = alarmOf(odd) as Record<string, unknown>;
    renamed['title'] = 'C2 (beacon) to 8.8.8.8 [xzy]';
    assert.deepEqual(o(renamed), []);
  });
});
