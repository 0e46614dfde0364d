/**
 * The `serve` configuration: one convict schema, every key with its `DSIEM_*` environment variable, doc, format
 * and default (flag names from the seed, dsiem-backend.md section 1; D8). Precedence: command-line flag >
 * environment > default. The README's configuration table is generated from this schema (a test checks it).
 */

import convict from 'convict';
import { DEFAULT_MAX_UNWRITTEN_MB } from '../src/alarm/write-retry.js';
import { checkRiskBounds, firstOfList } from './correlation-flags.js';

/** D8: booleans accept true/false/1/0 in any case. */
convict.addFormat({
  name: 'dsiem-bool',
  validate: (v: unknown) => {
    if (typeof v !== 'boolean') throw new Error('must be true, false, 1 or 0');
  },
  coerce: (v: unknown) => {
    const s = String(v).trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
    return v;
  },
});

convict.addFormat({
  name: 'whole-number',
  validate: (v: unknown) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error('must be a whole number >= 0');
  },
  coerce: (v: unknown) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
});

convict.addFormat({
  name: 'positive-number',
  validate: (v: unknown) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new Error('must be a whole number >= 1 (0 is refused: it would divide by zero or spin)');
  },
  coerce: (v: unknown) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
});

convict.addFormat({
  name: 'nats-url',
  validate: (v: unknown) => {
    if (typeof v !== 'string' || v.split(',').some((u) => !/^(nats|tls|wss?):\/\/\S+$/.test(u.trim()))) {
      throw new Error('must be one or more comma-separated nats://[user:pass@]host:port URLs');
    }
  },
});

convict.addFormat({
  name: 'http-url-or-empty',
  validate: (v: unknown) => {
    if (typeof v !== 'string' || (v !== '' && !/^https?:\/\/\S+$/.test(v))) throw new Error('must be an http(s) URL');
  },
});

export const serveSchema = {
  frontend: {
    doc: 'Base URL of the Dsiem frontend that serves the config files (GET {frontend}/config/)',
    format: 'http-url-or-empty',
    default: 'http://frontend:8080',
    env: 'DSIEM_FRONTEND',
    flag: '-f, --frontend <url>',
  },
  frontendRetries: {
    doc: 'Retries (with exponential backoff) of a failed config download before start-up fails',
    format: 'whole-number',
    default: 5,
    env: 'DSIEM_FRONTEND_RETRIES',
    flag: '--frontend-retries <n>',
  },
  configDir: {
    doc: 'Read configs from this local folder instead of downloading them from the frontend',
    format: String,
    default: '',
    env: 'DSIEM_CONFIG_DIR',
    flag: '--config-dir <dir>',
  },
  node: {
    doc: 'Node name: selects the directives_{node}_*.json files to download',
    format: String,
    default: '',
    env: 'DSIEM_NODE',
    flag: '-n, --node <name>',
  },
  logsDir: {
    doc: 'Folder for siem_alarms.json, siem_alarm_events.json and saved backlogs (backlogs/)',
    format: String,
    default: './logs',
    env: 'DSIEM_LOGS_DIR',
    flag: '--logs <dir>',
  },
  minAlarmLifetime: {
    doc: 'Minutes a backlog lives at least (added to every stage timeout)',
    format: 'whole-number',
    default: 0,
    env: 'DSIEM_MINALARMLIFETIME',
    flag: '-l, --min-alarm-lifetime <minutes>',
  },
  status: {
    doc: 'Alarm status values (comma list); the first one is used for new alarms',
    format: String,
    default: 'Open,In-Progress,Closed',
    env: 'DSIEM_STATUS',
    flag: '-s, --status <list>',
  },
  tags: {
    doc: 'Alarm tag values (comma list); the first one is used for new alarms',
    format: String,
    default: 'Identified Threat,False Positive,Valid Threat,Security Incident',
    env: 'DSIEM_TAGS',
    flag: '-t, --tags <list>',
  },
  medRiskMin: {
    doc: 'Lowest risk classified Medium (2 to 9, below med_risk_max)',
    format: 'whole-number',
    default: 3,
    env: 'DSIEM_MEDRISKMIN',
    flag: '--med_risk_min <n>',
  },
  medRiskMax: {
    doc: 'Highest risk classified Medium (2 to 9, above med_risk_min)',
    format: 'whole-number',
    default: 6,
    env: 'DSIEM_MEDRISKMAX',
    flag: '--med_risk_max <n>',
  },
  maxEps: {
    doc: 'Target events/s: the watchdog warns when processing falls behind it (also read from MAX_EPS)',
    format: 'positive-number',
    default: 1000,
    env: 'DSIEM_MAXEPS',
    flag: '-e, --max_eps <n>',
  },
  msq: {
    doc: 'NATS server URL(s); credentials may be given as nats://user:pass@host:port (never logged)',
    format: 'nats-url',
    default: 'nats://dsiem-nats:4222',
    env: 'DSIEM_MSQ',
    flag: '--msq <url>',
    sensitive: true,
  },
  natsCreds: {
    doc: 'Path of a NATS credentials file (JWT + nkey seed), for servers that require one',
    format: String,
    default: '',
    env: 'DSIEM_NATS_CREDS',
    flag: '--nats-creds <file>',
  },
  natsTlsCa: {
    doc: 'Path of a CA certificate for TLS connections to NATS (tls:// URLs)',
    format: String,
    default: '',
    env: 'DSIEM_NATS_TLS_CA',
    flag: '--nats-tls-ca <file>',
  },
  cache: {
    doc: 'Minutes that intel and vulnerability lookup results are cached',
    format: 'whole-number',
    default: 10,
    env: 'DSIEM_CACHEDURATION',
    flag: '-c, --cache <minutes>',
  },
  maxQueue: {
    doc: 'Events waiting for correlation before new ones are dropped (counted and logged); 0 means 1,000,000',
    format: 'whole-number',
    default: 25000,
    env: 'DSIEM_MAXQUEUE',
    flag: '-q, --max_queue <n>',
  },
  maxUnwrittenMb: {
    doc: 'MiB of alarm lines kept in memory while the alarm files cannot be written; at this bound intake pauses (new events are dropped, counted and overload=true is sent) until a write succeeds',
    format: 'positive-number',
    default: DEFAULT_MAX_UNWRITTEN_MB,
    env: 'DSIEM_MAX_UNWRITTEN_MB',
    flag: '--max-unwritten-mb <n>',
  },
  natsPendingMb: {
    doc: 'MiB of received events the NATS subscription holds before decoding them; beyond it new events are dropped (counted and logged)',
    format: 'positive-number',
    default: 64,
    env: 'DSIEM_NATS_PENDING_MB',
    flag: '--nats-pending-mb <n>',
  },
  holdDuration: {
    doc: 'Seconds without late events before overload=false is sent to the frontend',
    format: 'positive-number',
    default: 10,
    env: 'DSIEM_HOLDDURATION',
    flag: '--hold_duration <seconds>',
  },
  maxDelay: {
    doc: 'Seconds an event may wait (since the frontend received it) before overload=true is sent; 0 disables',
    format: 'whole-number',
    default: 180,
    env: 'DSIEM_MAXDELAY',
    flag: '-d, --max_delay <seconds>',
  },
  intelPrivateIp: {
    doc: 'Also look up private (non-global) addresses in threat intel',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_INTELPRIVATEIP',
    flag: '--intel_private_ip',
  },
  reloadBacklogs: {
    doc: 'Save live backlogs on SIGTERM/SIGINT and reload them at start',
    format: 'dsiem-bool',
    default: true,
    env: 'DSIEM_RELOAD_BACKLOGS',
    flag: '--reload-backlogs [bool]',
  },
  json: {
    doc: 'Log JSON lines instead of text',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_JSON',
    flag: '-j, --json',
  },
  debug: {
    doc: 'Debug logs (same as -v)',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_DEBUG',
    flag: '--debug',
  },
  trace: {
    doc: 'Trace logs (same as -vv); --debug wins when both are set',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_TRACE',
    flag: '--trace',
  },
} as const;

