import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildNetworkAssets, decodeAssetFile } from '../../../src/asset/network-assets.js';
import type { RuleSpec } from '../../../src/directive/rule-spec.js';
import { compileRule, matchRule, MatchResult, stickyValue } from '../../../src/rule/match-rule.js';
import { createRuleBook } from '../../../src/rule/rule-book.js';
import { aRule, anEvent } from '../helpers.js';

// dsiem-backend.md 8.3, "Rule match table (test_rule)".
const ASSET_FILE = 'assets_rule_test.json';
const decodedAssets = decodeAssetFile(
  ASSET_FILE,
  JSON.stringify({
    assets: [
      { name: '192-168-Net', cidr: '192.168.0.0/16', value: 5 },
      { name: '10-Net', cidr: '10.0.0.0/8', value: 5 },
      { name: '172-16-Net', cidr: '172.16.0.0/12', value: 5 },
      { name: 'VulnerabilityScanner', cidr: '192.168.0.2/32', value: 5, whitelisted: true },
    ],
  }),
);
if (decodedAssets.problems.length > 0) throw new Error(decodedAssets.problems.map((p) => p.message).join('; '));
const assets = buildNetworkAssets(decodedAssets.assets);

const BASE_RULE: Partial<RuleSpec> = {
  type: 'PluginRule',
  plugin_id: 1001,
  plugin_sid: [50001],
  product: ['IDS'],
  category: 'Malware',
  subcategory: ['C&C Communication'],
  from: 'HOME_NET',
  to: 'ANY',
  port_from: 'ANY',
  port_to: 'ANY',
};

const BASE_EVENT = {
  plugin_id: 1001,
  plugin_sid: 50001,
  product: 'IDS',
  category: 'Malware',
  subcategory: 'C&C Communication',
  src_ip: '192.168.0.1',
  src_port: 31337,
  dst_ip: '8.8.8.200',
  dst_port: 80,
};

function check(rule: Partial<RuleSpec>, event: Record<string, unknown>): MatchResult {
  return matchRule(compileRule(aRule({ ...BASE_RULE, ...rule })), anEvent({ ...BASE_EVENT, ...event }), assets);
}

type Row = readonly [string, Partial<RuleSpec>, Record<string, unknown>, boolean];

const TAXO: Partial<RuleSpec> = { type: 'TaxonomyRule' };
const CD1 = { custom_data1: 'deny' } as const;
const CD12 = { custom_data1: 'deny', custom_data2: 'malware' } as const;
const CD123 = { custom_data1: 'deny', custom_data2: 'malware', custom_data3: '7000' } as const;

const table: Row[] = [
  ['the base rule matches the base event', {}, {}, true],
  ['a PluginRule refuses another plugin_sid (50002)', {}, { plugin_sid: 50002 }, false],
  ['the same rule as a TaxonomyRule matches', TAXO, {}, true],
  ['a TaxonomyRule refuses another category (Scanning)', TAXO, { category: 'Scanning' }, false],
  ['a PluginRule refuses another plugin_id (1002)', {}, { plugin_id: 1002 }, false],
  ['a TaxonomyRule refuses a product not in its list (Firewall)', TAXO, { product: 'Firewall' }, false],
  ['a TaxonomyRule with an empty subcategory list matches', { ...TAXO, subcategory: [] }, {}, true],
  ['a TaxonomyRule refuses a subcategory not in its list (Firewall Allow)', TAXO, { subcategory: 'Firewall Allow' }, false],
  ['swapped source and destination do not match HOME_NET -> ANY', {}, { src_ip: '8.8.8.200', dst_ip: '192.168.0.1' }, false],
  ['from !HOME_NET refuses a source in HOME_NET', { from: '!HOME_NET' }, {}, false],
  ['from 192.168.0.10 refuses source 192.168.0.1', { from: '192.168.0.10' }, {}, false],
  ['to HOME_NET refuses a destination outside HOME_NET', { to: 'HOME_NET' }, {}, false],
  ['to !HOME_NET refuses a destination in HOME_NET', { to: '!HOME_NET' }, { dst_ip: '10.0.0.1' }, false],
  ['to 192.168.0.10 refuses destination 8.8.8.200', { to: '192.168.0.10' }, {}, false],
  ['port_from 1337 refuses source port 31337', { port_from: '1337' }, {}, false],
  ['port_to 1337 refuses destination port 80', { port_to: '1337' }, {}, false],
  ['custom_data1 "deny" refuses an empty event value', CD1, {}, false],
  ['custom_data1 "deny" accepts "deny"', CD1, { custom_data1: 'deny' }, true],
  ['custom_data2 "malware" refuses an empty event value', CD12, { custom_data1: 'deny' }, false],
  ['custom_data2 "malware" accepts "malware"', CD12, { custom_data1: 'deny', custom_data2: 'malware' }, true],
  ['custom_data2 "malware" refuses "exploit"', CD12, { custom_data1: 'deny', custom_data2: 'exploit' }, false],
  ['custom_data3 "7000" refuses an empty event value', CD123, { custom_data1: 'deny', custom_data2: 'malware' }, false],
  ['custom_data3 matching does not save a custom_data2 mismatch', CD123, { custom_data1: 'deny', custom_data2: 'exploit', custom_data3: '7000' }, false],
  ['all three custom data matching accepts', CD123, { custom_data1: 'deny', custom_data2: 'malware', custom_data3: '7000' }, true],
  ['custom_data2 "!malware" refuses "malware"', { ...CD123, custom_data2: '!malware' }, { custom_data1: 'deny', custom_data2: 'malware', custom_data3: '7000' }, false],
  ['custom data ANY accepts empty event values', { custom_data1: 'ANY', custom_data2: 'ANY', custom_data3: 'ANY' }, {}, true],
  ['empty custom data accepts any event values', { custom_data1: '', custom_data2: '' }, { custom_data1: 'x', custom_data2: 'y' }, true],
];

