import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildQuickCheckIndex } from '../../../src/directive/quick-check.js';
import { aDirective, anEvent } from '../helpers.js';

const directives = [
  // 0: plugin rules only
  aDirective([{ plugin_id: 1001, plugin_sid: [1] }, { plugin_id: 1001, plugin_sid: [1, 2] }], { id: 10 }),
  // 1: taxonomy rules only
  aDirective(
    [
      { type: 'TaxonomyRule', product: ['Firewall', 'IDS'], category: 'Malware' },
      { type: 'TaxonomyRule', product: ['IDS'], category: 'Malware' },
    ],
    { id: 11 },
  ),
  // 2: mixed rule types
  aDirective(
    [
      { plugin_id: 2002, plugin_sid: [7] },
      { type: 'TaxonomyRule', product: ['WAF'], category: 'Web Attack' },
    ],
    { id: 12 },
  ),
  // 3: the same plugin pair twice, overlapping directive 0
  aDirective([{ plugin_id: 1001, plugin_sid: [2, 3, 2] }, { plugin_id: 1001, plugin_sid: [2] }], { id: 13 }),
  // 4: a PluginRule that also lists product and category (not a taxonomy pair: D4)
  aDirective(
    [
      { plugin_id: 3003, plugin_sid: [1], product: ['IDS'], category: 'Malware' },
      { plugin_id: 3003, plugin_sid: [2] },
    ],
    { id: 14 },
  ),
];
const index = buildQuickCheckIndex(directives);

const pluginEvent = (plugin_id: number, plugin_sid: number) => anEvent({ plugin_id, plugin_sid });
const taxonomyEvent = (product: string, category: string) => anEvent({ plugin_id: undefined, plugin_sid: undefined, product, category });

describe('buildQuickCheckIndex (D4)', () => {
  const table: Array<[string, ReturnType<typeof anEvent>, number[]]> = [
    ['a plugin event reaches the directive with its plugin pair', pluginEvent(1001, 1), [0]],
    ['a sid listed by two directives reaches both', pluginEvent(1001, 2), [0, 3]],
    ['a sid of a later rule reaches the directive', pluginEvent(1001, 3), [3]],
    ['another sid of a known plugin reaches nothing', pluginEvent(1001, 4), []],
    ['an unknown plugin reaches nothing', pluginEvent(9999, 1), []],
    ['a sid of another plugin reaches nothing', pluginEvent(2002, 1), []],
    ['a taxonomy event reaches the directive with its (product, category)', taxonomyEvent('Firewall', 'Malware'), [1]],
    ['a PluginRule product/category is not a taxonomy pair', taxonomyEvent('IDS', 'Malware'), [1]],
    ['a product not listed for the category reaches nothing', taxonomyEvent('Other', 'Malware'), []],
    ['the category is compared case-sensitively', taxonomyEvent('IDS', 'malware'), []],
    ['a mixed directive is reached by a plugin event of its PluginRule', pluginEvent(2002, 7), [2]],
    ['a mixed directive is reached by a taxonomy event of its TaxonomyRule', taxonomyEvent('WAF', 'Web Attack'), [2]],
    ['a plugin event of a PluginRule that lists product/category reaches it', pluginEvent(3003, 2), [4]],
  ];
  for (const [name, event, expected] of table) {
    it(name, () => {
      assert.deepEqual(index.candidates(event), expected);
    });
  }

  it('returns the union of plugin and taxonomy candidates, ascending and unique', () => {
    const both = anEvent({ plugin_id: 1001, plugin_sid: 2, product: 'IDS', category: 'Malware' });
    assert.deepEqual(index.candidates(both), [0, 1, 3]);
    const mixed = anEvent({ plugin_id: 2002, plugin_sid: 7, product: 'WAF', category: 'Web Attack' });
    assert.deepEqual(index.candidates(mixed), [2]);
  });

  it('orders candidates ascending when the taxonomy match comes before the plugin match', () => {
    const idx = buildQuickCheckIndex([
      aDirective([{ plugin_id: 5, plugin_sid: [5] }, { plugin_id: 5, plugin_sid: [5] }]),
      aDirective([{ type: 'TaxonomyRule', product: ['P'], category: 'C' }, { type: 'TaxonomyRule', product: ['P'], category: 'C' }]),
      aDirective([{ plugin_id: 7, plugin_sid: [7] }, { plugin_id: 7, plugin_sid: [7] }]),
    ]);
    assert.deepEqual(idx.candidates(anEvent({ plugin_id: 7, plugin_sid: 7, product: 'P', category: 'C' })), [1, 2]);
    assert.deepEqual(idx.candidates(anEvent({ plugin_id: 5, plugin_sid: 5, product: 'P', category: 'C' })), [0, 1]);
  });

  it('has no candidates when there are no directives', () => {
    assert.deepEqual(buildQuickCheckIndex([]).candidates(pluginEvent(1001, 1)), []);
  });
});
