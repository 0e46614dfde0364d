/** The README's configuration table of `serve`, generated from the settings table (`npm run -s config-table`). */

import { keysOf, specOf } from './schema.js';

export function renderConfigTable(): string {
  const rows = keysOf('serve').flatMap((key) => {
    const s = specOf(key);
    if (s.env === undefined) return [];
    const def = s.default === '' ? '(empty)' : `\`${String(s.default)}\``;
    return [`| \`${s.env}\` | \`${s.flag}\` | ${def} | ${s.doc} |`];
  });
  return ['| env | flag | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\u0000')) {
  process.stdout.write(`${renderConfigTable()}\n`);
}
