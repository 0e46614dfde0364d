// The README stays true: its configuration table is the one generated from the convict schema, and its two
// set-up commands are the ones the project runs (the demo replay, and `npm ci && npm test` in .ci/run).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigTable } from '../config/config-table.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README', () => {
  it('has the configuration table generated from the schema', () => {
    const start = readme.indexOf('-->', readme.indexOf('<!-- config-table:start')) + 3;
    const end = readme.indexOf('<!-- config-table:end -->');
    assert.ok(start > 3 && end > start, 'config-table markers missing');
    assert.equal(readme.slice(start, end).trim(), renderConfigTable());
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
