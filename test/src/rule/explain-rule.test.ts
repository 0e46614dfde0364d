import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { explainRule } from '../../../src/rule/explain-rule.js';
import { compileRule, matchRule, MatchResult } from '../../../src/rule/match-rule.js';
import type { RuleSpec, StickyField } from '../../../src/directive/rule-spec.js';
import { anEvent, aRule, standardAssets } from '../helpers.js';

const assets = standardAssets();

describe('explainRule: the first field that fails, with the values', () => {
  it('matches what matches', () => {
    assert.deepEqual(explainRule(aRule({ plugin_sid: [1] }), anEvent(), assets), { matched: true });
  });

  it('names plugin_sid before any address', () => {
    const v = explainRule(aRule({ plugin_sid: [2, 3], from: '10.0.0.0/8' }), anEvent(), assets);
    assert.deepEqual(v, { matched: false, field: 'plugin_sid', expected: '2, 3', actual: '1', why: '"plugin_sid" 1 is not in [2, 3]', stickyRecorded: false });
  });

  it('says which address failed and why: a list, HOME_NET, !HOME_NET', () => {
    const v = (over: Partial<RuleSpec>, ev = {}) => {
      const r = explainRule(aRule({ plugin_sid: [1], ...over }), anEvent(ev), assets);
      return r.matched ? 'matched' : r.why;
    };
    assert.equal(v({ from: '10.0.0.0/8' }), '"from" 192.168.0.10 is not matched by "10.0.0.0/8"');
    assert.equal(v({ to: 'HOME_NET' }), '"to" 8.8.8.8 is not in HOME_NET');
    assert.equal(v({ from: '!HOME_NET' }), '"from" 192.168.0.10 is in HOME_NET');
    assert.equal(v({ port_to: '!80, 443' }), '"port_to" 80 is not matched by "!80, 443"');
    assert.equal(v({ custom_data1: 'alice' }, { custom_data1: 'bob' }), '"custom_data1" "bob" is not matched by "alice"');
  });

  it('says whether the sticky value was recorded before the failure (Go records PLUGIN_SID before addresses)', () => {
    const r = explainRule(aRule({ plugin_sid: [1], from: '10.0.0.0/8', sticky_different: 'PLUGIN_SID' }), anEvent(), assets);
    assert.ok(!r.matched && r.stickyRecorded && r.field === 'from');
  });

  it('checks a TaxonomyRule by category, product and subcategory, never custom data', () => {
    const taxo = aRule({ type: 'TaxonomyRule', plugin_id: 0, plugin_sid: [], product: ['Firewall'], category: 'Drop', subcategory: ['Inbound'], custom_data1: 'x' });
    const r = explainRule(taxo, anEvent({ product: 'Firewall', category: 'Drop', subcategory: 'Outbound' }), assets);
    assert.ok(!r.matched && r.field === 'subcategory' && r.why === '"subcategory" "Outbound" is not in ["Inbound"]');
    assert.deepEqual(explainRule(taxo, anEvent({ product: 'Firewall', category: 'Drop', subcategory: 'Inbound', custom_data1: 'y' }), assets), { matched: true });
  });
});

describe('explainRule agrees with matchRule (property)', () => {
  const address = fc.constantFrom('ANY', 'HOME_NET', '!HOME_NET', '10.0.0.0/8', '!10.0.0.0/8, 192.168.0.0/16', '192.168.0.10', '8.8.8.8, 1.1.1.1', '::1');
  const port = fc.constantFrom('ANY', '80', '!22, 80', '31337', '!80', '1, 2, 3');
  const custom = fc.constantFrom('', 'ANY', 'alice', '!alice', 'a,b', 'a,!b', ' Alice ');
  const sticky = fc.constantFrom<StickyField | ''>('', 'PLUGIN_SID', 'SRC_IP', 'DST_PORT', 'CUSTOM_DATA1');
  const rule = fc.record({
    type: fc.constantFrom('PluginRule' as const, 'TaxonomyRule' as const),
    plugin_id: fc.constantFrom(1001, 1002), plugin_sid: fc.subarray([1, 2, 3], { minLength: 1 }),
    product: fc.subarray(['Firewall', 'IDS'], { minLength: 1 }), category: fc.constantFrom('Drop', 'Alert'), subcategory: fc.subarray(['Inbound', 'ANY']),
    from: address, to: address, port_from: port, port_to: port, custom_data1: custom, custom_data2: custom, sticky_different: sticky,
  });
  const event = fc.record({
    plugin_id: fc.constantFrom(1001, 1002), plugin_sid: fc.constantFrom(1, 2, 4), product: fc.constantFrom('Firewall', 'IDS', 'AV'),
    category: fc.constantFrom('Drop', 'Alert'), subcategory: fc.constantFrom('Inbound', 'Outbound', ''),
    src_ip: fc.constantFrom('192.168.0.10', '10.1.2.3', '8.8.8.8', '::1', '::ffff:10.0.0.1'), dst_ip: fc.constantFrom('8.8.8.8', '1.1.1.1', '192.168.0.1'),
    src_port: fc.constantFrom(22, 80, 31337), dst_port: fc.constantFrom(22, 80, 443),
    custom_data1: fc.constantFrom('', 'alice', 'Alice', 'a', 'b'), custom_data2: fc.constantFrom('', 'a', 'b'),
  });

  it('matched exactly when matchRule matches, and the sticky value recorded exactly when matchRule says so', () => {
    fc.assert(
      fc.property(rule, event, (over, ev) => {
        const spec = aRule(over);
        const e = anEvent(ev);
        const verdict = explainRule(spec, e, assets);
        const result = matchRule(compileRule(spec), e, assets);
        assert.equal(verdict.matched, result === MatchResult.Matched);
        if (!verdict.matched) assert.equal(verdict.stickyRecorded, result === MatchResult.FailedAfterSticky);
      }),
      { numRuns: 5000 },
    );
  });
});
