// Config loading against the Rust port's fixtures (test/fixtures/rust-port) and hand-made broken folders:
// src/config-files/config-dir.ts `loadConfigDir` and src/directive/directive.ts `decodeDirectiveFile`.
//
// Every refusal is checked for (a) the exact place it names — the file, then `directive <id>`, then
// `stage <s> (rule #<n>)`, then `field "<name>"` — and (b) a regex for its meaning (our own words, not the Rust
// text; see dsiem-backend.md 3.3 and 8.2 for the Rust meanings). Where a fixture holds several problems, the one
// reported is the first in OUR check order (directive fields, rule count, then per rule: reliability, type,
// stage, occurrence, plugin/taxonomy keys, timeout, ports, addresses, custom data, sticky_different); comments
// say where that differs from the fixture's headline meaning.
//
// The conformance startup-errors scenarios (test/fixtures/conformance/startup-errors) are covered by
// test/conformance/conformance.test.ts and are not repeated here.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConfigDir, loadConfigDir, MAX_CONFIG_FILE_BYTES, type LoadedConfig } from '../../src/config-files/config-dir.js';
import { formatProblem } from '../../src/config-files/config-problem.js';
import { decodeDirectiveFile } from '../../src/directive/directive.js';
import type { Result } from '../../src/shared/result.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUST = path.join(here, '..', 'fixtures', 'rust-port');
const ASSETS = path.join(RUST, 'assets', 'assets_testing.json');
const DIRECTIVES = path.join(RUST, 'directives');
/** A valid directive (id 1, four stages) to put next to the file under test when that file is not a directive file. */
const GOOD_DIRECTIVE = path.join(DIRECTIVES, 'directive5', 'directives_dsiem-backend-0_testing1.json');

// ---- helpers ------------------------------------------------------------------------------------------------

