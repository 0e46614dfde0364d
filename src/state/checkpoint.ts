/**
 * The checkpoint: every live backlog, and where the backend stood, in one file of JSON lines. It is what a
 * SIGTERM saves and a start restores, and in JetStream mode what is written every few seconds.
 *
 *   {"format":"dsiem-backend-checkpoint","version":2,"saved_at":"...","reason":"shutdown","node":"...",
 *    "stream":{"name":"DSIEM_EVENTS","created":"...","seq":1234} | null, "alarm_files": {...} | null,
 *    "directives":[{"id":1001,"name":"...","backlogs":2}, ...]}
 *   {"rules":0,"list":[ ...resolved rules... ]}                                      each list of rules once
 *   {"directive_id":1001,"backlog":{ ...a backlog state (backlog-json.ts), "rules":0 }} one line per backlog
 *   {"end":true,"backlogs":2,"rules":1,"sha256":"..."}                                sha256 of every byte above
 *
 * Backlogs of one host pair share their resolved rules (the rule book): the list is written once, before the
 * first backlog that uses it, and the backlogs name it (a third of the size with 100,000 backlogs).
 *
 * `stream.seq`: every event of the stream up to this sequence is fully applied (counted, alarm lines on disk).
 * `alarm_files`: how far each alarm file was written then, so that a restart after a crash can tell the lines
 * written after the checkpoint from those before. The trailer's count and checksum make a truncated or damaged
 * file detectable as a whole; each backlog line is still checked on its own (a crafted file can carry a valid
 * checksum), and one that does not restore is dropped with its reason, never the others.
 */

import { createHash } from 'node:crypto';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { checkRules, restoreBacklog, toBacklogJson, type CheckedRules, type RestoreTarget } from '../backlog/backlog-json.js';
import type { BacklogState } from '../backlog/state.js';
import { describeFirstError, fieldErrors, formatPath } from '../shared/decode.js';
import { fail, ok, type Result } from '../shared/result.js';

export const CHECKPOINT_FORMAT = 'dsiem-backend-checkpoint';
export const CHECKPOINT_VERSION = 2;

/** A file position or a stream sequence: a whole number, 0 or more (a crafted negative one must not reach a read). */
const Position = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number, 0 or more');

const AlarmFilePosition = t.type({
  /** Device and inode ('' when never opened). */
  identity: t.string,
  /** Size of the file after the writer's last write. */
  bytes: Position,
});

const Header = t.type({
  format: t.literal(CHECKPOINT_FORMAT),
  version: t.literal(CHECKPOINT_VERSION),
  saved_at: t.string,
  reason: t.keyof({ shutdown: null, interval: null }),
  node: t.string,
  stream: t.union([t.null, t.type({ name: t.string, created: t.string, seq: Position })]),
  alarm_files: t.union([t.null, t.type({ alarms: AlarmFilePosition, events: AlarmFilePosition })]),
  directives: t.readonlyArray(t.type({ id: t.number, name: t.string, backlogs: t.number })),
});
export type CheckpointHeader = t.TypeOf<typeof Header>;

const Trailer = t.type({ end: t.literal(true), backlogs: t.number, rules: t.number, sha256: t.string });

const RulesLine = t.type({ rules: t.number, list: t.unknown });
const BacklogLine = t.type({ directive_id: t.number, backlog: t.unknown });

/** What a checkpoint holds, before it is encoded. */
export interface CheckpointContent {
  readonly header: Omit<CheckpointHeader, 'format' | 'version' | 'directives'>;
  /** Directives as loaded now, each with its live backlogs. */
  readonly directives: ReadonlyArray<RestoreTarget & { readonly backlogs: readonly BacklogState[] }>;
}

/**
 * The file's text in pieces (header, one piece per backlog, trailer), so that 100,000 backlogs are never one
 * string. The pieces end with a newline; the last one is the trailer.
 */
