/**
 * Saved backlogs of the earlier format (version 1: one `{directive_id}.json` per directive, a JSON document
 * `{"version":1,"directive_id":..,"directive_name":..,"saved_at":..,"backlogs":[...]}`), read so that an upgrade
 * keeps them. Each backlog goes through the same checks as a checkpoint's (`restoreBacklog`).
 */

import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { restoreBacklog, type RestoreTarget } from '../backlog/backlog-json.js';
import type { BacklogState } from '../backlog/state.js';
import { describeFirstError } from '../shared/decode.js';
import type { DecodedCheckpoint, DroppedBacklog } from './checkpoint.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './checkpoint.js';

/** `1001.json`: a directive id. */
export const LEGACY_FILE = /^[0-9]{1,12}\.json$/;

const LegacyFile = t.type({
  version: t.literal(1),
  directive_id: t.number,
  directive_name: t.string,
  saved_at: t.string,
  backlogs: t.array(t.unknown),
});

export interface LegacyRead {
  readonly checkpoint: DecodedCheckpoint;
  readonly refused: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
}

export function decodeLegacySnapshot(files: ReadonlyArray<{ readonly file: string; readonly bytes: Buffer }>, directives: readonly RestoreTarget[]): LegacyRead {
  const targets = new Map(directives.map((d) => [d.id, d]));
  const backlogs = new Map<number, BacklogState[]>();
  const dropped: DroppedBacklog[] = [];
  const unknown: Array<{ id: number; name: string; backlogs: number }> = [];
  const refused: Array<{ file: string; reason: string }> = [];
  for (const { file, bytes } of files) {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      refused.push({ file, reason: err instanceof RangeError ? 'nested too deeply' : `not valid JSON (${(err as Error).message})` });
      continue;
    }
    const decoded = LegacyFile.decode(json);
    if (isLeft(decoded)) {
      refused.push({ file, reason: describeFirstError(decoded.left) });
      continue;
    }
    const saved = decoded.right;
    const target = targets.get(saved.directive_id);
    if (target === undefined) {
      unknown.push({ id: saved.directive_id, name: saved.directive_name, backlogs: saved.backlogs.length });
      continue;
    }
    const list: BacklogState[] = backlogs.get(target.id) ?? [];
    const seen = new Set(list.map((s) => s.id));
    saved.backlogs.forEach((raw, i) => {
      const id = (raw as { id?: unknown } | null)?.id;
      const backlogId = typeof id === 'string' ? id.slice(0, 70) : undefined;
      const restored = restoreBacklog(raw, target);
      if (!restored.ok) dropped.push({ line: i + 1, directiveId: target.id, backlogId, reason: `${file}: backlog #${i + 1}: ${restored.error}` });
      else if (seen.has(restored.value.id)) dropped.push({ line: i + 1, directiveId: target.id, backlogId, reason: `${file}: backlog #${i + 1}: the same backlog id is in the file twice (the first one is kept)` });
      else {
        seen.add(restored.value.id);
        list.push(restored.value);
      }
    });
    if (list.length > 0) backlogs.set(target.id, list);
  }
  return {
    checkpoint: {
      header: {
        format: CHECKPOINT_FORMAT,
        version: CHECKPOINT_VERSION,
        saved_at: '',
        reason: 'shutdown',
        node: '',
        stream: null,
        alarm_files: null,
        directives: [],
      },
      backlogs,
      dropped,
      unknownDirectives: unknown,
    },
    refused,
  };
}
