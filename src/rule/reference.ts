/**
 * Stage references: a rule field written `:N` takes the value of the same field of rule N (1 = the first rule
 * of the directive). This is the one definition of what a reference is: `:1` to `:99`, no leading zero.
 */

const REFERENCE = /^:([1-9][0-9]?)$/;

/** The rule number a value refers to (1-based), or undefined when the value is not a reference. */
export function referencedRule(value: string): number | undefined {
  // Most values are not references: one character says so without the regular expression.
  if (value.charCodeAt(0) !== 58) return undefined;
  const m = REFERENCE.exec(value);
  return m === null ? undefined : Number(m[1]);
}