describe('matchRule: rule match table (dsiem-backend.md 8.3)', () => {
  for (const [name, rule, event, expected] of table) {
    it(name, () => {
      assert.equal(check(rule, event), expected ? MatchResult.Matched : MatchResult.NoMatch);
    });
  }
});

describe('matchRule: our decisions (D1, D5, go-dsiem.md 3.3)', () => {
  it('does not check custom data on a TaxonomyRule', () => {
    assert.equal(check({ ...TAXO, ...CD123 }, {}), MatchResult.Matched);
    assert.equal(check({ ...TAXO, custom_data1: '!deny' }, { custom_data1: 'deny' }), MatchResult.Matched);
  });

  it('never checks protocol, on either rule type', () => {
    assert.equal(check({ protocol: 'UDP' }, { protocol: 'TCP' }), MatchResult.Matched);
    assert.equal(check({ ...TAXO, protocol: 'ICMP' }, { protocol: 'TCP' }), MatchResult.Matched);
  });

  it('lets an "ANY" subcategory entry accept every subcategory of a TaxonomyRule', () => {
    assert.equal(check({ ...TAXO, subcategory: ['Firewall Allow', 'ANY'] }, { subcategory: 'Something else' }), MatchResult.Matched);
  });

  it('ignores plugin ids on a TaxonomyRule and taxonomy on a PluginRule', () => {
    assert.equal(check(TAXO, { plugin_id: 9, plugin_sid: 9 }), MatchResult.Matched);
    assert.equal(check({}, { product: 'Other', category: 'Other', subcategory: 'Other' }), MatchResult.Matched);
  });

  it('compares category case-sensitively', () => {
    assert.equal(check(TAXO, { category: 'malware' }), MatchResult.NoMatch);
  });

  it('treats a whitelisted host inside a HOME_NET network as HOME_NET', () => {
    assert.equal(check({}, { src_ip: '192.168.0.2' }), MatchResult.Matched);
  });

  it('matches address and port lists with negation', () => {
    assert.equal(check({ from: '10.0.0.0/8, 192.168.0.0/24' }, {}), MatchResult.Matched);
    assert.equal(check({ from: '!192.168.0.1' }, {}), MatchResult.NoMatch);
    assert.equal(check({ port_to: '!22, 443' }, {}), MatchResult.Matched);
    assert.equal(check({ port_to: '!80, 443' }, {}), MatchResult.NoMatch);
    assert.equal(check({ port_from: '31337' }, {}), MatchResult.Matched);
  });

  it('matches an IPv6 literal without a prefix as a /128 host (D5)', () => {
    assert.equal(check({ from: '2002:c0a8:1::1' }, { src_ip: '2002:c0a8:1::1' }), MatchResult.Matched);
    assert.equal(check({ from: '2002:c0a8:1::1' }, { src_ip: '2002:c0a8:1::2' }), MatchResult.NoMatch);
  });

  it('does not put IPv6 addresses in an IPv4-only HOME_NET, but an IPv4-mapped one is its IPv4 address (Go To4)', () => {
    assert.equal(check({}, { src_ip: '::ffff:192.168.0.1' }), MatchResult.Matched);
    assert.equal(check({}, { src_ip: '2001:db8::1' }), MatchResult.NoMatch);
    assert.equal(check({ from: '!HOME_NET' }, { src_ip: '2001:db8::1' }), MatchResult.Matched);
  });
});

