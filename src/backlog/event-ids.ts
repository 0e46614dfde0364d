/**
 * The ids of the events a stage counted, as an immutable list that grows at the front: appending is O(1) and
 * shares everything with the previous version, where an array would be copied on every counted event (stages
 * can count thousands). Versions of a backlog state therefore share their id lists safely. The snapshot codec
 * turns lists into arrays and back.
 */

export interface EventIdCell {
  readonly id: string;
  readonly prev: EventIds;
  readonly size: number;
}

/** Newest first; `undefined` is the empty list. */
export type EventIds = EventIdCell | undefined;

export function sizeOf(ids: EventIds): number {
  return ids === undefined ? 0 : ids.size;
}

export function appendId(ids: EventIds, id: string): EventIdCell {
  return { id, prev: ids, size: sizeOf(ids) + 1 };
}

export function includesId(ids: EventIds, id: string): boolean {
  for (let cell = ids; cell !== undefined; cell = cell.prev) if (cell.id === id) return true;
  return false;
}

/** Oldest first. */
export function idsToArray(ids: EventIds): string[] {
  const out = new Array<string>(sizeOf(ids));
  let i = out.length;
  for (let cell = ids; cell !== undefined; cell = cell.prev) out[--i] = cell.id;
  return out;
}

export function idsFromArray(list: readonly string[]): EventIds {
  let ids: EventIds;
  for (const id of list) ids = appendId(ids, id);
  return ids;
}

/** The ids in `after` that are not in `before`, when `after` grew from `before` (oldest first). */
export function idsAddedSince(after: EventIds, before: EventIds): string[] {
  const added: string[] = [];
  for (let cell = after; cell !== undefined && cell !== before; cell = cell.prev) added.push(cell.id);
  return added.reverse();
}
