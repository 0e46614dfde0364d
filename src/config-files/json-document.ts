/**
 * A parsed JSON config file that can say where each of its values is (line:column), for messages.
 *
 * `JSON.parse` decides what is valid JSON (exactly the standard, as Go's decoder) and makes the value; the
 * positions come from Microsoft's `jsonc-parser` in strict mode (no comments, no trailing commas), asked only
 * when a message needs a place or JSON.parse gives none. jsonc-parser recurses once per nesting level, so a
 * depth scan runs first and refuses a file nested deeper than any Dsiem config could be (a 50,000-deep array
 * must give an error naming the file, never a stack overflow).
 */

import { findNodeAtLocation, parseTree, type Node, type ParseError } from 'jsonc-parser';
import { fail, ok, type Result } from '../shared/result.js';
import { WHOLE_FILE, type ConfigProblem, type TextPlace } from './config-problem.js';

export type JsonPath = ReadonlyArray<string | number>;

export interface JsonDocument {
  readonly file: string;
  readonly value: unknown;
  /** Place of the value at `path` (or of its key), else of the nearest enclosing value that exists. */
  place(path: JsonPath, what?: 'value' | 'key'): TextPlace;
}

/** Dsiem's deepest file (directives -> rules -> plugin_sid) is 5 levels deep; far more is a mistake or an attack. */
export const MAX_JSON_DEPTH = 64;

const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;

/** Offsets of the line starts, to turn an offset into line:column. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export function placeOf(starts: readonly number[], offset: number): TextPlace {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1, offset };
}

/** Offset of the first bracket that opens level MAX_JSON_DEPTH + 1, or -1. Strings are skipped. */
export function tooDeepAt(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      if (++depth > max) return i;
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return -1;
}

function syntaxProblem(file: string, place: TextPlace, message: string): ConfigProblem {
  return { severity: 'error', kind: 'json-syntax', file, ...place, message };
}

/** V8's words without its "in JSON at position N" and its copy of the text. */
function v8Words(err: unknown): { words: string; offset: number | undefined } {
  const message = err instanceof Error ? err.message : String(err);
  const position = / at position (\d+)/.exec(message);
  const words = message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/^Unexpected end of JSON input$/, 'the file ends too early');
  return { words: words.charAt(0).toLowerCase() + words.slice(1), offset: position === null ? undefined : Number(position[1]) };
}

function describeSyntaxError(file: string, text: string, err: unknown, starts: readonly number[]): ConfigProblem {
  if (text.charCodeAt(0) === 0xfeff) {
    return syntaxProblem(file, placeOf(starts, 0), 'not valid JSON: the file starts with a byte order mark (BOM); save it as UTF-8 without BOM');
  }
  if (text.trim() === '') return syntaxProblem(file, WHOLE_FILE, 'not valid JSON: the file is empty');
  const { words, offset } = v8Words(err);
  if (offset !== undefined) return syntaxProblem(file, placeOf(starts, offset), `not valid JSON: ${words}`);
  // V8 gave no position: jsonc-parser's first error says where (the text is known to be shallow enough).
  const errors: ParseError[] = [];
  parseTree(text, errors, STRICT);
  const first = errors[0];
  if (first === undefined) return syntaxProblem(file, WHOLE_FILE, `not valid JSON: ${words}`);
  return syntaxProblem(file, placeOf(starts, first.offset), `not valid JSON: ${words}`);
}

export function parseJsonDocument(file: string, text: string): Result<JsonDocument, ConfigProblem> {
  let starts: number[] | undefined;
  const lines = () => (starts ??= lineStarts(text));
  const deep = tooDeepAt(text);
  if (deep >= 0) {
    return fail(syntaxProblem(file, placeOf(lines(), deep), `nested deeper than ${MAX_JSON_DEPTH} levels: not a Dsiem config file`));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(describeSyntaxError(file, text, err, lines()));
  }
  let root: Node | undefined;
  const place = (path: JsonPath, what: 'value' | 'key' = 'value'): TextPlace => {
    root ??= parseTree(text, [], STRICT);
    if (root === undefined) return WHOLE_FILE;
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? root : findNodeAtLocation(root, path.slice(0, n) as Array<string | number>);
      if (node === undefined) continue;
      const key = what === 'key' && n === path.length && node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
      return placeOf(lines(), (key ?? node).offset);
    }
    return WHOLE_FILE;
  };
  return ok({ file, value, place });
}
