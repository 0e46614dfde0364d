/**
 * Decoding config files: JSON syntax, then shape (io-ts), with errors that name the file and the JSON path.
 * Errors are values; nothing here throws.
 */

import type * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';

export type LoadResult<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: string };

export function decodeJsonFile<A, O>(file: string, text: string, codec: t.Type<A, O, unknown>): LoadResult<A> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${file}: not valid JSON: ${(err as Error).message}` };
  }
  const decoded = codec.decode(value);
  if (isLeft(decoded)) return { ok: false, error: `${file}: ${describeFirstError(decoded.left)}` };
  return { ok: true, value: decoded.right };
}

/** "directives[0].rules[1].stage: expected a number, got \"2\"" style message for the first failure. */
export function describeFirstError(errors: t.Errors): string {
  // io-ts reports one error per union branch; the deepest path is the most telling one.
  const deepest = [...errors].sort((a, b) => b.context.length - a.context.length)[0];
  if (deepest === undefined) return 'invalid content';
  let path = '';
  const context = deepest.context;
  for (let i = 1; i < context.length; i++) {
    const entry = context[i];
    const parentTag = (context[i - 1]?.type as { _tag?: string } | undefined)?._tag;
    // Members of an intersection or a union are numbered too; they are not part of the JSON path.
    if (entry === undefined || parentTag === 'IntersectionType' || parentTag === 'UnionType') continue;
    path += /^\d+$/.test(entry.key) ? `[${entry.key}]` : path === '' ? entry.key : `.${entry.key}`;
  }
  const expected = deepest.context[deepest.context.length - 1]?.type.name ?? 'a value';
  const got = deepest.value === undefined ? 'nothing (missing field)' : JSON.stringify(deepest.value)?.slice(0, 80);
  return `${path === '' ? 'top level' : `field "${path}"`}: expected ${expected}, got ${got}`;
}
