/**
 * Every setting of every command, in one table: its flag, its `DSIEM_*` environment variable, doc, format and
 * default (flag names from the seed, dsiem-backend.md section 1; D8). The command line, the convict schema, the
 * settings' types, the `--help` texts and the README's configuration table all come from this table: adding a
 * flag is adding one entry. Precedence: command-line flag > environment > default.
 */

import { DEFAULT_MAX_UNWRITTEN_MB } from '../src/alarm/write-retry.js';
import type { FormatName, ValueOf } from './formats.js';

export const COMMANDS = ['serve', 'replay', 'validate', 'migrate', 'publish', 'explain', 'test', 'stats'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface SettingSpec {
  readonly doc: string;
  readonly format: FormatName;
  readonly default: string | number | boolean;
  /** Commander flags, canonical spelling: `-e, --max_eps <n>` (`<v>` a value, `[v]` an optional value). */
  readonly flag: string;
  /** Read by the commands that read the environment (`serve`). */
  readonly env?: string;
  /** A second variable, read when `env` is not set. */
  readonly alsoEnv?: string;
  /** Other spellings accepted (Go Dsiem's); `-`, `_` and camelCase forms of every spelling are accepted too. */
  readonly aliases?: readonly string[];
  /** The commands that take it (default: serve only). */
  readonly commands?: readonly CommandName[];
  /** Commands where it must be given. */
  readonly requiredIn?: readonly CommandName[];
  /** Also accepted before the command, as the seed's global options (`dsiem-backend -j serve`). */
  readonly global?: boolean;
  /** Never shown in logs or messages as it is (credentials). */
  readonly sensitive?: boolean;
}

const ALL: readonly CommandName[] = ['serve', 'replay', 'validate', 'migrate', 'publish', 'explain', 'test', 'stats'];
const CORRELATION: readonly CommandName[] = ['serve', 'replay'];
/** The settings that decide how events correlate: explain takes them too, to explain the run they give. */
const CORRELATION_RULES: readonly CommandName[] = ['serve', 'replay', 'explain'];
const CONFIGS: readonly CommandName[] = ['serve', 'replay', 'validate', 'migrate', 'explain'];

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
    doc: 'Folder of config files (assets_*.json, directives_*.json, intel_*.json, vuln_*.json); for serve, instead of downloading them from --frontend',
    format: 'text',
    default: '',
    env: 'DSIEM_CONFIG_DIR',
    flag: '--config <dir>',
    aliases: ['--config-dir'],
    commands: CONFIGS,
    requiredIn: ['replay', 'validate', 'migrate', 'explain'],
  },
  node: {
    doc: 'Node name: only the directives_{node}_*.json files are taken (downloaded, or read from --config)',
    format: 'text',
    default: '',
    env: 'DSIEM_NODE',
    flag: '-n, --node <name>',
    commands: CONFIGS,
  },
  out: {
    doc: 'New or empty folder for the corrected files and migration-report.jsonl',
    format: 'text',
    default: '',
    flag: '--out <dir>',
    commands: ['migrate'],
    requiredIn: ['migrate'],
  },
  logsDir: {
    doc: 'Folder for siem_alarms.json and siem_alarm_events.json (serve also saves backlogs there, in backlogs/)',
    format: 'text',
    default: './logs',
    env: 'DSIEM_LOGS_DIR',
    flag: '--logs <dir>',
    commands: CORRELATION,
    requiredIn: ['replay'],
  },
  events: {
    doc: 'JSON-lines file of normalized events',
    format: 'text',
    default: '',
    flag: '--events <file>',
    commands: ['replay', 'publish', 'explain'],
    requiredIn: ['replay', 'publish', 'explain'],
  },
  drain: {
    doc: 'After the last event, let every open backlog expire',
    format: 'dsiem-bool',
    default: false,
    flag: '--drain',
    commands: ['replay', 'explain'],
  },
  explain: {
    doc: 'After the run, explain every event: the directives it reached, each backlog it met and the outcome (only for this directive id, when given)',
    format: 'directive-choice',
    default: '',
    flag: '--explain [directive]',
    commands: ['replay'],
  },
  directive: {
    doc: 'Explain only this directive (by id), and why events do not reach it',
    format: 'directive-choice',
    default: '',
    flag: '--directive <id>',
    commands: ['explain'],
  },
  coverage: {
    doc: 'After the run, print per directive the events that reached it, backlogs, alarms, the stages reached and those never reached',
    format: 'dsiem-bool',
    default: false,
    flag: '--coverage',
    commands: ['replay', 'test'],
  },
  update: {
    doc: 'Write each case\'s expected.json from the alarms it raises, instead of comparing',
    format: 'dsiem-bool',
    default: false,
    flag: '--update',
    commands: ['test'],
  },
  junit: {
    doc: 'Also write a JUnit XML report of the cases to this file (for CI)',
    format: 'text',
    default: '',
    flag: '--junit <file>',
    commands: ['test'],
  },
  append: {
    doc: 'Append to the alarm files instead of starting them empty',
    format: 'dsiem-bool',
    default: false,
    flag: '--append',
    commands: ['replay'],
  },
  seed: {
    doc: 'Reproducible alarm ids from this seed (0 to 4294967295), so that two runs can be diffed; random ids when empty',
    format: 'seed',
    default: '',
    flag: '--seed <n>',
    commands: ['replay'],
  },
  now: {
    doc: 'Shift timestamps so that the first event is now, keeping the gaps between events',
    format: 'dsiem-bool',
    default: false,
    flag: '--now',
    commands: ['publish'],
  },
  rate: {
    doc: 'Events per second at most; as fast as NATS takes them when empty',
    format: 'rate',
    default: '',
    flag: '--rate <n>',
    commands: ['publish'],
  },
  minAlarmLifetime: {
    doc: 'Minutes a backlog lives at least (added to every stage timeout)',
    format: 'whole-number',
    default: 0,
    env: 'DSIEM_MINALARMLIFETIME',
    flag: '-l, --min-alarm-lifetime <minutes>',
    commands: CORRELATION_RULES,
  },
  status: {
    doc: 'Alarm status values (comma list); the first one is used for new alarms',
    format: 'list',
    default: 'Open,In-Progress,Closed',
    env: 'DSIEM_STATUS',
    flag: '-s, --status <list>',
    commands: CORRELATION_RULES,
  },
  tags: {
    doc: 'Alarm tag values (comma list); the first one is used for new alarms',
    format: 'list',
    default: 'Identified Threat,False Positive,Valid Threat,Security Incident',
    env: 'DSIEM_TAGS',
    flag: '-t, --tags <list>',
    commands: CORRELATION_RULES,
  },
  medRiskMin: {
    doc: 'Lowest risk classified Medium (2 to 9, below med_risk_max)',
    format: 'risk-level',
    default: 3,
    env: 'DSIEM_MEDRISKMIN',
    flag: '--med_risk_min <n>',
    commands: CORRELATION_RULES,
  },
  medRiskMax: {
    doc: 'Highest risk classified Medium (2 to 9, above med_risk_min)',
    format: 'risk-level',
    default: 6,
    env: 'DSIEM_MEDRISKMAX',
    flag: '--med_risk_max <n>',
    commands: CORRELATION_RULES,
  },
  maxEps: {
    doc: 'Target events/s: the watchdog warns when processing falls behind it (also read from MAX_EPS)',
    format: 'positive-number',
    default: 1000,
    env: 'DSIEM_MAXEPS',
    alsoEnv: 'MAX_EPS',
    flag: '-e, --max_eps <n>',
    aliases: ['--maxEPS'],
  },
  msq: {
    doc: 'NATS server URL(s); credentials may be given as nats://user:pass@host:port (never logged)',
    format: 'nats-url',
    default: 'nats://dsiem-nats:4222',
    env: 'DSIEM_MSQ',
    flag: '--msq <url>',
    sensitive: true,
    commands: ['serve', 'publish', 'stats'],
  },
  natsCreds: {
    doc: 'Path of a NATS credentials file (JWT + nkey seed), for servers that require one',
    format: 'readable-file-or-empty',
    default: '',
    env: 'DSIEM_NATS_CREDS',
    flag: '--nats-creds <file>',
    commands: ['serve', 'publish', 'stats'],
  },
  natsTlsCa: {
    doc: 'Path of a CA certificate for TLS connections to NATS (tls:// URLs)',
    format: 'readable-file-or-empty',
    default: '',
    env: 'DSIEM_NATS_TLS_CA',
    flag: '--nats-tls-ca <file>',
    commands: ['serve', 'publish', 'stats'],
  },
  cache: {
    doc: 'Minutes that intel and vulnerability lookup results are cached',
    format: 'whole-number',
    default: 10,
    env: 'DSIEM_CACHEDURATION',
    flag: '-c, --cache <minutes>',
    aliases: ['--cacheDuration'],
    commands: CORRELATION,
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
    aliases: ['--intelPrivateIP'],
    commands: CORRELATION,
  },
  jetstream: {
    doc: 'Take events from a JetStream stream that captures dsiem_events (needs nats-server 2.x with -js): a crash or a restart loses no event and writes no alarm-event line twice; checkpoints every --checkpoint-interval seconds',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_JETSTREAM',
    flag: '--jetstream [bool]',
  },
  jsStream: {
    doc: 'Name of the JetStream stream that captures dsiem_events (made when missing, used as it is when present)',
    format: 'text',
    default: 'DSIEM_EVENTS',
    env: 'DSIEM_JS_STREAM',
    flag: '--js-stream <name>',
  },
  jsMaxAge: {
    doc: 'Hours a new stream keeps events (its max_age; an existing stream keeps its own limits)',
    format: 'positive-number',
    default: 24,
    env: 'DSIEM_JS_MAX_AGE',
    flag: '--js-max-age <hours>',
  },
  jsMaxBytes: {
    doc: 'Bytes a new stream keeps at most (its max_bytes; 0: no bound, only --js-max-age)',
    format: 'whole-number',
    default: 0,
    env: 'DSIEM_JS_MAX_BYTES',
    flag: '--js-max-bytes <n>',
  },
  checkpointInterval: {
    doc: 'JetStream mode: seconds between checkpoints of the live backlogs (the stream is acknowledged up to each once it is on disk)',
    format: 'positive-number',
    default: 5,
    env: 'DSIEM_CHECKPOINT_INTERVAL',
    flag: '--checkpoint-interval <seconds>',
  },
  reloadBacklogs: {
    doc: 'Save live backlogs on SIGTERM/SIGINT and reload them at start',
    format: 'dsiem-bool',
    default: true,
    env: 'DSIEM_RELOAD_BACKLOGS',
    flag: '--reload-backlogs [bool]',
  },
  watch: {
    doc: 'Reload the configuration when a file of --config changes (debounced); SIGHUP and a dsiem_backend_reload request always reload',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_WATCH',
    flag: '--watch',
  },
  address: {
    doc: 'Address the HTTP server (/metrics, /healthz, /readyz) listens on',
    format: 'text',
    default: '0.0.0.0',
    env: 'DSIEM_ADDRESS',
    flag: '--address <ip>',
  },
  port: {
    doc: 'Port of the HTTP server (/metrics, /healthz, /readyz); 0 disables it',
    format: 'port',
    default: 8080,
    env: 'DSIEM_PORT',
    flag: '--port <n>',
  },
  metricsDirectives: {
    doc: 'Also export per-directive series (events, backlogs, alarms) on /metrics: one series per directive each',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_METRICS_DIRECTIVES',
    flag: '--metrics-directives',
  },
  json: {
    doc: 'JSON lines instead of text: the log, and the output of the offline commands and stats (summaries, problems, replies)',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_JSON',
    flag: '-j, --json',
    commands: ALL,
    global: true,
  },
  debug: {
    doc: 'Debug logs (same as -v)',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_DEBUG',
    flag: '--debug',
    commands: ALL,
    global: true,
  },
  trace: {
    doc: 'Trace logs (same as -vv); --debug wins when both are set',
    format: 'dsiem-bool',
    default: false,
    env: 'DSIEM_TRACE',
    flag: '--trace',
    commands: ALL,
    global: true,
  },
} as const satisfies Record<string, SettingSpec>;

export type ServeKey = keyof typeof serveSchema;
export type SettingKey = ServeKey;

type Table = typeof serveSchema;
type CommandsOf<S> = S extends { readonly commands: readonly (infer C)[] } ? C : 'serve';

/** The keys a command takes. */
export type KeysOf<C extends CommandName> = { [K in SettingKey]: C extends CommandsOf<Table[K]> ? K : never }[SettingKey];

/** A command's settings, typed from the table (no second, hand-written definition). */
export type SettingsOf<C extends CommandName> = { readonly [K in KeysOf<C>]: ValueOf<Table[K]['format']> };

export type ServeConfig = SettingsOf<'serve'>;

export function specOf(key: SettingKey): SettingSpec {
  return serveSchema[key];
}

export function keysOf<C extends CommandName>(command: C): Array<KeysOf<C>> {
  return (Object.keys(serveSchema) as SettingKey[]).filter((k) => (specOf(k).commands ?? ['serve']).includes(command)) as Array<KeysOf<C>>;
}
