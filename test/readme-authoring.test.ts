// The README's "Writing and testing directives" stays true: its three commands run as shown (npx, from the
// project root) and succeed, and the explain excerpt it quotes is what explain prints.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Writing and testing directives'), readme.indexOf('\n## ', readme.indexOf('## Writing and testing directives') + 1));

/** The fenced code blocks of a text with the given info string ('' for none), in order. */
function blocks(text: string, lang: string): string[] {
  const found: string[] = [];
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('```')) {
      open?.lines.push(line);
    } else if (open === undefined) {
      open = { lang: line.slice(3).trim(), lines: [] };
    } else {
      if (open.lang === lang) found.push(`${open.lines.join('\n')}\n`);
      open = undefined;
    }
  }
  return found;
}

describe('README: writing and testing directives', () => {
  const commands = (blocks(section, 'sh')[0] ?? '').split('\n').filter((l) => l.startsWith('npx dsiem-backend '));
  const run = (line: string) => {
    const [cmd, ...args] = line.split(' ');
    return execFileSync(cmd ?? 'npx', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  it('gives validate, explain and test commands that succeed', () => {
    assert.deepEqual(commands.map((c) => c.split(' ')[2]), ['validate', 'explain', 'test']);
    for (const c of commands) run(c);
  });

  it('quotes the explanation explain really gives for the near miss', () => {
    const excerpt = blocks(section, '')[0] ?? '';
    assert.ok(excerpt.includes('is not :1 = '), 'the excerpt shows a reference and what it resolved to');
    const explain = commands.find((c) => c.includes(' explain '));
    assert.ok(explain !== undefined);
    assert.ok(run(explain).includes(excerpt), 'explain output does not contain the README excerpt');
  });
});
