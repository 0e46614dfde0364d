/** The README's configuration table, generated from the convict schema (`npm run -s config-table`). */

import { serveSchema } from './schema.js';

export function renderConfigTable(): string {
  const rows = Object.values(serveSchema).map((s) => {
    const flag = s.flag;
    const def = typeof s.default === 'string' ? (s.default === '' ? '(empty)' : `\`${s.default}\``) : `\`${String(s.default)}\``;
    return `| \`${s.env}\` | \`${flag}\` | ${def} | ${s.doc} |`;
  });
  return ['| env | flag | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\u0000')) {
  process.stdout.write(`${renderConfigTable()}\n`);
}