const tempDirs: string[] = [];
after(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

type FileSpec = { readonly copy: string } | { readonly text: string };

/** A fresh config folder in os.tmpdir() holding the given files (copied or written). */
async function configDir(files: Record<string, FileSpec>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-config-loading-'));
  tempDirs.push(dir);
  for (const [name, spec] of Object.entries(files)) {
    if ('copy' in spec) await copyFile(spec.copy, path.join(dir, name));
    else await writeFile(path.join(dir, name), spec.text);
  }
  return dir;
}

/** The single directives_*.json file of a fixture folder. */
async function directivesFileIn(folder: string): Promise<string> {
  const names = (await readdir(folder)).filter((n) => /^directives_.*\.json$/.test(n));
  assert.equal(names.length, 1, `expected exactly one directives_*.json in ${folder}, found ${names.join(', ')}`);
  return path.join(folder, names[0] ?? '');
}

/** A folder with the fixture's directives file (same name) and the Rust port's assets file. */
async function fixtureDir(folder: string): Promise<{ dir: string; file: string }> {
  const source = await directivesFileIn(folder);
  const dir = await configDir({ 'assets_testing.json': { copy: ASSETS }, [path.basename(source)]: { copy: source } });
  return { dir, file: path.join(dir, path.basename(source)) };
}

function refused(result: Result<unknown, string>): string {
  assert.equal(result.ok, false, 'expected the config to be refused, but it loaded');
  return result.ok ? '' : result.error;
}

/**
 * Every error of a folder, one line each, without the line:column and the directive names (the expectations
 * below name the place by file, directive id, stage and field): `file: directive 2: stage 1 (rule #1): ...`.
 */
async function errorsOf(dir: string): Promise<string[]> {
  const report = await checkConfigDir(dir);
  if (!report.ok) return [report.error];
  return report.value.problems
    .filter((p) => p.severity === 'error')
    .map((p) => formatProblem(p).replace(/^(.*?\.json|[^:]*?)(:\d+:\d+)?: error: /, '$1: ').replace(/(directive \d+) "(?:[^"\\]|\\.)*"/, '$1'));
}

function loaded(result: Result<LoadedConfig, string>): LoadedConfig {
  assert.ok(result.ok, result.ok ? '' : `expected the config to load, got: ${result.error}`);
  return result.value;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Asserts one of `errors` is `<file>: <at>: <meaning...>`. */
function assertRefusal(errors: readonly string[], file: string, at: string, meaning: RegExp): void {
  const prefix = `${file}: ${at}: `;
  const hit = errors.find((e) => e.startsWith(prefix) && meaning.test(e.slice(prefix.length)));
  assert.ok(hit !== undefined, `expected an error ${JSON.stringify(prefix)} + ${meaning}, got\n${errors.join('\n')}`);
}

// ---- directive2/1..28: each fixture is refused ----------------------------------------------------------------

interface Expected {
  /** Where the message points, after the file name; undefined for the folder-level "no directive" refusal. */
  readonly at?: string;
  readonly meaning: RegExp;
}

const R1 = 'directive 2: stage 1 (rule #1)';

const DIRECTIVE2: Record<number, Expected> = {
  // 1 missing `rules` (the first of several broken directives, all with id 2): a shape error, so the directive
  // is named by position and id.
  1: { at: 'directive 2: field "rules"', meaning: /^missing: expected a list$/ },
  // 2 empty kingdom (the fixture also has a single rule with stage 0; directive fields are checked first).
  2: { at: 'directive 2: field "kingdom"', meaning: /^is empty$/ },
  // 3 priority 6 (also a stage-0 rule, checked later).
  3: { at: 'directive 2: field "priority"', meaning: /^must be a whole number from 1 to 5, got 6 \(Go Dsiem silently uses 1; dsiem-backend migrate writes that\)$/ },
  // 4 reliability out of range: -1 on rule #2 is a format error (like the seed's u8 parse error), reported
  // before the meaning checks of rule #1 (occurrence 100, reliability 11).
  4: { at: 'directive 2: stage 2 (rule #2): field "reliability"', meaning: /^must be a whole number from 0 to 10, got -1 \(Go Dsiem silently uses 0; / },
  // 5 invalid rule type.
  5: { at: `${R1}: field "type"`, meaning: /^invalid rule type "PluginRulesss" \(expected PluginRule or TaxonomyRule\)$/ },
  // 6 no plugin_id (rule #2 also repeats stage 1; rule #1 is reported first).
  6: { at: `${R1}: field "plugin_id"`, meaning: /^a PluginRule needs plugin_id >= 1$/ },
  // 7 no plugin_sid.
  7: { at: `${R1}: field "plugin_sid"`, meaning: /^a PluginRule needs a non-empty plugin_sid list$/ },
  // 8 sid 0 (plugin_sid [0, 1]).
  8: { at: `${R1}: field "plugin_sid"`, meaning: /^every plugin_sid must be >= 1$/ },
  // 9 taxonomy without product (the rule also has reliability 11, checked after the taxonomy fields, as the seed does).
  9: { at: `${R1}: field "product"`, meaning: /^a TaxonomyRule requires product to be defined$/ },
  // 10 taxonomy without category (product is there).
  10: { at: `${R1}: field "category"`, meaning: /^a TaxonomyRule requires category to be defined$/ },
  // 11 from `HOME_NETs`: an invalid address.
  11: { at: `${R1}: field "from"`, meaning: /^invalid IP address syntax: "HOME_NETs"$/ },
  // 12 missing `to`: a shape error on the rule.
  12: { at: `${R1}: field "to"`, meaning: /^missing: expected a string$/ },
  // 13 port_from "0".
  13: { at: `${R1}: field "port_from"`, meaning: /^0 is not a valid TCP\/UDP port number \(1-65535\)$/ },
  // 14 port_to "a".
  14: { at: `${R1}: field "port_to"`, meaning: /^"a" is not a port number$/ },
  // 15 stage 0.
  15: { at: 'directive 2: stage 0 (rule #1): field "stage"', meaning: /^stage cannot be zero$/ },
  // 16 duplicate stage (two rules with stage 1). Our rule is "stages 1..N in array order", so the message says
  // rule #2 carries stage 1 where 2 is required rather than the word "duplicate".
  16: { at: 'directive 2: stage 1 (rule #2): field "stage"', meaning: /^duplicate stage 1$/ },
  // 17 stage-1 occurrence 100.
  17: { at: `${R1}: field "occurrence"`, meaning: /^stage 1 must have occurrence = 1, got 100 \(Go Dsiem silently uses 1; / },
  // 18 empty name.
  18: { at: 'directive 2: field "name"', meaning: /^is empty$/ },
  // 19 empty (directive) category.
  19: { at: 'directive 2: field "category"', meaning: /^is empty$/ },
  // 20 one rule.
  20: { at: 'directive 2: field "rules"', meaning: /^has 1 rule\(s\): at least 2 are needed, otherwise it would never expire$/ },
  // 21 reliability 11.
  21: { at: `${R1}: field "reliability"`, meaning: /^must be a whole number from 0 to 10, got 11 / },
  // 22 empty from.
  22: { at: `${R1}: field "from"`, meaning: /^cannot be empty$/ },
  // 23 reference in stage-1 from.
  23: { at: `${R1}: field "from"`, meaning: /^the first rule cannot have a reference \(":1"\)$/ },
  // 24 reference in stage-1 port_from.
  24: { at: `${R1}: field "port_from"`, meaning: /^the first rule cannot have a reference \(":1"\)$/ },
  // 25 `:a`.
  25: { at: 'directive 2: stage 2 (rule #2): field "from"', meaning: /^":a" is not a valid reference \(expected :1 to :99\)$/ },
  // 26 `:3` with 2 stages (Rust: beyond the highest stage; ours: not an earlier rule).
  26: { at: 'directive 2: stage 2 (rule #2): field "from"', meaning: /^reference ":3" must point to an earlier rule \(1 to 1\)$/ },
  // 27 empty directive list, 28 only a disabled directive: no directive at all to load.
  27: { meaning: /: error: cannot load any directive: no enabled directive in / },
  28: { meaning: /: error: cannot load any directive: no enabled directive in / },
};

describe('directive2/N fixtures of the Rust port are refused with the right meaning', () => {
  for (let n = 1; n <= 28; n++) {
    it(`directive2/${n}`, async () => {
      const expected = DIRECTIVE2[n];
      assert.ok(expected !== undefined, `no expectation written for directive2/${n}`);
      const { dir, file } = await fixtureDir(path.join(DIRECTIVES, 'directive2', String(n)));
      if (expected.at === undefined) {
        const error = refused(await loadConfigDir(dir));
        assert.match(error, expected.meaning);
        // Names where the directives were looked for.
        assert.ok(error.includes(`${dir}/directives_*.json`), error);
      } else {
        assertRefusal(await errorsOf(dir), file, expected.at, expected.meaning);
      }
    });
  }
});

describe('directive2 fixtures: the meanings another problem hides', () => {
  async function edited(n: number, edit: (rules: Record<string, unknown>[]) => void): Promise<{ dir: string; file: string }> {
    const source = await directivesFileIn(path.join(DIRECTIVES, 'directive2', String(n)));
    const json = JSON.parse(await readFile(source, 'utf8')) as { directives: { rules: Record<string, unknown>[] }[] };
    const first = json.directives[0];
    assert.ok(first !== undefined);
    edit(first.rules);
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS }, 'directives_edited.json': { text: JSON.stringify(json) } });
    return { dir, file: path.join(dir, 'directives_edited.json') };
  }

  it('directive2/4 with rule #1 repaired: reliability -1 on stage 2 is refused', async () => {
    const { dir, file } = await edited(4, (rules) => {
      Object.assign(rules[0] ?? {}, { occurrence: 1, reliability: 5 });
    });
    assertRefusal(await errorsOf(dir), file, 'directive 2: stage 2 (rule #2): field "reliability"', /^must be a whole number from 0 to 10, got -1 /);
  });

  it('directive2/4 with reliabilities repaired: the stage-1 occurrence 100 is refused', async () => {
    const { dir, file } = await edited(4, (rules) => {
      Object.assign(rules[0] ?? {}, { reliability: 5 });
      Object.assign(rules[1] ?? {}, { reliability: 5 });
    });
    assertRefusal(await errorsOf(dir), file, `${R1}: field "occurrence"`, /^stage 1 must have occurrence = 1, got 100 /);
  });

  it('directive2/9 with reliability repaired: the TaxonomyRule without product is refused', async () => {
    const { dir, file } = await edited(9, (rules) => {
      Object.assign(rules[0] ?? {}, { reliability: 5 });
    });
    assertRefusal(await errorsOf(dir), file, `${R1}: field "product"`, /^a TaxonomyRule requires product to be defined$/);
  });
});

describe('decodeDirectiveFile on the Rust fixtures', () => {
  it('directive2/27 (empty list) decodes to nothing, directive2/28 to one disabled directive', async () => {
    for (const [n, disabled] of [[27, 0], [28, 1]] as const) {
      const file = await directivesFileIn(path.join(DIRECTIVES, 'directive2', String(n)));
      const result = decodeDirectiveFile(file, await readFile(file, 'utf8'));
      assert.deepEqual(result.problems, []);
      assert.deepEqual([result.directives, result.disabled], [[], disabled]);
    }
  });

  it('refuses an id already accepted from an earlier file (the `seen` map), saying where the first one is', async () => {
    const text = await readFile(GOOD_DIRECTIVE, 'utf8');
    const first = decodeDirectiveFile('a.json', text);
    assert.deepEqual([first.problems, [...first.ids].map(([id, place]) => [id, place()])], [[], [[1, 'a.json:3']]]);
    const second = decodeDirectiveFile('b.json', text, { seen: first.ids });
    assert.deepEqual(second.problems.map(formatProblem), [
      'b.json:4:13: error: directive 1 "Valid directive, testing custom data with ANY and reference": field "id": id 1 is already used by the directive at a.json:3',
    ]);
    assert.deepEqual(second.directives, []);
  });

  it('says where the first one is also when the earlier file had problems (its places are worked out before it returns)', async () => {
    const text = await readFile(GOOD_DIRECTIVE, 'utf8');
    const warned = text.replace('"stage": 1,', '"stage": 1,\n          "sticky_different": "SRC_IP",');
    const first = decodeDirectiveFile('a.json', warned);
    assert.deepEqual(first.problems.map((p) => [p.severity, p.field]), [['warning', 'sticky_different']]);
    const second = decodeDirectiveFile('b.json', text, { seen: first.ids });
    assert.deepEqual(second.problems.map((p) => p.message), ['id 1 is already used by the directive at a.json:3']);
  });

  it('keeps references as written and the rules in stage order (directive3)', async () => {
    const file = await directivesFileIn(path.join(DIRECTIVES, 'directive3'));
    const result = decodeDirectiveFile(file, await readFile(file, 'utf8'));
    assert.deepEqual(result.problems.filter((p) => p.severity === 'error'), []);
    const [d] = result.directives;
    assert.ok(d !== undefined);
    assert.equal(d.id, 2);
    assert.equal(d.allRulesAlwaysActive, true);
    assert.equal(d.file, file);
    assert.deepEqual(d.rules.map((r) => r.stage), [1, 2, 3]);
    assert.deepEqual(d.rules.map((r) => [r.from, r.to, r.port_from, r.port_to, r.custom_data1]), [
      ['HOME_NET', 'ANY', 'ANY', 'ANY', 'ANY'],
      [':1', ':1', ':1', ':1', ':1'],
      [':2', ':2', ':2', ':2', ':2'],
    ]);
  });
});

// ---- directive1: duplicate id ---------------------------------------------------------------------------------

describe('directive1', () => {
  it('is refused for the reused id 1', async () => {
    const { dir, file } = await fixtureDir(path.join(DIRECTIVES, 'directive1'));
    // The third directive reuses id 1 (and has a single rule: both are reported), saying where the first one is.
    const errors = await errorsOf(dir);
    assertRefusal(errors, file, 'directive 1: field "id"', new RegExp(`^id 1 is already used by the directive at ${escape(file)}:3$`));
    assertRefusal(errors, file, 'directive 1: field "rules"', /^has 1 rule\(s\)/);
  });

  it('refuses sub_category (Go\'s own fixture), which Go silently ignores, suggesting subcategory', async () => {
    const { dir, file } = await fixtureDir(path.join(DIRECTIVES, 'directive1'));
    assertRefusal(await errorsOf(dir), file, 'directive 2: stage 1 (rule #1): field "sub_category"', /^unknown field; did you mean "subcategory"\?$/);
  });

  it('loads once the duplicate is removed and sub_category renamed: the two other directives are valid under our strict rules', async () => {
    const source = await directivesFileIn(path.join(DIRECTIVES, 'directive1'));
    const text = (await readFile(source, 'utf8')).replaceAll('"sub_category"', '"subcategory"');
    const json = JSON.parse(text) as { directives: unknown[] };
    json.directives = json.directives.slice(0, 2);
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS }, 'directives_a.json': { text: JSON.stringify(json) } });
    const config = loaded(await loadConfigDir(dir));
    assert.deepEqual(config.directives.map((d) => [d.id, d.rules.length]), [[1, 5], [2, 3]]);
  });

  it('a duplicate id across two files is refused naming the second file', async () => {
    // directive5 and directive6 both use id 1; files load in lexicographic order.
    const dir = await configDir({
      'assets_testing.json': { copy: ASSETS },
      'directives_a.json': { copy: GOOD_DIRECTIVE },
      'directives_b.json': { copy: await directivesFileIn(path.join(DIRECTIVES, 'directive6')) },
    });
    assertRefusal(await errorsOf(dir), path.join(dir, 'directives_b.json'), 'directive 1: field "id"', new RegExp(`^id 1 is already used by the directive at ${escape(path.join(dir, 'directives_a.json'))}:3$`));
  });
});