export function* encodeCheckpoint(c: CheckpointContent): Generator<string> {
  const hash = createHash('sha256');
  let count = 0;
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...c.header,
    directives: c.directives.map((d) => ({ id: d.id, name: d.name, backlogs: d.backlogs.length })),
  };
  const first = `${JSON.stringify(header)}\n`;
  hash.update(first);
  yield first;
  const lists = new Map<BacklogState['rules'], number>();
  for (const d of c.directives) {
    for (const state of d.backlogs) {
      let k = lists.get(state.rules);
      if (k === undefined) {
        k = lists.size;
        lists.set(state.rules, k);
        const rules = `${JSON.stringify({ rules: k, list: state.rules })}\n`;
        hash.update(rules);
        yield rules;
      }
      const line = `${JSON.stringify({ directive_id: d.id, backlog: { ...toBacklogJson(state), rules: k } })}\n`;
      hash.update(line);
      count++;
      yield line;
    }
  }
  yield `${JSON.stringify({ end: true, backlogs: count, rules: lists.size, sha256: hash.digest('hex') })}\n`;
}

/** A backlog of the file that is not restored, and why (for the log). */
export interface DroppedBacklog {
  /** 1-based line of the file. */
  readonly line: number;
  readonly directiveId: number | undefined;
  readonly backlogId: string | undefined;
  readonly reason: string;
}

export interface DecodedCheckpoint {
  readonly header: CheckpointHeader;
  /** Restored backlogs per directive id (directives as loaded now only). */
  readonly backlogs: ReadonlyMap<number, readonly BacklogState[]>;
  readonly dropped: readonly DroppedBacklog[];
  /** Saved directives that are not loaded now, with how many backlogs each had (reported, not kept). */
  readonly unknownDirectives: ReadonlyArray<{ readonly id: number; readonly name: string; readonly backlogs: number }>;
}

function parseLine(text: string): Result<unknown> {
  try {
    return ok(JSON.parse(text));
  } catch (err) {
    // A syntax error, or a nesting deep enough to exhaust the parser's stack (RangeError).
    return fail(err instanceof RangeError ? 'nested too deeply' : `not valid JSON (${(err as Error).message})`);
  }
}

export interface DecodeLimits {
  /**
   * Longest line decoded, in bytes: a longer one is dropped with its length. A JavaScript string holds at most
   * about 512 Mi characters, so a line is never made a string beyond this.
   */
  readonly maxLineBytes: number;
}

export const DECODE_LIMITS: DecodeLimits = { maxLineBytes: 64 * 1024 * 1024 };

const NEWLINE = Buffer.from('\n');

/**
 * Reads a checkpoint fed in chunks of any size (`push`, then `end`), one line at a time: the file is never one
 * string, whatever its size. Refused as a whole (an error saying why) when it is not a checkpoint, of another
 * version, truncated or damaged (no trailer, count or checksum wrong); otherwise every backlog line is restored on
 * its own (`restoreBacklog`), duplicates of an id are dropped, and backlogs of directives that are not loaded now
 * are counted per directive. Lines are decoded as they come; the verdict on the whole file is given at `end`.
 */
export class CheckpointDecoder {
  private readonly hash = createHash('sha256');
  private readonly targets: Map<number, RestoreTarget>;
  /** Bytes of the line being read (it ends at the next newline). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** The line being read is past the limit: its bytes are hashed, not kept. */
  private overlong = false;
  /** The last whole line, not yet hashed nor decoded: it is the trailer if nothing follows. */
  private last: Buffer | undefined;
  /** Empty lines after `last` (ignored when they end the file). */
  private emptyAfterLast = 0;
  /** Lines taken as body lines so far (1-based number of the last one). */
  private lineNo = 0;
  private header: Result<CheckpointHeader> | undefined;
  private readonly backlogs = new Map<number, BacklogState[]>();
  private readonly seen = new Set<string>();
  private readonly dropped: DroppedBacklog[] = [];
  private readonly unknown = new Map<number, number>();
  /** Rule lists by number, each checked once; a backlog that names one not (yet) listed is dropped. */
  private readonly lists = new Map<number, CheckedRules>();

