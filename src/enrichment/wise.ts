/**
 * Arkime WISE threat-intel answers (dsiem-backend.md 3.5), as pure functions: no I/O, never throws.
 *
 * A WISE query for one IP answers with a JavaScript-object-style array, e.g.
 *   [{field: "threat.tag", len: 12, value: "known-botnet"}]
 * whose unquoted keys `field`, `len` and `value` are quoted to make it JSON. Entries with `len < 5` are
 * dropped (as the Rust port does); every other entry is one hit `"<field>: <value>"` for the IP.
 */

import type { EnrichmentHit } from './hit.js';
import { fail, ok, type Result } from '../shared/result.js';

export type ParseResult = Result<EnrichmentHit[]>;

const KEYS = ['field', 'len', 'value'] as const;
const MIN_LEN = 5;

/** The URL for one IP: the first `${ip}` of the source's URL template replaced by the IP text. */
export function wiseUrl(template: string, ip: string): string {
  return template.replace('${ip}', () => ip);
}

/**
 * Quotes the keys `field:`, `len:` and `value:` (the Rust port replaces every occurrence; this does it only
 * outside string literals, so a value that happens to contain "value:" does not break the JSON; any body the
 * Rust port accepts reads the same here).
 */
export function quoteWiseKeys(body: string): string {
  let out = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c === '"') {
      // copy the string literal verbatim, escapes included
      let j = i + 1;
      while (j < body.length && body[j] !== '"') j += body[j] === '\\' ? 2 : 1;
      out += body.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const key = KEYS.find((k) => body.startsWith(`${k}:`, i));
    if (key !== undefined) {
      out += `"${key}":`;
      i += key.length + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** Parses a WISE answer for `ip`; an unparsable body is an error (never cached by the enricher). */
export function parseWiseResponse(ip: string, body: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(quoteWiseKeys(body));
  } catch (err) {
    return fail(`error parsing wise result: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) return fail('error parsing wise result: not an array');
  const hits: EnrichmentHit[] = [];
  for (const [i, entry] of parsed.entries()) {
    if (typeof entry !== 'object' || entry === null) {
      return fail(`error parsing wise result: entry #${i + 1} is not an object`);
    }
    const { field, len, value } = entry as { field?: unknown; len?: unknown; value?: unknown };
    if (typeof field !== 'string' || typeof value !== 'string') {
      return fail(`error parsing wise result: entry #${i + 1} needs string "field" and "value"`);
    }
    if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > 65535) {
      return fail(`error parsing wise result: entry #${i + 1} needs "len" as an integer 0..65535`);
    }
    if (len < MIN_LEN) continue;
    hits.push({ provider: 'Wise', term: ip, result: `${field}: ${value}` });
  }
  return ok(hits);
}
