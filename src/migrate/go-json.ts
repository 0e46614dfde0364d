/**
 * Go's encoding/json on one object of a config file, made explicit for `migrate`: a key that matches a known
 * field only case-insensitively is that field (Go matches names case-insensitively; the last one wins), a key
 * Go does not know is ignored, `null` leaves the zero value, and a missing field is its zero value.
 */

import type { MigrationChange } from './migration-change.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Where a change is, without the file (added by the caller). */
export type ChangePlace = Omit<MigrationChange, 'file' | 'action' | 'field' | 'old' | 'new' | 'reason'>;

/**
 * The object as Go sees it, with the known fields under their exact names. `zero` gives the zero value of each
 * field Go requires us to write (fields we require but Go defaults).
 */
export function asGoSees(value: JsonObject, known: readonly string[], zero: Readonly<Record<string, unknown>>, where: ChangePlace, changes: Omit<MigrationChange, 'file'>[]): JsonObject {
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    const field = known.includes(key) ? key : known.find((k) => k.toLowerCase() === key.toLowerCase());
    if (field === undefined) {
      const hint = key === 'sub_category' ? '; if you meant subcategory, rename it by hand: that changes what the rule matches' : '';
      changes.push({ ...where, action: 'removed', field: key, old: v, reason: `Go Dsiem ignores this field${hint}` });
      continue;
    }
    if (field !== key) changes.push({ ...where, action: 'renamed', field: key, new: field, reason: 'Go Dsiem matches field names case-insensitively' });
    if (v === null) {
      if (field !== key || !(field in zero)) changes.push({ ...where, action: 'removed', field, old: null, reason: 'null: Go Dsiem uses the zero value' });
      delete out[field];
      continue;
    }
    out[field] = v;
  }
  for (const [field, z] of Object.entries(zero)) {
    if (field in out) continue;
    out[field] = z;
    changes.push({ ...where, action: 'added', field, new: z, reason: "missing: Go Dsiem uses the zero value, written explicitly" });
  }
  return out;
}