  constructor(
    directives: readonly RestoreTarget[],
    private readonly limits: DecodeLimits = DECODE_LIMITS,
  ) {
    this.targets = new Map(directives.map((d) => [d.id, d]));
  }

  push(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(10, from);
      const piece = chunk.subarray(from, nl === -1 ? chunk.length : nl);
      this.add(piece);
      if (nl === -1) return;
      this.lineEnded();
      from = nl + 1;
    }
  }

  end(): Result<DecodedCheckpoint> {
    if (this.partialBytes > 0 || this.overlong) this.lineEnded();
    const trailerBytes = this.last;
    if (trailerBytes === undefined && this.lineNo === 0) return fail('the file is empty');
    const parsedTrailer = trailerBytes === undefined ? undefined : parseLine(trailerBytes.toString('utf8'));
    const trailer = parsedTrailer?.ok === true ? Trailer.decode(parsedTrailer.value) : undefined;
    if (trailer === undefined || isLeft(trailer)) return fail('it has no end line: the file is truncated (a save that did not finish) or damaged');
    if (this.hash.digest('hex') !== trailer.right.sha256) return fail('its checksum does not match its content: the file is damaged');
    const header = this.header ?? fail('line 1: not valid JSON (the file has no header)');
    if (!header.ok) return header;
    const held = this.lineNo - 1;
    if (held !== trailer.right.backlogs + trailer.right.rules) {
      return fail(`it says ${trailer.right.backlogs} backlogs and ${trailer.right.rules} rule lists, and holds ${held} lines`);
    }
    const names = new Map(header.value.directives.map((d) => [d.id, d.name]));
    return ok({
      header: header.value,
      backlogs: this.backlogs,
      dropped: this.dropped,
      unknownDirectives: [...this.unknown].map(([id, n]) => ({ id, name: names.get(id) ?? '', backlogs: n })),
    });
  }

  private add(piece: Buffer): void {
    if (piece.length === 0) return;
    if (!this.overlong && this.partialBytes + piece.length <= this.limits.maxLineBytes) {
      this.partial.push(piece);
      this.partialBytes += piece.length;
      return;
    }
    if (!this.overlong) {
      // Too long to be the trailer: the lines before it are body lines, and its bytes are hashed as they come.
      this.overlong = true;
      this.takeLast();
      for (const p of this.partial) this.hash.update(p);
      this.partial = [];
    }
    this.hash.update(piece);
    this.partialBytes += piece.length;
  }

  private lineEnded(): void {
    if (this.overlong) {
      this.hash.update(NEWLINE);
      this.lineNo++;
      this.dropped.push({ line: this.lineNo, directiveId: undefined, backlogId: undefined, reason: `the line is ${this.partialBytes} bytes long; lines longer than ${this.limits.maxLineBytes} bytes are not read` });
      if (this.lineNo === 1) this.header = fail(`line 1 is ${this.partialBytes} bytes long, too long for a header`);
    } else if (this.partialBytes === 0) {
      if (this.last === undefined) this.bodyLine(Buffer.alloc(0));
      else this.emptyAfterLast++;
    } else {
      this.takeLast();
      this.last = this.partial.length === 1 ? (this.partial[0] as Buffer) : Buffer.concat(this.partial, this.partialBytes);
    }
    this.partial = [];
    this.partialBytes = 0;
    this.overlong = false;
  }

  /** A line follows the last whole one: that one is a body line, and so are the empty lines after it. */
  private takeLast(): void {
    if (this.last === undefined) return;
    const line = this.last;
    this.last = undefined;
    this.bodyLine(line);
    for (; this.emptyAfterLast > 0; this.emptyAfterLast--) this.bodyLine(Buffer.alloc(0));
  }

  private bodyLine(bytes: Buffer): void {
    this.hash.update(bytes);
    this.hash.update(NEWLINE);
    this.lineNo++;
    const text = bytes.toString('utf8');
    if (this.lineNo === 1) this.header = decodeHeader(text);
    else this.entry(this.lineNo, text);
  }

  private entry(lineNo: number, text: string): void {
    const drop = (reason: string, directiveId?: number, backlogId?: string) => this.dropped.push({ line: lineNo, directiveId, backlogId, reason });
    const parsed = parseLine(text);
    if (!parsed.ok) {
      drop(parsed.error);
      return;
    }
    const rules = RulesLine.decode(parsed.value);
    if (!isLeft(rules)) {
      this.lists.set(rules.right.rules, checkRules(rules.right.list));
      return;
    }
    const entry = BacklogLine.decode(parsed.value);
    if (isLeft(entry)) {
      drop(describeFirstError(entry.left));
      return;
    }
    const { directive_id: directiveId, backlog } = entry.right;
    const target = this.targets.get(directiveId);
    if (target === undefined) {
      this.unknown.set(directiveId, (this.unknown.get(directiveId) ?? 0) + 1);
      return;
    }
    const named = (backlog as { rules?: unknown } | null)?.rules;
    const shared = typeof named === 'number' ? (this.lists.get(named) ?? fail(`its rules (list ${named}) are not listed before it`)) : undefined;
    const restored = restoreBacklog(backlog, target, shared);
    const id = (backlog as { id?: unknown } | null)?.id;
    const backlogId = typeof id === 'string' ? id.slice(0, 70) : undefined;
    if (!restored.ok) {
      drop(restored.error, directiveId, backlogId);
      return;
    }
    const key = `${directiveId}/${restored.value.id}`;
    if (this.seen.has(key)) {
      drop('the same backlog id is in the file twice (the first one is kept)', directiveId, backlogId);
      return;
    }
    this.seen.add(key);
    const list = this.backlogs.get(directiveId);
    if (list === undefined) this.backlogs.set(directiveId, [restored.value]);
    else list.push(restored.value);
  }
}