export type ServeKey = keyof typeof serveSchema;

function convictSchema() {
  const out: Record<string, { doc: string; format: unknown; default: unknown; env: string; sensitive?: boolean }> = {};
  for (const [key, spec] of Object.entries(serveSchema)) {
    out[key] = { doc: spec.doc, format: spec.format, default: spec.default, env: spec.env, ...('sensitive' in spec ? { sensitive: true } : {}) };
  }
  return out;
}

export interface ServeConfig {
  frontend: string;
  frontendRetries: number;
  configDir: string;
  node: string;
  logsDir: string;
  minAlarmLifetime: number;
  status: string;
  tags: string;
  medRiskMin: number;
  medRiskMax: number;
  maxEps: number;
  msq: string;
  natsCreds: string;
  natsTlsCa: string;
  cache: number;
  maxQueue: number;
  maxUnwrittenMb: number;
  natsPendingMb: number;
  holdDuration: number;
  maxDelay: number;
  intelPrivateIp: boolean;
  reloadBacklogs: boolean;
  json: boolean;
  debug: boolean;
  trace: boolean;
}

export type LoadedServeConfig = { ok: true; config: ServeConfig; describe: () => string } | { ok: false; error: string };

/**
 * Builds the configuration from the environment and the flags given on the command line (`cli`, keyed by
 * schema key; only flags actually given). Validates strictly.
 */
export function loadServeConfig(env: NodeJS.ProcessEnv, cli: Partial<Record<ServeKey, unknown>>): LoadedServeConfig {
  const effectiveEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') effectiveEnv[k] = v;
  // D8: --max_eps reads DSIEM_MAXEPS and also MAX_EPS (the seed's name).
  if (effectiveEnv['DSIEM_MAXEPS'] === undefined && effectiveEnv['MAX_EPS'] !== undefined) effectiveEnv['DSIEM_MAXEPS'] = effectiveEnv['MAX_EPS'];
  try {
    const cfg = convict(convictSchema(), { env: effectiveEnv, args: [] });
    for (const [key, value] of Object.entries(cli)) if (value !== undefined) cfg.set(key, value);
    cfg.validate({ allowed: 'strict' });
    const config = cfg.getProperties() as unknown as ServeConfig;
    const problem = crossCheck(config);
    if (problem !== undefined) return { ok: false, error: problem };
    return { ok: true, config, describe: () => cfg.toString() };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function crossCheck(c: ServeConfig): string | undefined {
  if (c.configDir === '' && c.frontend === '') return 'either --frontend (DSIEM_FRONTEND) or --config-dir (DSIEM_CONFIG_DIR) is needed';
  if (c.configDir === '' && c.node === '') return '--node (DSIEM_NODE) is required when configs come from the frontend';
  const bounds = checkRiskBounds(c.medRiskMin, c.medRiskMax);
  if (bounds !== undefined) return bounds;
  const status = firstOfList('--status', c.status);
  if (!status.ok) return status.error;
  const tags = firstOfList('--tags', c.tags);
  return tags.ok ? undefined : tags.error;
}
