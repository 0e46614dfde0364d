#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (Node 20 does not expand globs itself), reported by
// test/compact-reporter.mjs (one line per file, failures in full, node's totals last). Extra arguments are passed
// to the runner (e.g. --test-name-pattern, or --test-reporter=tap for the full TAP stream).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(full).isDirectory()) walk(full);
    else if (name.endsWith('.test.ts')) files.push(path.relative(process.cwd(), full));
  }
};
walk(root);
const extra = process.argv.slice(2);
const reporter = extra.some((a) => a.startsWith('--test-reporter'))
  ? []
  : [`--test-reporter=${path.join(root, 'compact-reporter.mjs')}`, '--test-reporter-destination=stdout'];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...reporter, ...extra, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
