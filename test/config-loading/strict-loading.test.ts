// Strict loading beyond the Rust fixtures (issue 14 "Also found", issue 15 item 11): every problem of a folder at
// once, misspelled optional fields, short IPv4 forms, one message per out-of-range value, JSON syntax errors with
// line:column, expected types in words, duplicate ids naming the first one, and deeply nested files refused
// naming the file in validate, serve and replay (the built CLI as a child process).

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as t from 'io-ts';
import { checkConfigDir, loadConfigDir } from '../../src/config-files/config-dir.js';
import { formatProblem } from '../../src/config-files/config-problem.js';
import { describeFirstError } from '../../src/shared/decode.js';
import { REPO_ROOT, spawnCli } from '../helpers/process.js';

const ASSETS = path.join(REPO_ROOT, 'test/fixtures/rust-port/assets/assets_testing.json');
const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function folder(files: Record<string, string>, withAssets = true): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-strict-'));
  dirs.push(dir);
  if (withAssets) await copyFile(ASSETS, path.join(dir, 'assets_testing.json'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

const rule = (stage: number, extra: Record<string, unknown> = {}) => ({
  name: `r${stage}`, type: 'PluginRule', stage, plugin_id: 1001, plugin_sid: [1], occurrence: 1, from: 'ANY', to: 'ANY',
  port_from: 'ANY', port_to: 'ANY', protocol: 'ANY', reliability: 1, timeout: 10, ...extra,
});
const directive = (id: number, rules: unknown[], extra: Record<string, unknown> = {}) => ({ id, name: `d${id}`, priority: 3, kingdom: 'k', category: 'c', rules, ...extra });
const file = (...directives: unknown[]) => JSON.stringify({ directives }, null, 2);

/** The problems of a folder as `name:line:col: severity: ...` with the folder left out. */
async function problems(dir: string): Promise<string[]> {
  const report = await checkConfigDir(dir);
  assert.ok(report.ok, report.ok ? '' : report.error);
  return report.value.problems.map((p) => formatProblem(p).slice(dir.length + 1));
}

describe('validate lists every problem at once', () => {
  it('errors in several directives and files, sorted by file and position, each with line:column', async () => {
    const dir = await folder({
      'directives_a.json': file(directive(1, [rule(1), rule(2, { reliability: 20 })]), directive(2, [rule(1, { occurrence: 3 }), rule(2)])),
      'directives_b.json': file(directive(3, [rule(1), rule(2, { from: '10.0.0' })]), directive(1, [rule(1), rule(2)])),
    });
    assert.deepEqual(await problems(dir), [
      'directives_a.json:41:26: error: directive 1 "d1": stage 2 (rule #2): field "reliability": must be a whole number from 0 to 10, got 20 (Go Dsiem silently uses 10; dsiem-backend migrate writes that)',
      'directives_a.json:61:25: error: directive 2 "d2": stage 1 (rule #1): field "occurrence": stage 1 must have occurrence = 1, got 3 (Go Dsiem silently uses 1; dsiem-backend migrate writes that)',
      'directives_b.json:36:19: error: directive 3 "d3": stage 2 (rule #2): field "from": invalid IP address syntax: "10.0.0" (IPv4 needs all four numbers, e.g. 10.0.0.0)',
      `directives_b.json:47:13: error: directive 1 "d1": field "id": id 1 is already used by the directive at ${dir}/directives_a.json:3`,
    ]);
    const refused = await loadConfigDir(dir);
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.error, /^4 errors in .* \(dsiem-backend validate --config .* lists them all\):\n {2}.*directives_a\.json:41:26: error: /);
  });

  it('start-up shows the first 10 errors and the count, not every line', async () => {
    const many = Array.from({ length: 25 }, (_, i) => directive(i + 1, [rule(1), rule(2)], { priority: 9 }));
    const dir = await folder({ 'directives_a.json': file(...many) });
    const refused = await loadConfigDir(dir);
    const text = refused.ok ? '' : refused.error;
    assert.equal(text.split('\n').length, 12, text);
    assert.match(text, /^25 errors in /);
    assert.match(text, /\n {2}\.\.\. and 15 more$/);
  });
});

describe('the "Also found" list of issue 14', () => {
  it('a misspelled optional field is refused with a suggestion (it passed before)', async () => {
    const dir = await folder({ 'directives_a.json': file(directive(1, [rule(1), rule(2, { occurrence: 2, sticky_diferent: 'DST_PORT' })])) });
    assert.deepEqual(await problems(dir), [
      'directives_a.json:43:11: error: directive 1 "d1": stage 2 (rule #2): field "sticky_diferent": unknown field; did you mean "sticky_different"?',
    ]);
  });

  it('Go\'s runtime rule fields and the fields we do not use are accepted and ignored', async () => {
    const runtime = { start_time: 1, end_time: 2, rcvd_time: 3, status: 'finished', events: ['e1'], custom_label1: 'user', kingdom: undefined };
    const dir = await folder({ 'directives_a.json': file(directive(1, [rule(1, runtime), rule(2)])) });
    assert.deepEqual(await problems(dir), []);
  });

  it('short IPv4 forms are refused in assets and in rules', async () => {
    const assets = JSON.stringify({ assets: [{ name: 'a', cidr: '10.0.0', value: 1 }, { name: 'b', cidr: '192.168/16', value: 1 }, { name: 'c', cidr: '10.0.0.0/8', value: 1 }] });
    const dir = await folder({ 'assets_x.json': assets, 'directives_a.json': file(directive(1, [rule(1, { to: '192.168/16' }), rule(2)])) }, false);
    assert.deepEqual((await problems(dir)).map((p) => p.replace(/:\d+:\d+:/, ':')), [
      'assets_x.json: error: asset #1 "a": field "cidr": is invalid: invalid IP address syntax: "10.0.0" (IPv4 needs all four numbers, e.g. 10.0.0.0)',
      'assets_x.json: error: asset #2 "b": field "cidr": is invalid: invalid IP address syntax: "192.168/16" (IPv4 needs all four numbers, e.g. 10.0.0.0)',
      'directives_a.json: error: directive 1 "d1": stage 1 (rule #1): field "to": invalid IP address syntax: "192.168/16" (IPv4 needs all four numbers, e.g. 10.0.0.0)',
    ]);
  });

  it('reliability 20 and 10000 give the same message', async () => {
    const dir = await folder({ 'directives_a.json': file(directive(1, [rule(1, { reliability: 20 }), rule(2, { reliability: 10000 })])) });
    assert.deepEqual((await problems(dir)).map((p) => p.replace(/^.*field "reliability": /, '')), [
      'must be a whole number from 0 to 10, got 20 (Go Dsiem silently uses 10; dsiem-backend migrate writes that)',
      'must be a whole number from 0 to 10, got 10000 (Go Dsiem silently uses 10; dsiem-backend migrate writes that)',
    ]);
  });

  it('a JSON syntax error says line and column, not a position', async () => {
    const dir = await folder({ 'directives_a.json': '{\n  "directives": [\n    { "id": 1 "name": "x" }\n  ]\n}\n', 'directives_b.json': '{"directives": [1,]}' });
    assert.deepEqual(await problems(dir), [
      'directives_a.json:3:15: error: not valid JSON: expected \',\' or \'}\' after property value',
      'directives_b.json:1:19: error: not valid JSON: unexpected token \']\'',
    ]);
  });

  it('says in words what was expected, never an io-ts type name', async () => {
    const dir = await folder({
      'directives_a.json': JSON.stringify({ directives: [{ ...directive(1, []), rules: 'x' }, { ...directive(2, [rule(1, { plugin_sid: 5 }), rule(2, { product: [1] })]) }] }),
    });
    const found = await problems(dir);
    assert.deepEqual(found.map((p) => p.replace(/^[^ ]* error: /, '')), [
      'directive 1 "d1": field "rules": expected a list, got "x"',
      'directive 2 "d2": stage 1 (rule #1): field "plugin_sid": expected a list of whole numbers, got 5',
      'directive 2 "d2": stage 2 (rule #2): field "product[0]": expected a string, got 1',
    ]);
  });
});

describe('deeply nested files (issue 15 item 11)', () => {
  const deep = '['.repeat(50_000) + ']'.repeat(50_000);

  it('a 50,000-deep directives or assets file is one error naming the file and where, no stack overflow', async () => {
    const dir = await folder({ 'directives_a.json': `{"directives": ${deep}}`, 'assets_z.json': deep });
    assert.deepEqual(await problems(dir), [
      'assets_z.json:1:65: error: nested deeper than 64 levels: not a Dsiem config file',
      'directives_a.json:1:79: error: nested deeper than 64 levels: not a Dsiem config file',
    ]);
  });

  it('describeFirstError describes a deeply nested value without recursing into it', () => {
    const value = JSON.parse(deep) as unknown;
    const decoded = t.type({ a: t.string }).decode({ a: value });
    assert.ok(decoded._tag === 'Left');
    assert.equal(describeFirstError(decoded.left), 'field "a": expected a string, got a list of 1 item');
  });

  for (const command of ['validate', 'replay', 'serve'] as const) {
    it(`${command} refuses it with exit 1 and a message naming the file, not a stack trace`, async () => {
      const dir = await folder({ 'directives_a.json': `{"directives": ${deep}}` });
      const args = {
        validate: ['validate', '--config', dir],
        replay: ['replay', '--config', dir, '--events', path.join(dir, 'none.jsonl'), '--logs', path.join(dir, 'logs')],
        serve: ['serve', '--config-dir', dir, '--msq', 'nats://127.0.0.1:1', '--logs', path.join(dir, 'logs')],
      }[command];
      const run = spawnCli(args, { env: { DSIEM_NODE: '' } });
      const exit = await run.exited;
      assert.equal(exit.code, 1, run.output());
      assert.ok(run.output().includes(`${dir}/directives_a.json:1:79: error: nested deeper than 64 levels`), run.output());
      assert.doesNotMatch(run.output(), /Maximum call stack|RangeError|\n\s+at /);
    });
  }
});
