// What a hot reload changes: directives by id and content, assets by network, intel/vuln sources.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, diffConfigs, diffDirectives, directiveContent, summarizeDiff } from '../../../src/config-files/config-diff.js';
import type { LoadedConfig } from '../../../src/config-files/config-dir.js';
import type { EnrichmentSource } from '../../../src/enrichment/sources.js';
import { aDirective, anAsset } from '../helpers.js';

const ping = (id: number, name: string, occurrence = 2) => aDirective([{ plugin_sid: [1] }, { plugin_sid: [2], occurrence }], { id, name });

function config(over: Partial<LoadedConfig>): LoadedConfig {
  return { directives: [], disabledDirectives: 0, assets: [], intelSources: [], vulnSources: [], files: [], ...over };
}

describe('canonicalJson', () => {
  it('gives the same text whatever the order of the fields, at every level, and writes bigints as strings', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: null } }), canonicalJson({ a: { c: null, d: [2, { x: 2, y: 1 }] }, b: 1 }));
    assert.equal(canonicalJson({ v: 10n, u: undefined }), '{"v":"10"}');
  });
});

describe('diffDirectives', () => {
  it('sorts directives into added, changed, renamed, removed and unchanged by id, name and content', () => {
    const before = [ping(1, 'one'), ping(2, 'two'), ping(3, 'three'), ping(4, 'four')];
    const after = [{ ...ping(1, 'one'), file: 'directives_elsewhere.json' }, ping(2, 'two', 5), ping(3, 'three, renamed'), ping(5, 'five')];
    const d = diffDirectives(before, after);
    assert.deepEqual(
      { added: d.added.map((x) => x.id), changed: d.changed.map((x) => x.id), renamed: d.renamed.map((x) => [x.before.name, x.after.name]), removed: d.removed.map((x) => x.id), unchanged: d.unchanged.map((x) => x.id) },
      { added: [5], changed: [2], renamed: [['three', 'three, renamed']], removed: [4], unchanged: [1] },
    );
  });

  it('compares content without the file it came from', () => {
    assert.equal(directiveContent(ping(1, 'one')), directiveContent({ ...ping(1, 'one'), file: 'other.json' }));
    assert.notEqual(directiveContent(ping(1, 'one')), directiveContent(ping(1, 'one', 3)));
  });
});

describe('diffConfigs', () => {
  it('counts assets by network and says whether assets and intel/vuln sources changed', () => {
    const wise: EnrichmentSource = { name: 'Wise', plugin: 'Wise', type: 'IP', enabled: true, url: 'http://wise/${ip}' };
    const before = config({ assets: [anAsset('lan', '10.0.0.0/8', 3), anAsset('dmz', '172.16.0.0/12', 2), anAsset('old', '192.168.0.0/16', 1)], intelSources: [wise] });
    const after = config({ assets: [anAsset('lan', '10.0.0.0/8', 3), anAsset('dmz', '172.16.0.0/12', 4), anAsset('new', '8.8.8.0/24', 1)], intelSources: [{ ...wise, enabled: false }] });
    const diff = diffConfigs(before, after);
    assert.deepEqual(diff.assets, { added: 1, removed: 1, changed: 1, before: 3, after: 3 });
    assert.equal(diff.assetsChanged, true);
    assert.equal(diff.enrichmentChanged, true);
    const same = diffConfigs(before, config({ ...before, files: ['moved.json'] }));
    assert.deepEqual([same.assetsChanged, same.enrichmentChanged], [false, false]);
    assert.deepEqual(summarizeDiff(same).directives, { added: 0, changed: 0, renamed: 0, removed: 0, unchanged: 0 });
  });
});
