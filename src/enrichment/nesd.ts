/**
 * Nesd (Nessus CSV lookup service) vulnerability answers and the (ip, port) terms a backlog asks about
 * (dsiem-backend.md 3.5 and 4.10), as pure functions: no I/O, never throws.
 */

import type { EnrichmentHit } from './hit.js';
import { fail, ok } from '../shared/result.js';
import type { RuleSpec } from '../directive/rule-spec.js';
import { formatIp, parseIp } from '../net/ip.js';
import type { ParseResult } from './wise.js';

export type { ParseResult };

/** Nesd's exact answer for an (ip, port) it knows nothing about. */
export const NO_VULNERABILITY = 'no vulnerability found\n';

const KEPT_RISKS: ReadonlySet<string> = new Set(['Medium', 'High', 'Critical']);

/** The URL for one (ip, port): the first `${ip}` and the first `${port}` of the template replaced. */
export function nesdUrl(template: string, ip: string, port: number): string {
  return template.replace('${ip}', () => ip).replace('${port}', () => String(port));
}

/** The text of a vulnerability term, as hits carry it: `<ip>:<port>`. */
export function vulnTerm(ip: string, port: number): string {
  return `${ip}:${port}`;
}

/**
 * Parses a Nesd answer: `no vulnerability found\n` exactly means no hits; otherwise an array of
 * `{cve?, risk, name}` of which only Medium, High and Critical are kept, as `"<risk> - <name> (<cve>)"`.
 */
export function parseNesdResponse(ip: string, port: number, body: string): ParseResult {
  if (body === NO_VULNERABILITY) return ok([]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return fail(`error parsing nesd result: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) return fail('error parsing nesd result: not an array');
  const term = vulnTerm(ip, port);
  const hits: EnrichmentHit[] = [];
  for (const [i, entry] of parsed.entries()) {
    if (typeof entry !== 'object' || entry === null) {
      return fail(`error parsing nesd result: entry #${i + 1} is not an object`);
    }
    const { cve, risk, name } = entry as { cve?: unknown; risk?: unknown; name?: unknown };
    if (typeof risk !== 'string' || typeof name !== 'string') {
      return fail(`error parsing nesd result: entry #${i + 1} needs string "risk" and "name"`);
    }
    if (cve !== undefined && cve !== null && typeof cve !== 'string') {
      return fail(`error parsing nesd result: entry #${i + 1}: "cve" must be a string`);
    }
    if (!KEPT_RISKS.has(risk)) continue;
    const result = typeof cve === 'string' && cve !== '' ? `${risk} - ${name} (${cve})` : `${risk} - ${name}`;
    hits.push({ provider: 'Nesd', term, result });
  }
  return ok(hits);
}

export interface VulnSearchInput {
  readonly rules: readonly Pick<RuleSpec, 'from' | 'to' | 'port_from' | 'port_to'>[];
  readonly lastSrcPort: number;
  readonly lastDstPort: number;
}

export interface VulnSearchTerm {
  /** Canonical address text (formatIp). */
  readonly ip: string;
  readonly port: number;
}

/**
 * The (ip, port) pairs to ask vulnerability sources about (4.10): for every rule, every literal IP of `from`
 * with the backlog's last non-zero source port and every port of `port_from`; the same for `to`, `port_to`
 * and the last destination port. List elements are trimmed (as the rule matcher and Go Dsiem do; the Rust port
 * does not trim, so it ignores `"a, b"`'s second IP); networks, keywords, negations (`!1.2.3.4`) and
 * non-numeric or zero ports contribute nothing. Deduplicated, in first-seen order.
 */
export function vulnSearchTerms(input: VulnSearchInput): VulnSearchTerm[] {
  const terms: VulnSearchTerm[] = [];
  const seen = new Set<string>();
  const add = (ip: string, port: number): void => {
    const key = vulnTerm(ip, port);
    if (seen.has(key)) return;
    seen.add(key);
    terms.push({ ip, port });
  };
  const side = (addresses: string, ports: string, lastPort: number): void => {
    const portList = csv(ports).map(portOf).filter((p): p is number => p !== undefined);
    for (const element of csv(addresses)) {
      const parsed = parseIp(element);
      if (parsed === undefined) continue;
      const ip = formatIp(parsed);
      if (isPort(lastPort)) add(ip, lastPort);
      for (const p of portList) add(ip, p);
    }
  };
  for (const rule of input.rules) {
    side(rule.from, rule.port_from, input.lastSrcPort);
    side(rule.to, rule.port_to, input.lastDstPort);
  }
  return terms;
}

function csv(text: string): string[] {
  return text.split(',').map((s) => s.trim());
}

function portOf(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return isPort(n) ? n : undefined;
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}
