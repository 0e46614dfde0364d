/**
 * Checking one JSON object of a config file against its wire codec: every field of the wrong type, every
 * missing required field, and every unknown field (with a "did you mean"), all at once. Values are not
 * interpreted here; the meaning checks come after, on what decoded.
 */

import type * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { describeValue, fieldErrors, formatPath } from '../shared/decode.js';
import { closestName } from './did-you-mean.js';
import type { JsonPath } from './json-document.js';

export interface WireIssue {
  readonly kind: 'wrong-type' | 'missing-field' | 'unknown-field';
  /** Path below the object; the first element is the field. Empty for the object itself. */
  readonly path: JsonPath;
  /** Whether the place to show is the field's key (unknown or misspelled fields) or its value. */
  readonly at: 'key' | 'value';
  readonly field?: string;
  readonly message: string;
}

export type WireCheck<A> = { readonly value: A | undefined; readonly issues: readonly WireIssue[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The unknown keys of an object, each with its suggestion. */
export function unknownFields(value: Record<string, unknown>, known: readonly string[]): WireIssue[] {
  const issues: WireIssue[] = [];
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = closestName(key, known);
    const hint = guess === undefined ? '' : guess.toLowerCase() === key.toLowerCase() ? `; names are case-sensitive: did you mean "${guess}"?` : `; did you mean "${guess}"?`;
    issues.push({ kind: 'unknown-field', path: [key], at: 'key', field: key, message: `unknown field${hint}` });
  }
  return issues;
}

/**
 * Decodes `value` with `codec` and lists what is wrong with it. `what` names the object in words for the
 * message when it is not an object at all ("a directive").
 */
export function checkWireObject<A>(value: unknown, codec: t.Decoder<unknown, A>, known: readonly string[], what: string): WireCheck<A> {
  if (!isObject(value)) {
    return { value: undefined, issues: [{ kind: 'wrong-type', path: [], at: 'value', message: `expected ${what} (a JSON object), got ${describeValue(value)}` }] };
  }
  const issues: WireIssue[] = [];
  const decoded = codec.decode(value);
  if (isLeft(decoded)) {
    const errors = fieldErrors(decoded.left);
    const missing = errors.filter((e) => e.missing && e.path.length === 1);
    // Several missing fields of one object make one problem, not one line each.
    if (missing.length > 1) {
      const list = missing.map((e) => `"${formatPath(e.path)}" (${e.expected})`).join(', ');
      issues.push({ kind: 'missing-field', path: [], at: 'value', message: `missing fields: ${list}` });
    }
    for (const e of errors) {
      if (missing.length > 1 && missing.includes(e)) continue;
      const field = formatPath(e.path);
      issues.push({
        kind: e.missing ? 'missing-field' : 'wrong-type',
        path: e.path,
        at: 'value',
        field,
        message: e.missing ? `missing: expected ${e.expected}` : `expected ${e.expected}, got ${e.got}`,
      });
    }
  }
  issues.push(...unknownFields(value, known));
  return { value: isLeft(decoded) ? undefined : decoded.right, issues };
}
