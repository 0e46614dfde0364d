/**
 * The `dsiem-backend` command line: `replay`, `validate` and `migrate` (offline), `serve` and `publish` (NATS).
 * Exit status: 0 done, 1 invalid config or failed run, 2 usage error.
 */

import { Command, CommanderError, Option } from 'commander';
import { loadServeConfig, serveSchema, type ServeKey } from '../config/schema.js';
import { natsOptions, redactUrl, runServe, StartupError } from './serve.js';
import { loadConfigDir, type LoadedConfig } from '../src/config-files/config-dir.js';
import { CORRELATION_DEFAULTS, parseCorrelationFlags, type CorrelationFlags } from '../config/correlation-flags.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import { formatSummary, noValidEvent, runReplay, summaryJson, type ReplayOptions } from './replay.js';
import { checkEventsFile } from './events-file.js';
import { logConfigWarnings, runValidate } from './validate-command.js';
import { runMigrate } from './migrate-command.js';
import { fail, ok, type Result } from '../src/shared/result.js';
import { formatPublishSummary, runPublish } from './publish.js';

interface LogFlags {
  json?: boolean;
  verbose?: number;
}

function levelOf(flags: LogFlags): LogLevel {
  const v = flags.verbose ?? 0;
  return v >= 2 ? 'silly' : v === 1 ? 'debug' : 'info';
}

function addLogOptions(cmd: Command): Command {
  return cmd
    .option('-j, --json', 'log JSON lines instead of text')
    .option('-v, --verbose', 'more logs (-v debug, -vv trace)', (_v: string, prev: number) => prev + 1, 0);
}

function addCorrelationOptions(cmd: Command): Command {
  return cmd
    .option('-l, --min-alarm-lifetime <minutes>', 'backlogs never expire sooner than this', CORRELATION_DEFAULTS.minAlarmLifetime)
    .option('--med_risk_min <n>', 'lowest risk classified Medium', CORRELATION_DEFAULTS.medRiskMin)
    .option('--med_risk_max <n>', 'highest risk classified Medium', CORRELATION_DEFAULTS.medRiskMax)
    .option('-s, --status <list>', 'alarm status values; the first one is used', CORRELATION_DEFAULTS.status)
    .option('-t, --tags <list>', 'alarm tag values; the first one is used', CORRELATION_DEFAULTS.tags);
}

/** Commander keeps the seed's underscores in option keys (`--med_risk_min` -> `med_risk_min`). */
interface CommanderCorrelationFlags {
  minAlarmLifetime: string;
  med_risk_min: string;
  med_risk_max: string;
  status: string;
  tags: string;
}

function fromCommander(o: CommanderCorrelationFlags): CorrelationFlags {
  return { minAlarmLifetime: o.minAlarmLifetime, medRiskMin: o.med_risk_min, medRiskMax: o.med_risk_max, status: o.status, tags: o.tags };
}

/** `replay`'s own flags (besides the correlation and log flags). */
function addReplayOptions(cmd: Command): Command {
  return cmd
    .option('--append', 'append to the alarm files instead of starting them empty')
    .option('--seed <n>', 'reproducible alarm ids from this seed (0 to 4294967295), so that two runs can be diffed')
    .option(serveSchema.intelPrivateIp.flag, serveSchema.intelPrivateIp.doc)
    .option(serveSchema.cache.flag, serveSchema.cache.doc, String(serveSchema.cache.default));
}

interface ReplayFlags {
  append?: boolean;
  seed?: string;
  intel_private_ip?: boolean;
  cache: string;
}

function parseReplayFlags(f: ReplayFlags): Result<Pick<ReplayOptions, 'append' | 'seed' | 'enrichment'>> {
  const whole = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : NaN);
  const seed = f.seed === undefined ? undefined : whole(f.seed);
  if (seed !== undefined && !(seed <= 0xffffffff)) return fail(`--seed: must be a whole number from 0 to 4294967295, got "${f.seed}"`);
  const cacheMinutes = whole(f.cache);
  if (Number.isNaN(cacheMinutes)) return fail(`--cache: must be a whole number of minutes, got "${f.cache}"`);
  return ok({ append: f.append === true, ...(seed !== undefined ? { seed } : {}), enrichment: { cacheMinutes, intelPrivateIp: f.intel_private_ip === true } });
}

class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

