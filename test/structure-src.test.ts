// Rules of the pure domain (src/) that the compiler does not check: no import cycles between its modules, and
// no module-level mutable state (caches, counters and pools live in objects an engine makes, so two engines or
// two tests never share them).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Relative imports of a file, as absolute .ts paths (type-only imports included: they tie modules too). */
export function localImports(file: string, text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => path.resolve(path.dirname(file), (m[1] ?? m[2] ?? '').replace(/\.js$/, '.ts')));
}

/** Every cycle found by a depth-first walk, as a list of files (relative to src/). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(root, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Top-level declarations that hold mutable state: `let`/`var`, and mutable collections not typed read-only. */
export function moduleState(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    if (/^(export\s+)?(let|var)\s/.test(line)) found.push(line.trim());
    else if (/^(export\s+)?const\s+\w+\s*=\s*new\s+(Map|Set|WeakMap|WeakSet|Array)\b/.test(line)) found.push(line.trim());
    else if (/^(export\s+)?const\s+\w+\s*:\s*(Map|Set|WeakMap|WeakSet)</.test(line)) found.push(line.trim());
  }
  return found;
}

describe('src/ structure', () => {
  const files = sourceFiles(root);
  const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

  it('has no import cycles between its modules', () => {
    const graph = new Map(files.map((f) => [f, localImports(f, texts.get(f) ?? '')]));
    assert.ok([...graph.values()].flat().length > 50, 'the import graph is suspiciously small');
    assert.deepEqual(findCycles(graph), []);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const a = path.join(root, 'a.ts');
    const b = path.join(root, 'b.ts');
    assert.deepEqual(findCycles(new Map([[a, [b]], [b, [a]]])), [['a.ts', 'b.ts', 'a.ts']]);
  });

  it('keeps no mutable state at module level', () => {
    const offending = files.flatMap((f) => moduleState(texts.get(f) ?? '').map((line) => `${path.relative(root, f)}: ${line}`));
    assert.deepEqual(offending, []);
  });

  it('recognises module-level state (the check can fail)', () => {
    assert.deepEqual(moduleState('let pool = 0;\nexport var x;\nconst cache = new Map<string, number>();\nconst s: Set<string> = new Set();\n'), [
      'let pool = 0;',
      'export var x;',
      'const cache = new Map<string, number>();',
      'const s: Set<string> = new Set();',
    ]);
    assert.deepEqual(moduleState("const KEYWORDS: ReadonlySet<string> = new Set(['ANY']);\nfunction f() {\n  let n = 0;\n}\n"), []);
  });
});
