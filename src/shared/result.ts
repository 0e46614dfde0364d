/**
 * The one result type of the project: a value, or an error as a value. Functions at the edges (loaders,
 * decoders, clients) return it instead of throwing; a `throw` means a broken invariant.
 */

export type Result<T, E = string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
