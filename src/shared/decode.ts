/**
 * Turning io-ts decoding errors into words: which field, what was expected (said in words, never an io-ts type
 * name such as `Array<unknown>`), and what was there. Every function here is iterative or bounded in depth, so a
 * hostile value (a 50,000-deep array) cannot overflow the stack. Nothing here throws.
 */

import * as t from 'io-ts';
import type { Result } from './result.js';

/** Refinement names are the words used in messages ("expected a whole number, got 1.5"). */
export const WholeNumber = t.refinement(t.number, Number.isSafeInteger, 'a whole number');

/** Kept for the callers that only need one message: the same as `Result<A, string>`. */
export type LoadResult<A> = Result<A, string>;

/** One field that failed: its JSON path, what was expected and what was found, in words. */
export interface FieldError {
  readonly path: ReadonlyArray<string | number>;
  readonly expected: string;
  readonly got: string;
  readonly missing: boolean;
}

const PREVIEW_CHARS = 60;

/** A short, bounded description of a JSON value: `"abc"`, `42`, `a list of 3 items`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (missing field)';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const text = JSON.stringify(value.length > PREVIEW_CHARS ? `${value.slice(0, PREVIEW_CHARS)}...` : value);
    return text;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

interface TypeLike {
  readonly name: string;
  readonly _tag?: string;
  readonly type?: TypeLike;
  readonly types?: readonly TypeLike[];
}

/**
 * What a codec accepts, in words. Refinements carry their words as their name (`a whole number from 0 to 10`);
 * structural types are described by kind, one level deep.
 */
export function expectedWords(type: TypeLike): string {
  switch (type._tag) {
    case 'StringType':
      return 'a string';
    case 'NumberType':
      return 'a number';
    case 'BooleanType':
      return 'true or false';
    case 'NullType':
      return 'null';
    case 'UndefinedType':
      return 'nothing';
    case 'UnknownType':
      return 'any value';
    case 'ArrayType':
      return `a list${type.type === undefined || type.type._tag === 'UnknownType' ? '' : ` of ${plural(expectedWords(type.type))}`}`;
    case 'InterfaceType':
    case 'PartialType':
    case 'IntersectionType':
    case 'ExactType':
      return 'an object';
    case 'UnionType':
      return (type.types ?? []).map(expectedWords).filter((w) => w !== 'nothing').join(' or ');
    default:
      return type.name;
  }
}

/** "a string" -> "strings", "a whole number from 1 to 5" -> "whole numbers from 1 to 5". */
function plural(words: string): string {
  const noun = words.replace(/^an? /, '');
  const m = /^(.*?)( (?:from|of|to|with) .*)?$/.exec(noun);
  return m === null ? noun : `${m[1]}s${m[2] ?? ''}`;
}

/**
 * One error per failing field (io-ts reports one per union member and per intersection member), with the JSON
 * path and the words of the field's declared type.
 */
export function fieldErrors(errors: t.Errors): FieldError[] {
  const byPath = new Map<string, FieldError>();
  for (const error of errors) {
    const path: Array<string | number> = [];
    let declared: TypeLike | undefined = error.context[0]?.type;
    for (let i = 1; i < error.context.length; i++) {
      const entry = error.context[i];
      const parentTag = (error.context[i - 1]?.type as TypeLike | undefined)?._tag;
      if (entry === undefined) continue;
      // Members of an intersection or a union are numbered too; they are not part of the JSON path.
      if (parentTag === 'IntersectionType' || parentTag === 'UnionType') continue;
      path.push(/^\d+$/.test(entry.key) ? Number(entry.key) : entry.key);
      declared = entry.type;
    }
    const key = JSON.stringify(path);
    if (byPath.has(key)) continue;
    byPath.set(key, {
      path,
      expected: declared === undefined ? 'a value' : expectedWords(declared),
      got: describeValue(error.value),
      missing: error.value === undefined,
    });
  }
  return [...byPath.values()];
}

/** `assets[0].cidr`, `rules[1]`, or the empty string for the top level. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : text === '' ? key : `.${key}`;
  return text;
}

/** `field "directives[0].rules[1].stage": expected a whole number, got "2"` for the first failing field. */
export function describeFirstError(errors: t.Errors): string {
  const first = fieldErrors(errors)[0];
  if (first === undefined) return 'invalid content';
  const path = formatPath(first.path);
  return `${path === '' ? 'top level' : `field "${path}"`}: expected ${first.expected}, got ${first.got}`;
}
