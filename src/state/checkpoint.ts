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
import { describeFirstError } from '../shared/decode.js';
import { fail, ok, type Result } from '../shared/result.js';

export const CHECKPOINT_FORMAT = 'dsiem-backend-checkpoint';
export const CHECKPOINT_VERSION = 2;

const AlarmFilePosition = t.type({
  /** Device and inode ('' when never opened). */
  identity: t.string,
  /** Size of the file after the writer's last write. */
  bytes: t.number,
});

const Header = t.type({
  format: t.literal(CHECKPOINT_FORMAT),
  version: t.literal(CHECKPOINT_VERSION),
  saved_at: t.string,
  reason: t.keyof({ shutdown: null, interval: null }),
  node: t.string,
  stream: t.union([t.null, t.type({ name: t.string, created: t.string, seq: t.number })]),
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

/** The last line of `bytes` that is not empty, and where it starts. */
function lastLine(bytes: Buffer): { start: number; text: string } | undefined {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 10) end--;
  if (end === 0) return undefined;
  const start = bytes.lastIndexOf(10, end - 1) + 1;
  return { start, text: bytes.subarray(start, end).toString('utf8') };
}

/**
 * Reads a checkpoint for the directives loaded now. Refused as a whole (an error saying why) when it is not a
 * checkpoint, of another version, truncated or damaged (no trailer, count or checksum wrong); otherwise every
 * backlog line is restored on its own (`restoreBacklog`), duplicates of an id are dropped, and backlogs of
 * directives that are not loaded now are counted per directive.
 */
export function decodeCheckpoint(bytes: Buffer, directives: readonly RestoreTarget[]): Result<DecodedCheckpoint> {
  const trailerLine = lastLine(bytes);
  if (trailerLine === undefined) return fail('the file is empty');
  const parsedTrailer = parseLine(trailerLine.text);
  const trailer = parsedTrailer.ok ? Trailer.decode(parsedTrailer.value) : undefined;
  if (trailer === undefined || isLeft(trailer)) return fail('it has no end line: the file is truncated (a save that did not finish) or damaged');
  const body = bytes.subarray(0, trailerLine.start);
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (sha256 !== trailer.right.sha256) return fail('its checksum does not match its content: the file is damaged');
  const lines = body.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const headerText = parseLine(lines[0] ?? '');
  if (!headerText.ok) return fail(`line 1: ${headerText.error}`);
  const header = Header.decode(headerText.value);
  if (isLeft(header)) {
    const h = headerText.value as { format?: unknown; version?: unknown } | null;
    if (h?.format !== CHECKPOINT_FORMAT) return fail('line 1 is not the header of a dsiem-backend checkpoint');
    if (h.version !== CHECKPOINT_VERSION) return fail(`it is of version ${JSON.stringify(h.version)}; this backend reads version ${CHECKPOINT_VERSION}`);
    return fail(`line 1: ${describeFirstError(header.left)}`);
  }
  if (lines.length - 1 !== trailer.right.backlogs + trailer.right.rules) {
    return fail(`it says ${trailer.right.backlogs} backlogs and ${trailer.right.rules} rule lists, and holds ${lines.length - 1} lines`);
  }

  const targets = new Map(directives.map((d) => [d.id, d]));
  const backlogs = new Map<number, BacklogState[]>();
  const seen = new Set<string>();
  const dropped: DroppedBacklog[] = [];
  const unknown = new Map<number, number>();
  /** Rule lists by number, each checked once; a backlog that names one not (yet) listed is dropped. */
  const lists = new Map<number, CheckedRules>();
  for (let i = 1; i < lines.length; i++) {
    const drop = (reason: string, directiveId?: number, backlogId?: string) => dropped.push({ line: i + 1, directiveId, backlogId, reason });
    const parsed = parseLine(lines[i] as string);
    if (!parsed.ok) {
      drop(parsed.error);
      continue;
    }
    const rules = RulesLine.decode(parsed.value);
    if (!isLeft(rules)) {
      lists.set(rules.right.rules, checkRules(rules.right.list));
      continue;
    }
    const entry = BacklogLine.decode(parsed.value);
    if (isLeft(entry)) {
      drop(describeFirstError(entry.left));
      continue;
    }
    const { directive_id: directiveId, backlog } = entry.right;
    const target = targets.get(directiveId);
    if (target === undefined) {
      unknown.set(directiveId, (unknown.get(directiveId) ?? 0) + 1);
      continue;
    }
    const named = (backlog as { rules?: unknown } | null)?.rules;
    const shared = typeof named === 'number' ? (lists.get(named) ?? fail(`its rules (list ${named}) are not listed before it`)) : undefined;
    const restored = restoreBacklog(backlog, target, shared);
    const id = (backlog as { id?: unknown } | null)?.id;
    const backlogId = typeof id === 'string' ? id.slice(0, 70) : undefined;
    if (!restored.ok) {
      drop(restored.error, directiveId, backlogId);
      continue;
    }
    const key = `${directiveId}/${restored.value.id}`;
    if (seen.has(key)) {
      drop('the same backlog id is in the file twice (the first one is kept)', directiveId, backlogId);
      continue;
    }
    seen.add(key);
    const list = backlogs.get(directiveId);
    if (list === undefined) backlogs.set(directiveId, [restored.value]);
    else list.push(restored.value);
  }
  const names = new Map(header.right.directives.map((d) => [d.id, d.name]));
  return ok({
    header: header.right,
    backlogs,
    dropped,
    unknownDirectives: [...unknown].map(([id, n]) => ({ id, name: names.get(id) ?? '', backlogs: n })),
  });
}