// ---- the valid fixtures under our strict rules ------------------------------------------------------------------

describe('valid fixtures of the Rust port load under our strict rules', () => {
  it('directive3: references to earlier rules only (`:1` in stage 2, chained `:2` in stage 3) are accepted', async () => {
    // Stages are 1..3 in array order and every reference (from/to/ports/custom data) points to an earlier rule,
    // so the strict rules accept it. The Rust chained-reference bug (dsiem-backend.md 4.5) is about resolving
    // `:2` when a backlog is created, not about loading.
    const { dir } = await fixtureDir(path.join(DIRECTIVES, 'directive3'));
    const config = loaded(await loadConfigDir(dir));
    assert.equal(config.directives.length, 1);
    assert.equal(config.directives[0]?.rules.length, 3);
    assert.equal(config.disabledDirectives, 0);
    assert.equal(config.assets.length, 7);
  });

  it('directive4: all_rules_always_active with references to stage 1 only is accepted', async () => {
    const { dir } = await fixtureDir(path.join(DIRECTIVES, 'directive4'));
    assert.equal(loaded(await loadConfigDir(dir)).directives[0]?.rules.length, 3);
  });

  it('directive5: custom data `ANY` and references `:1`/`:2` to earlier rules are accepted', async () => {
    // custom_label values such as ":2" are cosmetic and never checked; stage 4 occurrence 2 is fine.
    const { dir } = await fixtureDir(path.join(DIRECTIVES, 'directive5'));
    const config = loaded(await loadConfigDir(dir));
    assert.equal(config.directives[0]?.id, 1);
    assert.deepEqual(config.directives[0]?.rules.map((r) => [r.stage, r.custom_data1, r.custom_data2]), [
      [1, 'ANY', ''],
      [2, ':1', 'ANY'],
      [3, ':1', ':2'],
      [4, ':1', ':2'],
    ]);
  });

  it('directive6: sticky_different SRC_PORT on a PluginRule is a known sticky value', async () => {
    const { dir } = await fixtureDir(path.join(DIRECTIVES, 'directive6'));
    const config = loaded(await loadConfigDir(dir));
    assert.equal(config.directives[0]?.allRulesAlwaysActive, true);
    assert.deepEqual(config.directives[0]?.rules.map((r) => r.sticky_different), ['', 'SRC_PORT', '']);
  });

  it('sample-deployment: two per-node directive files, assets, one intel and one vuln source', async () => {
    const config = loaded(await loadConfigDir(path.join(RUST, 'sample-deployment')));
    assert.deepEqual(config.directives.map((d) => d.id), [1, 2]);
    assert.equal(config.assets.length, 5);
    assert.deepEqual(config.intelSources.map((s) => [s.plugin, s.url]), [['Wise', 'http://wise:8081/ip/${ip}']]);
    assert.deepEqual(config.vulnSources.map((s) => [s.plugin, s.url]), [['Nesd', 'http://dsiem-nesd:8081/?ip=${ip}&port=${port}']]);
    assert.deepEqual(config.files, [
      'assets_testing.json',
      'directives_dsiem-backend-0_testing1.json',
      'directives_dsiem-backend-1_testing1.json',
      'intel_wise.json',
      'vuln_nessus.json',
    ]);
  });
});