async function loadOrExit(dir: string, log: Logger): Promise<LoadedConfig> {
  const loaded = await loadConfigDir(dir);
  if (!loaded.ok) throw new ExitError(`invalid config: ${loaded.error}`, 1);
  const c = loaded.value;
  log.info('config loaded', {
    dir,
    directives: c.directives.length,
    disabledDirectives: c.disabledDirectives,
    assets: c.assets.length,
    intelSources: c.intelSources.length,
    vulnSources: c.vulnSources.length,
  });
  logConfigWarnings(c, log);
  return c;
}

export function buildProgram(): Command {
  const program = new Command('dsiem-backend')
    .description('Dsiem backend: OSSIM-style correlation of normalized events into alarms')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
    // The seed's global options, given before the command (`dsiem-backend -j serve`); each command takes them too.
    .option('-j, --json', 'log JSON lines instead of text')
    .option('-v, --verbose', 'more logs (-v debug, -vv trace)', (_v: string, prev: number) => prev + 1, 0)
    .option('--debug', 'debug logs (same as -v)')
    .option('--trace', 'trace logs (same as -vv)');
  /** Command options merged with the global ones given before the command. */
  const withGlobals = <T extends object>(opts: T): T => {
    const g = program.opts<{ json?: boolean; verbose?: number; debug?: boolean; trace?: boolean }>();
    const own = opts as { json?: boolean; verbose?: number };
    const verbose = Math.max(own.verbose ?? 0, g.verbose ?? 0, g.debug === true ? 1 : 0, g.trace === true ? 2 : 0);
    return { ...opts, json: own.json ?? g.json, verbose, ...(g.debug === true ? { debug: true } : {}), ...(g.trace === true ? { trace: true } : {}) };
  };

  addReplayOptions(
    addLogOptions(
      addCorrelationOptions(
        program
          .command('replay')
          .description('correlate a JSON-lines events file offline, with the clock driven by event time')
          .requiredOption('--config <dir>', 'folder with directives_*.json, assets_*.json (and intel_/vuln_ files)')
          .requiredOption('--events <file>', 'JSON-lines file of normalized events')
          .requiredOption('--logs <dir>', 'folder for siem_alarms.json and siem_alarm_events.json')
          .option('--drain', 'after the last event, let every open backlog expire'),
      ),
    ),
  ).action(async (given: CommanderCorrelationFlags & LogFlags & ReplayFlags & { config: string; events: string; logs: string; drain?: boolean }) => {
    const opts = withGlobals(given);
    const log = createLogger({ json: opts.json === true, level: levelOf(opts), stream: 'stderr' });
    const correlation = parseCorrelationFlags(fromCommander(opts));
    if (!correlation.ok) throw new ExitError(correlation.error, 2);
    const replayFlags = parseReplayFlags(opts);
    if (!replayFlags.ok) throw new ExitError(replayFlags.error, 2);
    const config = await loadOrExit(opts.config, log);
    const readable = await checkEventsFile(opts.events);
    if (!readable.ok) throw new ExitError(readable.error.message, 1);
    const summary = await runReplay({
      config,
      eventsFile: opts.events,
      logsDir: opts.logs,
      drain: opts.drain === true,
      correlation: correlation.value,
      log,
      ...replayFlags.value,
    });
    process.stdout.write(opts.json === true ? `${JSON.stringify(summaryJson(summary))}\n` : `${formatSummary(summary)}\n`);
    const unusable = noValidEvent(opts.events, summary);
    if (unusable !== undefined) throw new ExitError(unusable, 1);
  });

  addLogOptions(
    program
      .command('validate')
      .description('load and check every config file; print every problem (file:line:column), then a count')
      .requiredOption('--config <dir>', 'folder with directives_*.json, assets_*.json, intel_*.json, vuln_*.json')
      .option('-n, --node <name>', 'check only directives_{node}_*.json, as serve --node reads them'),
  ).action(async (given: LogFlags & { config: string; node?: string }) => {
    const opts = withGlobals(given);
    const outcome = await runValidate({
      config: opts.config,
      ...(opts.node === undefined ? {} : { node: opts.node }),
      json: opts.json === true,
      write: (line) => process.stdout.write(`${line}\n`),
    });
    if ('fatal' in outcome) throw new ExitError(`invalid config: ${outcome.fatal}`, 1);
    if (outcome.code !== 0) throw new ExitError('', outcome.code);
  });

  addLogOptions(
    program
      .command('migrate')
      .description("write a Go Dsiem config folder's silent load-time corrections out explicitly, with a report of every change")
      .requiredOption('--config <dir>', 'folder with the Go Dsiem config files')
      .requiredOption('--out <dir>', 'new or empty folder for the corrected files and migration-report.jsonl')
      .option('-n, --node <name>', 'migrate only directives_{node}_*.json'),
  ).action(async (given: LogFlags & { config: string; out: string; node?: string }) => {
    const opts = withGlobals(given);
    const outcome = await runMigrate({
      config: opts.config,
      out: opts.out,
      ...(opts.node === undefined ? {} : { node: opts.node }),
      json: opts.json === true,
      write: (line) => process.stdout.write(`${line}\n`),
    });
    if (outcome.fatal !== undefined) throw new ExitError(outcome.fatal, 1);
    if (outcome.code !== 0) throw new ExitError('', outcome.code);
  });

  addLogOptions(
    program
      .command('publish')
      .description('publish a JSON-lines events file on dsiem_events as the Dsiem frontend does (rcvd_time set)')
      .requiredOption('--events <file>', 'JSON-lines file of normalized events')
      .option('--msq <url>', 'NATS server URL [env DSIEM_MSQ]', process.env['DSIEM_MSQ'] ?? serveSchema.msq.default)
      .option('--now', 'shift timestamps so that the first event is now, keeping the gaps between events')
      .option('--rate <n>', 'events per second at most (default: as fast as NATS takes them)'),
  ).action(async (given: LogFlags & { events: string; msq: string; now?: boolean; rate?: string }) => {
    const opts = withGlobals(given);
    const log = createLogger({ json: opts.json === true, level: levelOf(opts), stream: 'stderr' });
    const rate = opts.rate === undefined ? undefined : Number(opts.rate);
    if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) throw new ExitError(`--rate: must be a number of events per second above 0, got "${opts.rate}"`, 2);
    let nats;
    try {
      nats = natsOptions(opts.msq, '', '');
    } catch {
      throw new ExitError(`--msq: not a NATS URL: "${redactUrl(opts.msq)}"`, 2);
    }
    const readable = await checkEventsFile(opts.events);
    if (!readable.ok) throw new ExitError(readable.error.message, 1);
    const target = { eventsFile: opts.events, server: redactUrl(opts.msq) };
    const done = await runPublish({ ...target, nats, now: opts.now === true, ...(rate !== undefined ? { rate } : {}), log });
    if (!done.ok) throw new ExitError(done.error.message, 1);
    process.stdout.write(opts.json === true ? `${JSON.stringify({ events_file: opts.events, server: target.server, published: done.value.published, skipped: done.value.skipped, unshifted: done.value.unshifted, shift_seconds: done.value.shiftSeconds, seconds: done.value.seconds })}\n` : `${formatPublishSummary(target, done.value)}\n`);
    if (done.value.published === 0) throw new ExitError(`nothing published: no line of ${opts.events} is a JSON object`, 1);
  });

  const serve = program
    .command('serve')
    .description('run the backend: events from NATS, configs from the frontend (or --config-dir), alarms to --logs');
  const attributeToKey = new Map<string, ServeKey>();
  for (const [key, spec] of Object.entries(serveSchema) as Array<[ServeKey, (typeof serveSchema)[ServeKey]]>) {
    const option = new Option(spec.flag, `${spec.doc} [env ${spec.env}, default ${JSON.stringify(spec.default)}]`);
    attributeToKey.set(option.attributeName(), key);
    serve.addOption(option);
  }
  serve.option('-v, --verbose', 'more logs (-v debug, -vv trace)', (_v: string, prev: number) => prev + 1, 0);
  serve.action(async (given: Record<string, unknown>) => {
    const opts = withGlobals(given);
    const cli: Partial<Record<ServeKey, unknown>> = {};
    for (const [attribute, value] of Object.entries(opts)) {
      const key = attributeToKey.get(attribute);
      if (key !== undefined) cli[key] = value;
    }
    const loaded = loadServeConfig(process.env, cli);
    if (!loaded.ok) throw new ExitError(`invalid configuration: ${loaded.error}`, 1);
    const c = loaded.config;
    const verbosity = c.debug ? 1 : c.trace ? 2 : Number(opts['verbose'] ?? 0);
    const log = createLogger({ json: c.json, level: levelOf({ verbose: verbosity }), stream: 'stdout' });
    try {
      const code = await runServe(c, log);
      if (code !== 0) throw new ExitError('serve stopped with errors (see the log)', code);
    } catch (err) {
      if (err instanceof StartupError) {
        log.error(err.message);
        throw new ExitError(err.message, 1);
      }
      throw err;
    }
  });

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ExitError) {
      if (err.message !== '') process.stderr.write(`dsiem-backend: ${err.message}\n`);
      return err.code;
    }
    process.stderr.write(`dsiem-backend: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

