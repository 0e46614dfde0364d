/**
 * Reads a command's settings once, from the flags given and (for `serve`) the environment, through convict, and
 * checks them strictly. Problems name what the user set: `DSIEM_MAXEPS (--max_eps): must be a whole number >= 1,
 * got "0"` for a variable, `--maxEPS (--max_eps): ...` for a flag, never an internal key.
 */

import convict from 'convict';
import { fail, ok, type Result } from '../src/shared/result.js';
import { CROSS_CHECKS } from './cross-checks.js';
import { flagParts } from './flag-names.js';
import { formatOf } from './formats.js';
import { keysOf, specOf, type CommandName, type SettingKey, type SettingsOf } from './schema.js';

/** The commands that read `DSIEM_*` variables (serve, and publish for its NATS URL); the offline ones take flags only, so a deployment's environment does not leak into them. */
export const READS_ENVIRONMENT: readonly CommandName[] = ['serve', 'publish', 'stats'];

export interface GivenFlag {
  readonly key: SettingKey;
  /** As typed (`--maxEPS`, `-e`), for messages. */
  readonly spelling: string;
  readonly value: unknown;
}

type Source =
  | { readonly kind: 'flag'; readonly spelling: string; readonly text: string }
  | { readonly kind: 'env'; readonly name: string; readonly text: string }
  | { readonly kind: 'default' };

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

const longOf = (key: SettingKey) => flagParts(specOf(key).flag).long;

function shown(key: SettingKey, text: string): string {
  return formatOf(specOf(key).format).shown?.(text) ?? text;
}

/** The setting as the user reached it: `--maxEPS (--max_eps)`, `DSIEM_MAXEPS (--max_eps)`, `--max_eps (default)`. */
function whereOf(key: SettingKey, source: Source): string {
  const long = longOf(key);
  if (source.kind === 'flag') return source.spelling === long ? long : `${source.spelling} (${long})`;
  if (source.kind === 'env') return `${source.name} (${long})`;
  return `${long} (default)`;
}

/** The setting and its value as the user set it: `--med_risk_min 7`, `DSIEM_MEDRISKMAX=6`, `--med_risk_max 6 (default)`. */
function saidOf(key: SettingKey, source: Source, value: unknown): string {
  if (source.kind === 'flag') return `${source.spelling} ${shown(key, source.text)}`;
  if (source.kind === 'env') return `${source.name}=${shown(key, source.text)}`;
  return `${longOf(key)} ${shown(key, String(value))} (default)`;
}

function environmentSources(keys: readonly SettingKey[], env: NodeJS.ProcessEnv): Map<SettingKey, Source> {
  const sources = new Map<SettingKey, Source>();
  for (const key of keys) {
    const spec = specOf(key);
    for (const name of [spec.env, spec.alsoEnv]) {
      const text = name === undefined ? undefined : env[name];
      if (name === undefined || text === undefined) continue;
      sources.set(key, { kind: 'env', name, text });
      break;
    }
  }
  return sources;
}

function convictSchema(keys: readonly SettingKey[]): Record<string, convict.SchemaObj> {
  const schema: Record<string, convict.SchemaObj> = {};
  for (const key of keys) {
    const spec = specOf(key);
    schema[key] = { doc: spec.doc, format: spec.format, default: spec.default, ...(spec.env !== undefined ? { env: spec.env } : {}), sensitive: spec.sensitive === true };
  }
  return schema;
}

/**
 * `env` is read only for the variables of the command's settings (pass `{}` for flags only); `given` holds the
 * flags actually typed. Every problem is reported, one per line.
 */
export function loadSettings<C extends CommandName>(command: C, env: NodeJS.ProcessEnv, given: readonly GivenFlag[]): Result<SettingsOf<C>, SettingsError> {
  const keys: SettingKey[] = keysOf(command);
  const sources = environmentSources(keys, env);
  // convict reads each variable under the setting's own name: MAX_EPS arrives as DSIEM_MAXEPS.
  const convictEnv: Record<string, string> = {};
  for (const [key, source] of sources) if (source.kind === 'env') convictEnv[specOf(key).env as string] = source.text;
  const cfg = convict<Record<string, unknown>>(convictSchema(keys), { env: convictEnv, args: [] });
  for (const flag of given) {
    if (!keys.includes(flag.key)) continue;
    cfg.set(flag.key, flag.value);
    sources.set(flag.key, { kind: 'flag', spelling: flag.spelling, text: String(flag.value) });
  }
  const values = cfg.getProperties() as Record<SettingKey, unknown>;
  const sourceOf = (key: SettingKey): Source => sources.get(key) ?? { kind: 'default' };
  const problems: string[] = [];
  for (const key of keys) {
    const spec = specOf(key);
    const format = formatOf(spec.format);
    const source = sourceOf(key);
    if (!format.check(values[key])) {
      const text = source.kind === 'default' ? String(spec.default) : source.text;
      problems.push(`${whereOf(key, source)}: must be ${format.expects}, got ${JSON.stringify(shown(key, text))}`);
    } else if (spec.requiredIn?.includes(command) === true && source.kind === 'default') {
      problems.push(`required option ${spec.flag} not given`);
    }
  }
  if (problems.length === 0) {
    const named = (key: SettingKey) => (READS_ENVIRONMENT.includes(command) && specOf(key).env !== undefined ? `${longOf(key)} (${specOf(key).env})` : longOf(key));
    for (const check of CROSS_CHECKS) {
      if (!check.keys.every((k) => keys.includes(k)) || (check.commands !== undefined && !check.commands.includes(command))) continue;
      const problem = check.problem((k) => values[k], (k) => saidOf(k, sourceOf(k), values[k]), named);
      if (problem !== undefined) problems.push(problem);
    }
  }
  if (problems.length > 0) return fail(new SettingsError(problems));
  try {
    cfg.validate({ allowed: 'strict' });
  } catch (err) {
    return fail(new SettingsError([(err as Error).message]));
  }
  // Every value has passed its format's check, which is what its type says.
  return ok(cfg.getProperties() as SettingsOf<C>);
}
