// `migrate` (src/migrate, src/config-files/migrate-dir.ts, actors/migrate-command.ts) on a folder made to hold one
// directive per load-time correction or skip of Go Dsiem (test/fixtures/migrate/go-corrections). The expectations
// are what Go's loader does with each directive, read from internal/pkg/dsiem/siem/validate.go and directive.go;
// the result must pass our strict loader.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkConfigDir } from '../../src/config-files/config-dir.js';
import { migrateConfigDir } from '../../src/config-files/migrate-dir.js';
import { REPO_ROOT, spawnCli } from '../helpers/process.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/migrate/go-corrections');
const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-migrate-'));
  dirs.push(dir);
  return dir;
}

type Rule = Record<string, unknown>;
type Written = { directives: Array<{ id: number; priority: number; disabled?: boolean; rules: Rule[] }> };

describe('migrate on the Go corrections fixture', async () => {
  const out = path.join(await tempDir(), 'out');
  const result = await migrateConfigDir({ config: FIXTURE, out });
  assert.ok(result.ok, result.ok ? '' : result.error);
  const { changes, refused } = result.value;
  const written = JSON.parse(await readFile(path.join(out, 'directives_go_corrections.json'), 'utf8')) as Written;
  const byId = new Map(written.directives.map((d) => [d.id, d]));
  const rules = (id: number) => byId.get(id)?.rules ?? [];

  it('keeps the directives Go loads (and the disabled one), drops those Go skips', () => {
    assert.deepEqual(refused, []);
    assert.deepEqual(written.directives.map((d) => d.id), [101, 102, 107, 108, 111, 112]);
    const dropped = changes.filter((c) => c.action === 'dropped').map((c) => [c.directiveId, c.reason.replace(/:.*$/s, '')]);
    assert.deepEqual(dropped, [
      [103, 'Go Dsiem skips it'],
      [101, 'Go Dsiem skips it'], // the duplicate id: Go keeps the first one it loaded
      [105, 'Go Dsiem skips it'],
      [106, 'Go Dsiem skips it'],
      [109, 'Go Dsiem loads it, but rule #2 field "from"'], // a self-reference Go copies as text: no equivalent
      [110, 'Go Dsiem skips it'],
    ]);
  });

  it('writes Go\'s clamped priority, reliability and stage-1 occurrence', () => {
    assert.equal(byId.get(101)?.priority, 1);
    assert.deepEqual(rules(101).map((r) => [r['occurrence'], r['reliability']]), [[1, 1], [2, 10], [2, 0]]);
    const c = changes.find((x) => x.directiveId === 101 && x.field === 'reliability' && x.old === 20);
    assert.deepEqual(c && [c.file, c.rule, c.old, c.new], [path.join(FIXTURE, 'directives_go_corrections.json'), 2, 20, 10]);
  });

  it('removes the fields Go ignores and renames case variants Go uses', () => {
    assert.deepEqual(rules(102).map((r) => ['sub_category' in r, 'sticky_diferent' in r, r['stage']]), [[false, false, 1], [false, false, 2]]);
    assert.ok(changes.some((c) => c.field === 'sub_category' && c.action === 'removed' && /rename it by hand/.test(c.reason)));
  });

  it('writes what Go means by space-separated lists, host bits, stage labels, occurrence 0 and a negative timeout', () => {
    assert.deepEqual(rules(107).map((r) => [r['stage'], r['from'], r['port_to'], r['occurrence'], r['timeout']]), [
      [1, '10.0.0.0/24', 'ANY', 1, 60],
      [2, 'ANY', '80, 443', 1, 0],
    ]);
  });

  it('replaces a reference to a later rule by the value Go resolves it to', () => {
    assert.equal(rules(108)[1]?.['to'], '192.168.1.0/24');
  });

  it('writes zero values for null and missing fields', () => {
    assert.deepEqual([rules(112)[0]?.['protocol'], 'custom_data1' in (rules(112)[1] ?? {})], ['', false]);
  });

  it('keeps a disabled directive as it is', () => {
    assert.deepEqual([byId.get(111)?.disabled, byId.get(111)?.priority], [true, 9]);
  });

  it('migrates assets too: the network of an address with host bits set, unknown fields removed', async () => {
    const assets = JSON.parse(await readFile(path.join(out, 'assets_go_corrections.json'), 'utf8')) as { assets: Rule[] };
    assert.deepEqual(assets.assets.map((a) => [a['cidr'], 'os' in a]), [['192.168.1.0/24', false], ['10.0.0.1/32', false], ['10.0.0.2/32', false]]);
  });

  it('its output passes validate; the input does not', async () => {
    const output = await checkConfigDir(out);
    assert.ok(output.ok);
    assert.deepEqual(output.value.problems.filter((p) => p.severity === 'error'), []);
    assert.deepEqual(output.value.config.directives.map((d) => d.id), [101, 102, 107, 108, 112]);
    const input = await checkConfigDir(FIXTURE);
    assert.ok(input.ok && input.value.problems.filter((p) => p.severity === 'error').length >= 15);
  });
});

describe('dsiem-backend migrate (the built CLI)', () => {
  it('prints every change, writes the report, says the result passes validate: exit 0', async () => {
    const out = path.join(await tempDir(), 'out');
    const run = spawnCli(['migrate', '--config', FIXTURE, '--out', out]);
    const exit = await run.exited;
    assert.equal(exit.code, 0, run.output());
    assert.match(run.stdout.at(-1) ?? '', /^migrated into .*: 18 changes, 6 directives dropped, 5 directives loaded; the result passes validate; report in .*migration-report\.jsonl$/);
    const report = (await readFile(path.join(out, 'migration-report.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(report.length, 24);
    assert.deepEqual(report.find((r) => r['directive_id'] === 101 && r['field'] === 'priority'), {
      file: path.join(FIXTURE, 'directives_go_corrections.json'), action: 'changed', directive_id: 101,
      directive_name: 'Go clamps priority, reliability and the stage-1 occurrence', field: 'priority', old: 7, new: 1, reason: 'outside 1..5: Go Dsiem uses 1',
    });
  });

  it('a file Go refuses as a whole (a value of the wrong type) is not written: exit 1', async () => {
    const config = await tempDir();
    await writeFile(path.join(config, 'assets_a.json'), JSON.stringify({ assets: [{ name: 'a', cidr: '10.0.0.0/8', value: 1 }] }));
    await writeFile(path.join(config, 'directives_a.json'), JSON.stringify({ directives: [{ id: 1, name: 'x', priority: '3', kingdom: 'k', category: 'c', rules: [] }] }));
    const run = spawnCli(['migrate', '--config', config, '--out', path.join(config, 'out')]);
    assert.equal((await run.exited).code, 1, run.output());
    assert.ok(run.stdout.includes(`${path.join(config, 'directives_a.json')}: not migrated: directive #1: field "priority": expected a whole number, got "3" (Go Dsiem refuses this file too)`), run.output());
  });

  it('refuses --out equal to --config: exit 1', async () => {
    const run = spawnCli(['migrate', '--config', FIXTURE, '--out', FIXTURE]);
    assert.equal((await run.exited).code, 1);
    assert.match(run.output(), /--out must be another folder than --config/);
  });
});
