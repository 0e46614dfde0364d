/**
 * The value formats of the settings: how a text from a flag or an environment variable becomes a value, and what
 * a value must be. Registered with convict by name; each also gives the TypeScript type of its values, so the
 * settings' types are derived from the schema instead of written a second time.
 */

import convict from 'convict';
import { accessSync, constants, statSync } from 'node:fs';
import { redactUrl } from '../src/shared/redact-url.js';

export interface Format<T> {
  /** What a value must be, for messages: "must be ...". */
  readonly expects: string;
  readonly check: (v: unknown) => v is T;
  /** Text (flag, environment) to value; a text it cannot read is returned as it is, for `check` to refuse. */
  readonly coerce: (v: unknown) => unknown;
  /** The value as it may appear in a message (credentials hidden). */
  readonly shown?: (text: string) => string;
}

const asInteger = (v: unknown) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v);
const wholeNumber = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** D8: booleans accept true/false/1/0 in any case. */
function asBoolean(v: unknown): unknown {
  const s = String(v).trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return v;
}

const text: Format<string> = { expects: 'a text', check: (v): v is string => typeof v === 'string', coerce: (v) => v };

/** A file this process can read (checked when the settings are read, so that a wrong path is a usage error). */
function isReadableFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export const FORMATS = {
  text,
  'whole-number': { expects: 'a whole number >= 0', check: wholeNumber, coerce: asInteger },
  // 0 is refused where it would divide by zero or make a timer spin (it crashed the Rust port).
  'positive-number': { expects: 'a whole number >= 1', check: (v): v is number => wholeNumber(v) && v >= 1, coerce: asInteger },
  /** A TCP port (0: where the setting says what it means). */
  port: { expects: 'a port number from 0 to 65535', check: (v): v is number => wholeNumber(v) && v <= 65535, coerce: asInteger },
  'risk-level': { expects: 'a whole number from 2 to 9', check: (v): v is number => wholeNumber(v) && v >= 2 && v <= 9, coerce: asInteger },
  /** Empty: none given (random alarm ids). */
  seed: {
    expects: 'a whole number from 0 to 4294967295',
    check: (v): v is number | '' => v === '' || (wholeNumber(v) && v <= 0xffffffff),
    coerce: (v) => (typeof v === 'string' && v.trim() === '' ? '' : asInteger(v)),
  },
  /** Empty: no limit. */
  rate: {
    expects: 'a number of events per second above 0',
    check: (v): v is number | '' => v === '' || (typeof v === 'number' && Number.isFinite(v) && v > 0),
    coerce: (v) => (typeof v !== 'string' || v.trim() === '' ? v : /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v),
  },
  /** A directive id, or (an optional value given without one) true: every directive; empty when not given. */
  'directive-choice': {
    expects: 'a directive id (a whole number)',
    check: (v): v is number | true | '' => v === '' || v === true || wholeNumber(v),
    coerce: (v) => (v === true || (typeof v === 'string' && v.trim() === '') ? v : asInteger(v)),
  },
  'dsiem-bool': { expects: 'true, false, 1 or 0', check: (v): v is boolean => typeof v === 'boolean', coerce: asBoolean },
  /** Only the first entry is used (the status or tag of new alarms), so it must not be empty. */
  list: {
    expects: 'a comma-separated list whose first entry is not empty',
    check: (v): v is string => typeof v === 'string' && (v.split(',')[0] ?? '') !== '',
    coerce: (v) => v,
  },
  /** Empty: none. */
  'readable-file-or-empty': {
    expects: 'the path of a file this user can read',
    check: (v): v is string => typeof v === 'string' && (v === '' || isReadableFile(v)),
    coerce: (v) => v,
  },
  // nats.js for Node speaks NATS over TCP only: a WebSocket URL (ws://, wss://) would be dialled as plain TCP.
  'nats-url': {
    expects: 'one or more comma-separated nats://[user:pass@]host:port or tls:// URLs (WebSocket URLs are not supported)',
    check: (v): v is string => typeof v === 'string' && v.split(',').every((u) => /^(nats|tls):\/\/\S+$/.test(u.trim())),
    coerce: (v) => v,
    shown: redactUrl,
  },
  'http-url-or-empty': {
    expects: 'an http(s) URL',
    check: (v): v is string => typeof v === 'string' && (v === '' || /^https?:\/\/\S+$/.test(v)),
    coerce: (v) => v,
    shown: redactUrl,
  },
} satisfies Record<string, Format<unknown>>;

export type FormatName = keyof typeof FORMATS;

/** The type of the values of a format. */
export type ValueOf<F extends FormatName> = (typeof FORMATS)[F] extends Format<infer T> ? T : never;

export function formatOf(name: FormatName): Format<unknown> {
  return FORMATS[name];
}

for (const [name, f] of Object.entries(FORMATS) as Array<[FormatName, Format<unknown>]>) {
  convict.addFormat({
    name,
    validate: (v: unknown) => {
      if (!f.check(v)) throw new Error(`must be ${f.expects}`);
    },
    coerce: f.coerce,
  });
}
