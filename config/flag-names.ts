/**
 * The spellings of the flags. Each flag has one canonical spelling (the seed's, shown by `--help`) and accepts
 * the others users already type: Go Dsiem's (`--maxQueue`, `--maxEPS`), and `-`, `_` or camelCase between
 * words (`--med-risk-min`, `--med_risk_min`, `--medRiskMin`). The command line is rewritten to the canonical
 * spellings before it is parsed, remembering what the user typed so that messages can name it.
 */

import { serveSchema, type SettingSpec } from './schema.js';

export interface FlagParts {
  readonly short?: string;
  readonly long: string;
  /** `<v>`: a value must follow; `[v]`: a value may follow; none: a switch. */
  readonly value: 'required' | 'optional' | 'none';
}

export function flagParts(flag: string): FlagParts {
  const short = /(?:^|[\s,])(-[A-Za-z])(?=[\s,]|$)/.exec(flag)?.[1];
  const long = /--[A-Za-z][\w-]*/.exec(flag)?.[0];
  if (long === undefined) throw new Error(`flag without a long name: ${flag}`);
  const value = flag.includes('<') ? 'required' : flag.includes('[') ? 'optional' : 'none';
  return { ...(short !== undefined ? { short } : {}), long, value };
}

/** `--med_risk_min` -> [med, risk, min]; `--maxEPS` -> [max, EPS]; `--intelPrivateIP` -> [intel, Private, IP]. */
export function wordsOf(long: string): string[] {
  return long
    .replace(/^--/, '')
    .split(/[-_]|(?<=[a-z0-9])(?=[A-Z])/)
    .filter((w) => w !== '');
}

/** Every accepted spelling of one long flag: as given, and with `-`, `_` or camelCase between its words. */
export function spellingsOf(long: string): string[] {
  const words = wordsOf(long);
  const lower = words.map((w) => w.toLowerCase());
  const camel = lower.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('');
  return [...new Set([long, `--${lower.join('-')}`, `--${lower.join('_')}`, `--${camel}`])];
}

export interface FlagNames {
  /** Any accepted long spelling -> the canonical long flag. */
  readonly canonical: ReadonlyMap<string, string>;
  /** Short flag -> its canonical long flag. */
  readonly shorts: ReadonlyMap<string, string>;
  /** Canonical long flags and short flags that must be followed by a value. */
  readonly needsValue: ReadonlySet<string>;
}

/** The spellings of every flag in the table; two flags claiming one spelling is a mistake in the table. */
export function flagNames(specs: readonly SettingSpec[] = Object.values(serveSchema)): FlagNames {
  const canonical = new Map<string, string>();
  const shorts = new Map<string, string>();
  const needsValue = new Set<string>();
  for (const spec of specs) {
    const parts = flagParts(spec.flag);
    if (parts.short !== undefined) {
      const taken = shorts.get(parts.short);
      if (taken !== undefined && taken !== parts.long) throw new Error(`short flag ${parts.short} is claimed by ${taken} and ${parts.long}`);
      shorts.set(parts.short, parts.long);
    }
    if (parts.value === 'required') {
      needsValue.add(parts.long);
      if (parts.short !== undefined) needsValue.add(parts.short);
    }
    for (const spelling of [parts.long, ...(spec.aliases ?? [])].flatMap(spellingsOf)) {
      const taken = canonical.get(spelling);
      if (taken !== undefined && taken !== parts.long) throw new Error(`flag spelling ${spelling} is claimed by ${taken} and ${parts.long}`);
      canonical.set(spelling, parts.long);
    }
  }
  return { canonical, shorts, needsValue };
}

export interface CanonicalArgs {
  readonly args: string[];
  /** Canonical long flag -> the spelling the user typed, when it was another one (`--max_eps` -> `--maxEPS`). */
  readonly typed: ReadonlyMap<string, string>;
}

/** Rewrites every accepted spelling to the canonical one; values and anything after `--` are left as they are. */
export function canonicalArgs(argv: readonly string[], names: FlagNames = flagNames()): CanonicalArgs {
  const args: string[] = [];
  const typed = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const long = /^(--[^=]+)(=.*)?$/s.exec(token);
    const short = /^-[A-Za-z]$/.exec(token);
    const flag = long !== null ? (names.canonical.get(long[1] as string) ?? long[1]) : short !== null ? token : undefined;
    if (flag === undefined) {
      args.push(token);
      continue;
    }
    const spelled = long !== null ? (long[1] as string) : token;
    const longFlag = long !== null ? flag : names.shorts.get(token);
    if (longFlag !== undefined && spelled !== longFlag) typed.set(longFlag, spelled);
    args.push(long !== null ? `${flag}${long[2] ?? ''}` : token);
    // The next token is this flag's value, whatever it looks like.
    if (names.needsValue.has(flag) && long?.[2] === undefined && i + 1 < argv.length) args.push(argv[++i] as string);
  }
  return { args, typed };
}