describe('strict rules beyond the Rust port', () => {
  const rule = (stage: number, extra: Record<string, unknown> = {}) => ({
    name: 'r', type: 'PluginRule', stage, plugin_id: 1001, plugin_sid: [1], occurrence: 1, from: 'ANY', to: 'ANY',
    port_from: 'ANY', port_to: 'ANY', protocol: 'ANY', reliability: 1, timeout: 10, ...extra,
  });
  async function withRules(rules: unknown[]): Promise<{ dir: string; file: string }> {
    const text = JSON.stringify({ directives: [{ id: 7, name: 'd', priority: 3, kingdom: 'k', category: 'c', rules }] });
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS }, 'directives_s.json': { text } });
    return { dir, file: path.join(dir, 'directives_s.json') };
  }

  it('stages out of array order are refused', async () => {
    const { dir, file } = await withRules([rule(1), rule(3), rule(2)]);
    assertRefusal(await errorsOf(dir), file, 'directive 7: stage 3 (rule #2): field "stage"', /^stages must be numbered 1\.\.N in array order; rule #2 has stage 3$/);
  });

  it('a reference to the rule itself is refused (Rust accepts it)', async () => {
    const { dir, file } = await withRules([rule(1), rule(2, { to: ':2' })]);
    assertRefusal(await errorsOf(dir), file, 'directive 7: stage 2 (rule #2): field "to"', /^reference ":2" must point to an earlier rule \(1 to 1\)$/);
  });

  it('a reference in custom data is checked too', async () => {
    const { dir, file } = await withRules([rule(1), rule(2, { custom_data3: ':5' })]);
    assertRefusal(await errorsOf(dir), file, 'directive 7: stage 2 (rule #2): field "custom_data3"', /^reference ":5" must point to an earlier rule/);
  });

  it('an unknown sticky_different value is refused', async () => {
    const { dir, file } = await withRules([rule(1), rule(2, { sticky_different: 'SRC_MAC' })]);
    assertRefusal(await errorsOf(dir), file, 'directive 7: stage 2 (rule #2): field "sticky_different"', /^unknown value "SRC_MAC"/);
  });

  it('a TaxonomyRule sticky on PLUGIN_SID is refused', async () => {
    const taxo = { type: 'TaxonomyRule', product: ['Firewall'], category: 'Drop', sticky_different: 'PLUGIN_SID' };
    const { dir, file } = await withRules([rule(1), rule(2, taxo)]);
    assertRefusal(await errorsOf(dir), file, 'directive 7: stage 2 (rule #2): field "sticky_different"', /^PLUGIN_SID is never recorded for a TaxonomyRule/);
  });
});