function decodeHeader(text: string): Result<CheckpointHeader> {
  const parsed = parseLine(text);
  if (!parsed.ok) return fail(`line 1: ${parsed.error}`);
  const header = Header.decode(parsed.value);
  if (!isLeft(header)) return ok(header.right);
  const h = parsed.value as { format?: unknown; version?: unknown } | null;
  if (h?.format !== CHECKPOINT_FORMAT) return fail('line 1 is not the header of a dsiem-backend checkpoint');
  if (h.version !== CHECKPOINT_VERSION) return fail(`it is of version ${JSON.stringify(h.version)}; this backend reads version ${CHECKPOINT_VERSION}`);
  return fail(`line 1: ${describeDeepestError(header.left)}`);
}

/** The error of the deepest field: `stream` and `alarm_files` may be null, and "expected null or an object" names no field. */
function describeDeepestError(errors: t.Errors): string {
  const deepest = fieldErrors(errors).reduce<ReturnType<typeof fieldErrors>[number] | undefined>((a, b) => (a === undefined || b.path.length > a.path.length ? b : a), undefined);
  if (deepest === undefined || deepest.path.length === 0) return describeFirstError(errors);
  return `field "${formatPath(deepest.path)}": expected ${deepest.expected}, got ${deepest.got}`;
}

/** Reads a checkpoint held in memory whole (see `CheckpointDecoder`). */
export function decodeCheckpoint(bytes: Buffer, directives: readonly RestoreTarget[], limits: DecodeLimits = DECODE_LIMITS): Result<DecodedCheckpoint> {
  const decoder = new CheckpointDecoder(directives, limits);
  decoder.push(bytes);
  return decoder.end();
}
