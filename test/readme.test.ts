// The README stays true: its configuration table is the one generated from the settings table, its stats table
// lists every field of the stats reply, it (and docs/) name only files that are in the repository, and its two
// set-up commands are the ones the project runs (the demo replay, and `npm ci && npm test` in .ci/run).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigTable } from '../config/config-table.js';
import { statsOf } from '../actors/serve.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

function between(text: string, start: string, end: string): string {
  const from = text.indexOf('-->', text.indexOf(start)) + 3;
  const to = text.indexOf(end);
  assert.ok(text.includes(start) && to > from, `markers ${start} ... ${end} missing`);
  return text.slice(from, to);
}

function repoFiles(dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (['node_modules', 'dist', '.git', 'logs'].includes(name)) return [];
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? [full, ...repoFiles(full)] : [full];
  });
}

/** Paths and file names a Markdown text names: in code spans, code blocks and link targets. */
function namedFiles(markdown: string): { paths: string[]; names: string[]; links: string[] } {
  const blocks = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? '');
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '');
  const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  const tokens = [...blocks, ...spans].flatMap((t) => t.split(/[\s,;()'"=]+/)).map((t) => t.replace(/[.:]+$/, ''));
  const isPattern = (t: string) => /[*{}<>|$]/.test(t);
  return {
    paths: tokens.filter((t) => !isPattern(t) && /^(\.\/)?(src|actors|config|test|bin|docs|\.ci)\/[\w./-]+$/.test(t)),
    names: tokens.filter((t) => !isPattern(t) && /^[\w.-]+\.(ts|mjs|js|sh|md)$/.test(t)),
    links: [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '').filter((l) => !/^(https?:|#|mailto:)/.test(l)),
  };
}

function missingFiles(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const names = new Set(repoFiles().map((f) => path.basename(f)));
  const named = namedFiles(text);
  return [
    ...named.paths.filter((p) => !existsSync(path.join(root, p))),
    ...named.names.filter((n) => !names.has(n)),
    ...named.links.filter((l) => !existsSync(path.resolve(path.dirname(file), l.split('#')[0] ?? ''))),
  ];
}

describe('README', () => {
  it('has the configuration table generated from the schema', () => {
    assert.equal(between(readme, '<!-- config-table:start', '<!-- config-table:end -->').trim(), renderConfigTable());
  });

  it('documents every field of the stats reply, and no other', () => {
    // statsOf only reads counters: any value will do to learn the names of the fields it answers with.
    const any: unknown = new Proxy(() => 0, { get: (_t, key) => (key === Symbol.toPrimitive ? () => 0 : any), apply: () => 0 });
    const fields = Object.keys((statsOf as (...args: unknown[]) => object)(...Array.from({ length: statsOf.length }, () => any))).sort();
    const table = between(readme, '<!-- stats-fields:start', '<!-- stats-fields:end -->');
    const documented = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]).sort();
    assert.ok(fields.length > 10, fields.join());
    assert.deepEqual(documented, fields);
  });

  it('never points outside the repository (../shared is not in a clone)', () => {
    for (const file of ['README.md', ...readdirSync(path.join(root, 'docs')).map((f) => path.join('docs', f))]) {
      const text = readFileSync(path.join(root, file), 'utf8');
      assert.ok(!/\.\.\/shared/.test(text), `${file} refers to ../shared`);
    }
  });

  it('names only files that are in the repository (README and docs/)', () => {
    for (const file of ['README.md', ...readdirSync(path.join(root, 'docs')).map((f) => path.join('docs', f))]) {
      assert.deepEqual(missingFiles(path.join(root, file)), [], `${file} names files that are not in the repository`);
    }
  });

  it('notices a file that is not there', () => {
    assert.deepEqual(namedFiles('see `test/no-such.test.ts` and `gone.mjs`, [x](docs/none.md)'), {
      paths: ['test/no-such.test.ts'],
      names: ['gone.mjs'],
      links: ['docs/none.md'],
    });
  });

  it('gives the test command that .ci/run runs', () => {
    const ci = readFileSync(path.join(root, '.ci', 'run'), 'utf8');
    assert.match(ci, /^npm ci && npm test$/m);
    assert.match(readme, /^npm ci && npm test$/m);
  });

  it('gives a demo command that runs (npx, on the example config) and writes alarms', () => {
    const demo = /^npm ci && (npx dsiem-backend replay --config \S+ --events \S+) --logs \S+$/m.exec(readme);
    assert.ok(demo, 'demo command missing');
    const logs = mkdtempSync(path.join(tmpdir(), 'dsiem-readme-'));
    try {
      const [cmd, ...args] = `${demo[1] ?? ''} --logs ${logs}`.split(' ');
      const out = execFileSync(cmd ?? 'npx', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.match(out, /alarms: +4 /);
      assert.ok(readFileSync(path.join(logs, 'siem_alarms.json'), 'utf8').split('\n').filter(Boolean).length >= 4);
    } finally {
      rmSync(logs, { recursive: true, force: true });
    }
  });
});
