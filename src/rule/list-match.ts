/**
 * The comma-list semantics Dsiem uses for addresses, ports and custom data.
 *
 * A list is scanned left to right with shortcuts (Go Dsiem, go-dsiem.md 3.3): the first entry that contains the
 * value decides (a positive entry matches, a `!` entry refuses); a `!` entry that does not contain the value
 * turns the result into "match" and the scan goes on; a positive entry that does not contain it changes nothing.
 * So `"!22, 80"` accepts every port but 22, and `"10.0.0.0/8, !10.20.0.0/16"` accepts 10.20.0.7.
 */

import { cidrContains, parseCidr, type Cidr, type IpAddress } from '../net/ip.js';

export type ListItem<T> = { readonly negated: boolean; readonly value: T };

/** Splits a comma list into trimmed items; every `!` of an item is removed and marks it negated. */
export function splitList(text: string): Array<ListItem<string>> {
  return text.split(',').map((raw) => {
    const item = raw.trim();
    const negated = item.startsWith('!');
    return { negated, value: negated ? item.replace(/!/g, '').trim() : item };
  });
}

export function scanList<T, V>(items: ReadonlyArray<ListItem<T>>, value: V, hit: (item: T, value: V) => boolean): boolean {
  let result = false;
  for (const item of items) {
    const contains = hit(item.value, value);
    if (contains) return !item.negated;
    if (item.negated) result = true;
  }
  return result;
}

// ---- addresses ----------------------------------------------------------------------------------------------

export type CompiledAddressList = ReadonlyArray<ListItem<Cidr>>;

/** Compiles an address list; items that do not parse are reported and left out (validation refuses them). */
export function compileAddressList(text: string): { list: CompiledAddressList; errors: string[] } {
  const list: Array<ListItem<Cidr>> = [];
  const errors: string[] = [];
  for (const item of splitList(text)) {
    const parsed = parseCidr(item.value);
    if (parsed.ok) list.push({ negated: item.negated, value: parsed.value });
    else errors.push(parsed.error);
  }
  return { list, errors };
}

export function addressListMatches(list: CompiledAddressList, ip: IpAddress | undefined): boolean {
  if (ip === undefined) return scanList(list, ip, () => false);
  return scanList(list, ip, cidrContains);
}

// ---- ports and strings --------------------------------------------------------------------------------------

export type CompiledStringList = ReadonlyArray<ListItem<string>>;

/** Exact, case-sensitive list match (ports as decimal text, custom data lists). */
export function stringListMatches(list: CompiledStringList, term: string): boolean {
  return scanList(list, term, (item, value) => item === value);
}

/**
 * A port list with its items as numbers. An event port (an integer 0..65535: the decoder refuses others)
 * matches an item when its decimal text equals the item (`stringListMatches` on `String(port)`); only an item
 * that is the decimal text of a number can equal one, so the other items become NaN, which no port equals.
 * Same results, without a string per port checked.
 */
export type CompiledPortList = ReadonlyArray<ListItem<number>>;

export function compilePortList(text: string): CompiledPortList {
  return splitList(text).map(({ negated, value }) => {
    const n = Number(value);
    return { negated, value: value !== '' && String(n) === value ? n : NaN };
  });
}

export function portListMatches(list: CompiledPortList, port: number): boolean {
  let result = false;
  for (const item of list) {
    if (item.value === port) return !item.negated;
    if (item.negated) result = true;
  }
  return result;
}

// ---- custom data --------------------------------------------------------------------------------------------

export type CustomDataMatcher =
  | { readonly kind: 'any' }
  | { readonly kind: 'list'; readonly list: CompiledStringList }
  | { readonly kind: 'single'; readonly negated: boolean; readonly lowered: string };

/**
 * Custom data rule values: empty or `ANY` accept everything; with a comma, a case-sensitive list; otherwise a
 * case-insensitive, whitespace-trimmed equality, negated by a leading `!`.
 */
export function compileCustomData(ruleValue: string): CustomDataMatcher {
  if (ruleValue === '' || ruleValue === 'ANY') return { kind: 'any' };
  if (ruleValue.includes(',')) return { kind: 'list', list: splitList(ruleValue) };
  const trimmed = ruleValue.trim();
  const negated = trimmed.startsWith('!');
  return { kind: 'single', negated, lowered: (negated ? trimmed.slice(1) : trimmed).trim().toLowerCase() };
}

export function customDataMatches(matcher: CustomDataMatcher, eventValue: string): boolean {
  switch (matcher.kind) {
    case 'any':
      return true;
    case 'list':
      return stringListMatches(matcher.list, eventValue);
    case 'single':
      return (eventValue.trim().toLowerCase() === matcher.lowered) !== matcher.negated;
  }
}
