/**
 * A backlog state in its JSON form (saved backlogs, checkpoints), and the checks a restored state must pass
 * before a directive adopts it. The in-memory state differs only in its event-id lists (linked lists there,
 * arrays, oldest first, here). A saved state is untrusted input: it is decoded with the codec, its rules are
 * checked like the rules of a directive file, and its id must be one this backend could have made.
 */

import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { ruleProblems } from '../directive/directive-checks.js';
import type { RuleWire } from '../directive/directive-wire.js';
import { RuleSpec } from '../directive/rule-spec.js';
import { describeFirstError } from '../shared/decode.js';
import { fail, ok, type Result } from '../shared/result.js';
import { idsFromArray, idsToArray } from './event-ids.js';
import { copyOf, stageOf, type BacklogState } from './state.js';

const Strings = t.readonlyArray(t.string);

const StageJson = t.type({
  start_time: t.number,
  end_time: t.number,
  status: t.keyof({ '': null, finished: null, timeout: null }),
  event_ids: Strings,
  sticky: Strings,
});

const Hit = t.type({ provider: t.string, term: t.string, result: t.string });

const BacklogFields = t.type({
  id: t.string,
  directiveId: t.number,
  directiveName: t.string,
  title: t.string,
  priority: t.number,
  kingdom: t.string,
  category: t.string,
  allRulesAlwaysActive: t.boolean,
  rules: t.readonlyArray(RuleSpec),
  stages: t.readonlyArray(StageJson),
  currentStage: t.number,
  risk: t.number,
  riskClass: t.keyof({ '': null, Low: null, Medium: null, High: null }),
  srcIps: Strings,
  dstIps: Strings,
  networks: Strings,
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
/** `lookupOwed` is absent from files saved before it was recorded (and from states never snapshot). */
export const BacklogJson = t.intersection([BacklogFields, t.partial({ lookupOwed: t.boolean })]);
export type BacklogJson = t.TypeOf<typeof BacklogJson>;

export function toBacklogJson(state: BacklogState): BacklogJson {
  const { lookupOwed, ...fields } = state;
  const json = { ...fields, stages: state.stages.map((s) => ({ ...s, event_ids: idsToArray(s.event_ids) })) };
  return lookupOwed === undefined ? json : { ...json, lookupOwed };
}

export function fromBacklogJson(json: BacklogJson): BacklogState {
  // Rebuilt field by field: restored states get the same shape as new ones, and unknown fields are left out.
  const state = copyOf({ ...json, stages: [], lookupOwed: json.lookupOwed });
  state.stages = json.stages.map((s) => stageOf(s.start_time, s.end_time, s.status, idsFromArray(s.event_ids), s.sticky));
  return state;
}

/** Backlog (alarm) ids this backend makes: from Dsiem's id alphabet, at most 64 characters. */
const BACKLOG_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** What a restored backlog must belong to: its directive as loaded now. */
export interface RestoreTarget {
  readonly id: number;
  readonly name: string;
}

/** Saved rules, checked once: the list (the same object for every backlog that shares it), or why it is refused. */
export type CheckedRules = Result<readonly RuleSpec[]>;

/** Decodes and checks a backlog's saved rules like a directive file's (2 at least, stages 1..N, each field valid). */
export function checkRules(raw: unknown): CheckedRules {
  const decoded = t.readonlyArray(RuleSpec, 'a list of rules').decode(raw);
  if (isLeft(decoded)) return fail(`rules: ${describeFirstError(decoded.left)}`);
  const rules = decoded.right;
  if (rules.length < 2) return fail(`${rules.length} rule(s): at least 2 are needed`);
  for (const [i, rule] of rules.entries()) {
    const problems = ruleProblems(rule as unknown as RuleWire, i + 1, new Set(rules.slice(0, i).map((r) => r.stage))).filter(
      // A port reference resolved from an event without a port is "0": valid in a backlog, not in a directive.
      (p) => p.severity === 'error' && !(p.kind === 'bad-port' && (p.field === 'port_from' || p.field === 'port_to') && rule[p.field] === '0'),
    );
    const first = problems[0];
    if (first !== undefined) return fail(`stage ${i + 1} (rule #${i + 1}): field "${first.field ?? '?'}": ${first.message}`);
  }
  return ok(rules);
}

/**
 * Decodes one saved backlog and checks it for `directive`: shape, id, directive id and name (a renamed directive's
 * backlogs are dropped, D9), stages consistent with its rules, rules valid like a directive file's (`rules`: its
 * rules checked already, when the file lists them apart), not ended. The error says why it cannot be restored.
 */
export function restoreBacklog(raw: unknown, directive: RestoreTarget, rules?: CheckedRules): Result<BacklogState> {
  const isObject = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  const decoded = BacklogJson.decode(isObject ? { ...raw, rules: [] } : raw);
  if (isLeft(decoded)) return fail(describeFirstError(decoded.left));
  const checked = rules ?? checkRules((raw as { rules?: unknown }).rules);
  if (!checked.ok) return checked;
  const json = { ...decoded.right, rules: checked.value };
  if (!BACKLOG_ID.test(json.id)) return fail(`id ${JSON.stringify(json.id.slice(0, 70))} is not a backlog id (letters, digits, "_" and "-", at most 64)`);
  if (json.directiveId !== directive.id) return fail(`saved for directive ${json.directiveId}, not ${directive.id}`);
  if (json.directiveName !== directive.name) return fail(`directive name changed from ${JSON.stringify(json.directiveName)} to ${JSON.stringify(directive.name)}`);
  if (json.ended !== '') return fail('already ended');
  if (json.stages.length !== json.rules.length) return fail(`${json.rules.length} rules and ${json.stages.length} stages do not match`);
  if (!Number.isInteger(json.currentStage) || json.currentStage < 1 || json.currentStage > json.rules.length) return fail(`no stage ${json.currentStage}`);
  return ok(fromBacklogJson(json));
}
