// The dependency direction of the layout: src/ is the pure domain. No file under src/ imports from actors/ or
// config/, or imports nact, nats, winston or convict (the lint config says the same; this test needs no lint).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

describe('layout', () => {
  const files = sourceFiles(path.join(root, 'src'));

  it('finds the domain sources it checks', () => {
    assert.ok(files.length > 10, `only ${files.length} files under src/`);
    assert.ok(importsOf(path.join(root, 'src', 'backlog', 'transitions.ts')).length > 3);
  });

  it('keeps src/ free of actors/, config/ and runtime libraries', () => {
    const offending: string[] = [];
    for (const file of files) {
      for (const spec of importsOf(file)) {
        const resolved = spec.startsWith('.') ? path.relative(root, path.resolve(path.dirname(file), spec)) : spec;
        const bad =
          resolved.startsWith('actors') ||
          resolved.startsWith('config') ||
          ['nact', 'nats', 'winston', 'convict'].some((lib) => spec === lib || spec.startsWith(`${lib}/`));
        if (bad) offending.push(`${path.relative(root, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(offending, []);
  });
});