describe('matchRule: sticky_different recording points', () => {
  const addressFails = { from: '10.0.0.0/8' } as const; // base event source is 192.168.0.1

  it('reports FailedAfterSticky when PLUGIN_SID is recorded and then the address check fails', () => {
    assert.equal(check({ ...addressFails, sticky_different: 'PLUGIN_SID' }, {}), MatchResult.FailedAfterSticky);
  });

  it('reports NoMatch for PLUGIN_SID when the sid check itself fails', () => {
    assert.equal(check({ ...addressFails, sticky_different: 'PLUGIN_SID' }, { plugin_sid: 50002 }), MatchResult.NoMatch);
  });

  it('reports NoMatch for SRC_IP when the address check fails (recorded only after addresses pass)', () => {
    assert.equal(check({ ...addressFails, sticky_different: 'SRC_IP' }, {}), MatchResult.NoMatch);
    assert.equal(check({ port_to: '443', sticky_different: 'DST_PORT' }, {}), MatchResult.NoMatch);
  });

  it('reports FailedAfterSticky for SRC_IP when addresses pass and custom data fails', () => {
    assert.equal(check({ ...CD1, sticky_different: 'SRC_IP' }, { custom_data1: 'allow' }), MatchResult.FailedAfterSticky);
  });

  it('reports NoMatch without sticky_different, whichever check fails', () => {
    assert.equal(check(addressFails, {}), MatchResult.NoMatch);
    assert.equal(check(CD1, { custom_data1: 'allow' }), MatchResult.NoMatch);
  });

  it('reports NoMatch for a TaxonomyRule with SRC_IP when its address check fails', () => {
    assert.equal(check({ ...TAXO, ...addressFails, sticky_different: 'SRC_IP' }, {}), MatchResult.NoMatch);
  });

  it('reports Matched when a sticky rule matches (sticky never changes the match result)', () => {
    assert.equal(check({ sticky_different: 'PLUGIN_SID' }, {}), MatchResult.Matched);
    assert.equal(check({ sticky_different: 'SRC_IP' }, {}), MatchResult.Matched);
  });

  it('gives the recorded value of every sticky field as text', () => {
    const e = anEvent({ ...BASE_EVENT, custom_data1: 'a', custom_data2: 'b', custom_data3: 'c' });
    assert.deepEqual(
      (['PLUGIN_SID', 'SRC_IP', 'DST_IP', 'SRC_PORT', 'DST_PORT', 'CUSTOM_DATA1', 'CUSTOM_DATA2', 'CUSTOM_DATA3'] as const).map((f) =>
        stickyValue(f, e),
      ),
      ['50001', '192.168.0.1', '8.8.8.200', '31337', '80', 'a', 'b', 'c'],
    );
  });
});

describe('RuleBook.compile', () => {
  it('compiles a rule object once and reuses it, per book', () => {
    const spec = aRule(BASE_RULE);
    const book = createRuleBook();
    assert.equal(book.compile(spec), book.compile(spec));
    assert.notEqual(book.compile(spec), book.compile({ ...spec }));
    assert.notEqual(book.compile(spec), createRuleBook().compile(spec));
  });

  it('compiles a rule list once, with the same compiled rules as compile', () => {
    const rules = [aRule(BASE_RULE), aRule({ ...BASE_RULE, stage: 2 })];
    const book = createRuleBook();
    const all = book.compileAll(rules);
    assert.equal(book.compileAll(rules), all);
    assert.deepEqual(all, rules.map((r) => book.compile(r)));
    assert.equal(all[1], book.compile(rules[1] as RuleSpec));
  });
});