// ---- garbage, missing and unreadable files ------------------------------------------------------------------

describe('garbage and missing files', () => {
  it('a directives file that is not JSON is refused naming the file', async () => {
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS }, 'directives_x.json': { text: 'hello, not json' } });
    assertRefusal(await errorsOf(dir), path.join(dir, 'directives_x.json'), 'not valid JSON', /./);
  });

  it('{"directives": "x"} is refused naming the field', async () => {
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS }, 'directives_x.json': { text: '{"directives": "x"}' } });
    assertRefusal(await errorsOf(dir), path.join(dir, 'directives_x.json'), 'field "directives"', /^expected .*, got "x"$/);
  });

  it('a directive that is not an object is refused naming its position', async () => {
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS }, 'directives_x.json': { text: '{"directives": [42]}' } });
    assertRefusal(await errorsOf(dir), path.join(dir, 'directives_x.json'), 'directive #1', /^expected a directive \(a JSON object\), got 42$/);
  });

  it('a folder without assets_*.json is refused', async () => {
    const dir = await configDir({ 'directives_a.json': { copy: GOOD_DIRECTIVE } });
    assert.equal(refused(await loadConfigDir(dir)), `${dir}: error: no assets_*.json file in this folder`);
  });

  it('a folder without any directives file is refused', async () => {
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS } });
    assert.equal(refused(await loadConfigDir(dir)), `${dir}: error: cannot load any directive: no enabled directive in ${dir}/directives_*.json`);
  });

  it('a config folder that does not exist is refused with a clear message', async () => {
    const dir = path.join(tmpdir(), 'dsiem-config-loading-does-not-exist', 'sub');
    assert.match(refused(await loadConfigDir(dir)), new RegExp(`^cannot read config folder ${escape(dir)}: ENOENT`));
  });

  it('a config "folder" that is a file is refused with a clear message', async () => {
    assert.match(refused(await loadConfigDir(GOOD_DIRECTIVE)), new RegExp(`^cannot read config folder ${escape(GOOD_DIRECTIVE)}: ENOTDIR`));
  });

  it('a config folder without read permission is refused with a clear message', { skip: process.getuid?.() === 0 ? 'running as root: permissions are not enforced' : false }, async () => {
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS } });
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o000);
    try {
      assert.match(refused(await loadConfigDir(dir)), new RegExp(`^cannot read config folder ${escape(dir)}: EACCES`));
    } finally {
      await chmod(dir, 0o700);
    }
  });

  it('a directives_*.json that cannot be read (a folder) is refused naming it', async () => {
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS } });
    await mkdir(path.join(dir, 'directives_dir.json'));
    assert.equal(refused(await loadConfigDir(dir)), `${path.join(dir, 'directives_dir.json')}: error: not a regular file`);
  });

  it(`a directives file over ${MAX_CONFIG_FILE_BYTES} bytes is refused naming the file`, async () => {
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS }, 'directives_big.json': { text: '' } });
    await truncate(path.join(dir, 'directives_big.json'), MAX_CONFIG_FILE_BYTES + 1); // sparse: no disk used
    assert.equal(
      refused(await loadConfigDir(dir)),
      `${path.join(dir, 'directives_big.json')}: error: ${MAX_CONFIG_FILE_BYTES + 1} bytes, larger than ${MAX_CONFIG_FILE_BYTES}: refused`,
    );
  });
});

