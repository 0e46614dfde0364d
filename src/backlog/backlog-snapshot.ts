/**
 * Saved backlogs (D9): one file per directive, `backlogs/{directive_id}.json`, in our own versioned format:
 *
 *   { "version": 1, "directive_id": 1001, "directive_name": "...", "saved_at": "2025-...Z",
 *     "backlogs": [ <BacklogState as JSON>, ... ] }
 *
 * A backlog state is plain data apart from its event-id lists, which are saved as arrays (`toBacklogJson`) and
 * rebuilt on restore (`fromBacklogJson`). On restore, backlogs whose directive name changed since they were saved are dropped (the id may have
 * been given to another directive), and so are backlogs that belong to another directive id.
 */

import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Directive } from '../directive/directive.js';
import { RuleSpec } from '../directive/rule-spec.js';
import { describeFirstError } from '../shared/decode.js';
import { copyOf, stageOf, type BacklogState } from './state.js';
import { idsFromArray, idsToArray } from './event-ids.js';

export const SNAPSHOT_VERSION = 1;

const StringArray = t.readonlyArray(t.string);

const StageCodec = t.type({
  start_time: t.number,
  end_time: t.number,
  status: t.keyof({ '': null, finished: null, timeout: null }),
  event_ids: StringArray,
  sticky: StringArray,
});

const Hit = t.type({ provider: t.string, term: t.string, result: t.string });

export const BacklogStateCodec = t.type({
  id: t.string,
  directiveId: t.number,
  directiveName: t.string,
  title: t.string,
  priority: t.number,
  kingdom: t.string,
  category: t.string,
  allRulesAlwaysActive: t.boolean,
  rules: t.readonlyArray(RuleSpec),
  stages: t.readonlyArray(StageCodec),
  currentStage: t.number,
  risk: t.number,
  riskClass: t.keyof({ '': null, Low: null, Medium: null, High: null }),
  srcIps: StringArray,
  dstIps: StringArray,
  networks: StringArray,
  customData: t.readonlyArray(t.type({ label: t.string, content: t.string })),
  intelHits: t.readonlyArray(Hit),
  vulnerabilities: t.readonlyArray(Hit),
  createdTime: t.number,
  updateTime: t.number,
  rcvdTime: t.number,
  lastSrcPort: t.number,
  lastDstPort: t.number,
  ended: t.keyof({ '': null, completed: null, expired: null }),
});

export const SnapshotFileCodec = t.type({
  version: t.literal(SNAPSHOT_VERSION),
  directive_id: t.number,
  directive_name: t.string,
  saved_at: t.string,
  backlogs: t.array(t.unknown),
});

/** A backlog state in its JSON form: event-id lists as arrays (oldest first), no id filter. */
export type BacklogJson = t.TypeOf<typeof BacklogStateCodec>;

export interface SnapshotFile {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly directive_id: number;
  readonly directive_name: string;
  readonly saved_at: string;
  readonly backlogs: readonly BacklogJson[];
}

export function toBacklogJson(state: BacklogState): BacklogJson {
  return { ...state, stages: state.stages.map((s) => ({ ...s, event_ids: idsToArray(s.event_ids) })) };
}

export function fromBacklogJson(json: BacklogJson): BacklogState {
  // Rebuilt field by field: restored states get the same shape as new ones, and unknown fields are left out.
  const state = copyOf({ ...json, stages: [] });
  state.stages = json.stages.map((s) => stageOf(s.start_time, s.end_time, s.status, idsFromArray(s.event_ids), s.sticky));
  return state;
}

export function toSnapshotFile(directive: Pick<Directive, 'id' | 'name'>, backlogs: readonly BacklogState[], nowMs: number): SnapshotFile {
  return {
    version: SNAPSHOT_VERSION,
    directive_id: directive.id,
    directive_name: directive.name,
    saved_at: new Date(nowMs).toISOString(),
    backlogs: backlogs.map(toBacklogJson),
  };
}

export interface Restored {
  readonly backlogs: BacklogState[];
  /** Backlogs left out, with the reason (for the log). */
  readonly dropped: Array<{ readonly id: string; readonly reason: string }>;
}

function consistent(s: BacklogState): string | undefined {
  if (s.rules.length < 2 || s.stages.length !== s.rules.length) return 'rules and stages do not match';
  if (!Number.isInteger(s.currentStage) || s.currentStage < 1 || s.currentStage > s.rules.length) return `no stage ${s.currentStage}`;
  if (s.rules.some((r: RuleSpec, i) => r.stage !== i + 1)) return 'stages are not 1..N';
  if (s.ended !== '') return 'already ended';
  return undefined;
}

/** Decodes one saved file's text for `directive`; never throws. */
export function restoreSnapshot(text: string, directive: Pick<Directive, 'id' | 'name'>): { ok: true; value: Restored } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not valid JSON: ${(err as Error).message}` };
  }
  const file = SnapshotFileCodec.decode(json);
  if (isLeft(file)) return { ok: false, error: describeFirstError(file.left) };
  const restored: Restored = { backlogs: [], dropped: [] };
  for (const [i, raw] of file.right.backlogs.entries()) {
    const decoded = BacklogStateCodec.decode(raw);
    if (isLeft(decoded)) {
      restored.dropped.push({ id: `#${i + 1}`, reason: describeFirstError(decoded.left) });
      continue;
    }
    const s = fromBacklogJson(decoded.right);
    const problem =
      s.directiveId !== directive.id
        ? `saved for directive ${s.directiveId}`
        : s.directiveName !== directive.name
          ? `directive name changed from "${s.directiveName}" to "${directive.name}"`
          : consistent(s);
    if (problem !== undefined) restored.dropped.push({ id: s.id, reason: problem });
    else restored.backlogs.push(s);
  }
  return { ok: true, value: restored };
}
