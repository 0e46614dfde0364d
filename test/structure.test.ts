// The dependency direction of the layout: src/ is the pure domain. No file under src/ imports from actors/ or
// config/, or imports nact, nats, winston or convict (the lint config says the same; this test needs no lint).
// config/ (the settings) is read by actors/ and imports nothing from it.

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

function importsOf(file: string, extra = ''): string[] {
  const text = readFileSync(file, 'utf8') + extra;
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

  it('keeps config/ free of actors/', () => {
    const configFiles = sourceFiles(path.join(root, 'config'));
    assert.ok(configFiles.some((f) => f.endsWith('schema.ts')), 'config/schema.ts not found');
    assert.deepEqual(actorImports(configFiles), []);
  });

  it('notices a config/ file that imports actors/', () => {
    const file = path.join(root, 'config', 'schema.ts');
    assert.deepEqual(actorImports([file], `import type { Engine } from '../actors/engine.js';\n`), ['config/schema.ts imports ../actors/engine.js']);
  });
});

/** Imports of actors/ by the given files (`extra` is added to each file's text, to check the check). */
function actorImports(files: readonly string[], extra = ''): string[] {
  return files.flatMap((file) =>
    importsOf(file, extra)
      .filter((spec) => spec.startsWith('.') && path.relative(root, path.resolve(path.dirname(file), spec)).startsWith('actors'))
      .map((spec) => `${path.relative(root, file)} imports ${spec}`),
  );
}