// ---- assets -------------------------------------------------------------------------------------------------

describe('assets files', () => {
  async function assetsDir(assets: unknown): Promise<{ dir: string; file: string }> {
    const dir = await configDir({ 'assets_a.json': { text: JSON.stringify({ assets }) }, 'directives_a.json': { copy: GOOD_DIRECTIVE } });
    return { dir, file: path.join(dir, 'assets_a.json') };
  }
  const ok = { name: 'lan', cidr: '10.0.0.0/8', value: 3 };

  it('value 0 is refused naming the file and the asset', async () => {
    const { dir, file } = await assetsDir([ok, { name: 'foo', cidr: '192.168.0.0/16', value: 0 }]);
    assertRefusal(await errorsOf(dir), file, 'asset #2 "foo": field "value"', /^must be a whole number from 1 to 255, got 0$/);
  });

  it('an empty name is refused naming the file and the asset position', async () => {
    const { dir, file } = await assetsDir([ok, { name: '', cidr: '192.168.0.0/16', value: 3 }]);
    assertRefusal(await errorsOf(dir), file, 'asset #2: field "name"', /^cannot be empty$/);
  });

  it('a cidr with host bits set (192.168.0.1/24) is refused', async () => {
    const { dir, file } = await assetsDir([{ name: 'net', cidr: '192.168.0.1/24', value: 3 }]);
    assertRefusal(await errorsOf(dir), file, 'asset #1 "net": field "cidr"', /^is invalid: host part of address was not zero: "192\.168\.0\.1\/24"$/);
  });

  it('a cidr that is not an address is refused', async () => {
    for (const cidr of ['300.1.2.3', 'foo', '10.0.0.0/33']) {
      const { dir, file } = await assetsDir([{ name: 'bad', cidr, value: 3 }]);
      assertRefusal(await errorsOf(dir), file, 'asset #1 "bad": field "cidr"', /^is invalid: /);
    }
  });

  it('a cidr of the wrong type is refused naming the asset and the field, in words', async () => {
    const { dir, file } = await assetsDir([{ name: 'bad', cidr: 5, value: 3 }]);
    assertRefusal(await errorsOf(dir), file, 'asset #1 "bad": field "cidr"', /^expected a string, got 5$/);
  });

  it('the Rust port assets file loads (IPv4 and IPv6, one whitelisted)', async () => {
    const dir = await configDir({ 'assets_testing.json': { copy: ASSETS }, 'directives_a.json': { copy: GOOD_DIRECTIVE } });
    const config = loaded(await loadConfigDir(dir));
    assert.equal(config.assets.length, 7);
    assert.deepEqual(config.assets.filter((a) => a.whitelisted).map((a) => a.name), ['VulnerabilityScanner']);
  });
});

// ---- intel and vuln sources -----------------------------------------------------------------------------------

describe('intel and vuln source files', () => {
  const wise = (extra: Record<string, unknown>) => ({
    name: 'W', plugin: 'Wise', type: 'IP', enabled: true, config: '{ "url" : "http://wise:8081/ip/${ip}" }', ...extra,
  });
  async function sourceDir(name: string, body: unknown): Promise<{ dir: string; file: string }> {
    const dir = await configDir({
      'assets_testing.json': { copy: ASSETS },
      'directives_a.json': { copy: GOOD_DIRECTIVE },
      [name]: { text: JSON.stringify(body) },
    });
    return { dir, file: path.join(dir, name) };
  }

  it('the Rust port intel_vuln files load next to a valid directive', async () => {
    const dir = await configDir({
      'assets_testing.json': { copy: ASSETS },
      'directives_a.json': { copy: GOOD_DIRECTIVE },
      'intel_wise.json': { copy: path.join(RUST, 'intel_vuln', 'intel_wise.json') },
      'vuln_nessus.json': { copy: path.join(RUST, 'intel_vuln', 'vuln_nessus.json') },
    });
    const config = loaded(await loadConfigDir(dir));
    assert.deepEqual(config.intelSources, [{ name: 'Wise', plugin: 'Wise', type: 'IP', enabled: true, url: 'http://127.0.0.1:18081/ip/${ip}' }]);
    assert.deepEqual(config.vulnSources, [
      { name: 'Nessus', plugin: 'Nesd', type: 'IP-Port', enabled: true, url: 'http://127.0.0.1:18082/?ip=${ip}&port=${port}' },
    ]);
  });

  it('an unknown intel plugin is refused naming the file and source', async () => {
    const { dir, file } = await sourceDir('intel_x.json', { intel_sources: [wise({ name: 'X', plugin: 'Foo' })] });
    assertRefusal(await errorsOf(dir), file, 'source #1 "X": field "plugin"', /^unsupported plugin "Foo" \(supported: Wise\)$/);
  });

  it('a vuln source with the intel plugin is refused', async () => {
    const body = { vuln_sources: [wise({ name: 'N', config: '{"url":"http://n/?ip=${ip}&port=${port}"}' })] };
    const { dir, file } = await sourceDir('vuln_x.json', body);
    assertRefusal(await errorsOf(dir), file, 'source #1 "N": field "plugin"', /^unsupported plugin "Wise" \(supported: Nesd\)$/);
  });

  it('a config that is not JSON is refused naming the file and source', async () => {
    const { dir, file } = await sourceDir('intel_x.json', { intel_sources: [wise({ config: 'not json' })] });
    assertRefusal(await errorsOf(dir), file, 'source #1 "W": field "config"', /^is not a JSON string: /);
  });

  it('a config that is JSON null is refused naming the field', async () => {
    // Refused as it should be; the wording ("is not a JSON string: Cannot read properties of null") is odd.
    const { dir, file } = await sourceDir('intel_x.json', { intel_sources: [wise({ config: 'null' })] });
    assertRefusal(await errorsOf(dir), file, 'source #1 "W": field "config"', /./);
  });

  it('a url without ${ip} is refused naming the file and source', async () => {
    const { dir, file } = await sourceDir('intel_x.json', { intel_sources: [wise({ config: '{"url":"http://wise:8081/ip/"}' })] });
    assertRefusal(await errorsOf(dir), file, 'source #1 "W": field "config"', /^"url" must be an http\(s\) URL containing \$\{ip\}$/);
  });

  it('a vuln url without ${port} is refused', async () => {
    const body = { vuln_sources: [{ name: 'N', plugin: 'Nesd', type: 'IP-Port', enabled: true, config: '{"url":"http://n/?ip=${ip}"}' }] };
    const { dir, file } = await sourceDir('vuln_x.json', body);
    assertRefusal(await errorsOf(dir), file, 'source #1 "N": field "config"', /^"url" must contain \$\{port\}$/);
  });

  it('a source without a required field is refused naming the source and the field', async () => {
    const source: Record<string, unknown> = wise({});
    delete source.enabled;
    const { dir, file } = await sourceDir('intel_x.json', { intel_sources: [source] });
    assertRefusal(await errorsOf(dir), file, 'source #1 "W": field "enabled"', /^missing: expected true or false$/);
  });

  it('a disabled source with an unsupported plugin loads with a warning and is not used (it is never interpreted)', async () => {
    const { dir } = await sourceDir('intel_x.json', { intel_sources: [wise({ name: 'X', plugin: 'Foo', enabled: false, config: 'not json' })] });
    const report = await checkConfigDir(dir);
    assert.ok(report.ok);
    assert.deepEqual(report.value.problems.map((p) => [p.severity, p.field, p.message]), [
      ['warning', 'plugin', 'unsupported plugin "Foo" (supported: Wise); accepted because the source is disabled'],
    ]);
    const config = loaded(await loadConfigDir(dir));
    assert.deepEqual([config.intelSources, config.disabledSources], [[], 1]);
  });
});
