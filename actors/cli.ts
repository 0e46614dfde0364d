/**
 * The `dsiem-backend` command line: `serve` and `publish` (NATS), `replay`, `validate`, `migrate`, `explain` and `test` (offline). Every option of every
 * command comes from the settings table (config/schema.ts): a command is its description, its settings and what
 * it runs. Exit status: 0 done, 1 invalid config or failed run, 2 usage error (unknown flag, bad value).
 */

import { Command, CommanderError, Option } from 'commander';
import { correlationOf } from '../config/correlation-flags.js';
import { canonicalArgs, flagParts } from '../config/flag-names.js';
import { loadSettings, READS_ENVIRONMENT, type GivenFlag } from '../config/load-settings.js';
import { keysOf, serveSchema, specOf, type CommandName, type SettingKey, type SettingsOf } from '../config/schema.js';
import { loadConfigDir, type LoadedConfig } from '../src/config-files/config-dir.js';
import { redactUrl } from '../src/shared/redact-url.js';
import { checkEventsFile } from './events-file.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import { formatPublishSummary, runPublish } from './publish.js';
import { formatSummary, noValidEvent, runReplay, summaryJson } from './replay.js';
import { runMigrate } from './migrate-command.js';
import { chosenDirective, runExplain, runReplayWithInsight, stdoutReader, type InsightOptions } from './explain-command.js';
import { runTests } from './test-command.js';
import { natsOptions, runServe, StartupError } from './serve.js';
import { StdoutGuard } from './stdout-guard.js';
import { logConfigWarnings, runValidate } from './validate-command.js';
import { packageVersion } from './version.js';
import { runStats } from './stats-command.js';

class ExitError extends Error {
  override readonly name: string = 'ExitError';
  constructor(
    message: string,
    readonly code: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A usage error: printed as one line and a hint to the command's help, exit status 2. */
class UsageError extends ExitError {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly command: string | undefined,
  ) {
    super(message, 2);
  }
}

/** -v debug, -vv trace; `--debug` and `--trace` force 1 and 2 (`--debug` wins, as in the seed). */
function levelOf(s: { readonly debug: boolean; readonly trace: boolean }, verbose: number): LogLevel {
  const v = s.debug ? 1 : s.trace ? 2 : verbose;
  return v >= 2 ? 'silly' : v === 1 ? 'debug' : 'info';
}

const VERBOSE_FLAG = '-v, --verbose';
const addVerbose = (cmd: Command) => cmd.option(VERBOSE_FLAG, 'more logs (-v debug, -vv trace)', (_v: string, prev: number) => prev + 1, 0);

const SPELLINGS_NOTE =
  "\nEvery multi-word flag also takes -, _ or camelCase between its words, as Go Dsiem spells them (--medRiskMin, --minAlarmLifetime, --maxEPS, ...).";

/** One description per setting; the notes say what this command does with it. */
function describeSetting(key: SettingKey, command: CommandName): string {
  const s = specOf(key);
  const required = s.requiredIn?.includes(command) === true;
  const notes: string[] = required ? ['required'] : [];
  if (READS_ENVIRONMENT.includes(command) && s.env !== undefined) notes.push(`env ${s.env}`);
  if (!required && s.default !== '' && s.default !== false) notes.push(`default ${JSON.stringify(s.default)}`);
  return notes.length > 0 ? `${s.doc} [${notes.join(', ')}]` : s.doc;
}

/** Commander's messages without its prefix, on one line, naming the flags as the user typed them. */
function usageMessage(err: CommanderError, typed: ReadonlyMap<string, string>): string {
  let message = err.message.replace(/^error: /, '').replace(/\n\(Did you mean (.*)\)$/s, ' (did you mean $1)');
  for (const [long, spelled] of typed) message = message.replaceAll(`'${long}'`, `'${spelled}'`);
  return message.replace(/\s*\n\s*/g, ' ');
}

interface Context {
  readonly program: Command;
  /** Canonical long flag -> the spelling typed. */
  readonly typed: ReadonlyMap<string, string>;
  /** Commander attribute of each global option -> its setting. */
  readonly globals: ReadonlyMap<string, SettingKey>;
  readonly stdout: StdoutGuard;
}

function givenFlags(opts: Record<string, unknown>, keyOf: ReadonlyMap<string, SettingKey>, typed: ReadonlyMap<string, string>): GivenFlag[] {
  const given: GivenFlag[] = [];
  for (const [attribute, value] of Object.entries(opts)) {
    const key = keyOf.get(attribute);
    if (key === undefined || value === undefined) continue;
    const long = flagParts(specOf(key).flag).long;
    given.push({ key, spelling: typed.get(long) ?? long, value });
  }
  return given;
}

/**
 * Adds a command whose options are its settings from the table. `run` gets the settings read and checked once
 * (flags, and the environment for `serve`), the -v count, and the command's arguments (`test <case...>`).
 */
function defineCommand<C extends CommandName>(ctx: Context, name: C, description: string, run: (s: SettingsOf<C>, verbose: number, args: readonly string[]) => Promise<void>): Command {
  const cmd = ctx.program.command(name).description(description).addHelpText('after', SPELLINGS_NOTE);
  const keyOf = new Map<string, SettingKey>();
  for (const key of keysOf(name)) {
    const option = new Option(specOf(key).flag, describeSetting(key, name));
    keyOf.set(option.attributeName(), key);
    cmd.addOption(option);
  }
  addVerbose(cmd);
  cmd.exitOverride((err) => {
    if (err.exitCode === 0) throw err;
    throw new UsageError(usageMessage(err, ctx.typed), name);
  });
  cmd.action(async () => {
    const opts = cmd.opts<Record<string, unknown>>();
    const globals = ctx.program.opts<Record<string, unknown>>();
    // Global options given before the command first: the same flag after the command wins.
    const given = [...givenFlags(globals, ctx.globals, ctx.typed), ...givenFlags(opts, keyOf, ctx.typed)];
    const loaded = loadSettings(name, READS_ENVIRONMENT.includes(name) ? process.env : {}, given);
    if (!loaded.ok) throw new UsageError(loaded.error.message, name);
    await run(loaded.value, Math.max(Number(opts['verbose'] ?? 0), Number(globals['verbose'] ?? 0)), cmd.args);
  });
  return cmd;
}

async function loadOrExit(dir: string, node: string, log: Logger): Promise<LoadedConfig> {
  const loaded = await loadConfigDir(dir, { node });
  if (!loaded.ok) throw new ExitError(`invalid config: ${loaded.error}`, 1);
  const c = loaded.value;
  log.info('config loaded', {
    dir,
    ...(node !== '' ? { node } : {}),
    directives: c.directives.length,
    disabledDirectives: c.disabledDirectives,
    assets: c.assets.length,
    intelSources: c.intelSources.length,
    vulnSources: c.vulnSources.length,
    files: c.files,
  });
  logConfigWarnings(c, log);
  return c;
}

function addReplay(ctx: Context): Command {
  return defineCommand(ctx, 'replay', 'correlate a JSON-lines events file offline, with the clock driven by event time', async (s, verbose) => {
    const log = createLogger({ json: s.json, level: levelOf(s, verbose), stream: 'stderr' });
    const config = await loadOrExit(s.configDir, s.node, log);
    const readable = await checkEventsFile(s.events);
    if (!readable.ok) throw new ExitError(readable.error.message, 1, { cause: readable.error });
    const run = {
      config,
      eventsFile: s.events,
      logsDir: s.logsDir,
      drain: s.drain,
      correlation: correlationOf(s),
      log,
      append: s.append,
      ...(s.seed !== '' ? { seed: s.seed } : {}),
      enrichment: { cacheMinutes: s.cache, intelPrivateIp: s.intelPrivateIp },
    };
    const insight = insightOf(s, config);
    const outcome = insight === undefined ? { summary: await runReplay(run), after: [], disagreements: [] } : await runReplayWithInsight(run, insight);
    const summary = outcome.summary;
    process.stdout.write(s.json ? `${JSON.stringify(summaryJson(summary))}\n` : `${formatSummary(summary)}\n`);
    for (const line of outcome.after) process.stdout.write(`${line}\n`);
    const unusable = noValidEvent(s.events, summary);
    if (unusable !== undefined) throw new ExitError(unusable, 1);
    if (outcome.disagreements.length > 0) throw new ExitError(`explain and the engine disagree (please report this):\n  ${outcome.disagreements.join('\n  ')}`, 1);
  });
}

/** `replay --explain [directive]` and `--coverage`: what to add after the run, or undefined for neither. */
function insightOf(s: SettingsOf<'replay'>, config: LoadedConfig): InsightOptions | undefined {
  if (s.explain === '' && !s.coverage) return undefined;
  const chosen = chosenDirective(config, typeof s.explain === 'number' ? s.explain : undefined);
  if (chosen.error !== undefined) throw new UsageError(`--explain ${String(s.explain)}: ${chosen.error}`, 'replay');
  return {
    ...(s.explain === '' ? {} : { explain: chosen.directive === undefined ? {} : { directive: chosen.directive } }),
    coverage: s.coverage,
    json: s.json,
    write: (line) => process.stdout.write(`${line}\n`),
    pause: stdoutReader,
  };
}

function addExplain(ctx: Context): Command {
  const description = 'explain what correlation does with each event: directives reached, every backlog met (matched, or the first rule field that fails) and the outcome';
  return defineCommand(ctx, 'explain', description, async (s, verbose) => {
    const log = createLogger({ json: s.json, level: levelOf(s, verbose), stream: 'stderr' });
    const config = await loadOrExit(s.configDir, s.node, log);
    const chosen = chosenDirective(config, typeof s.directive === 'number' ? s.directive : undefined);
    if (chosen.error !== undefined) throw new UsageError(`--directive ${String(s.directive)}: ${chosen.error}`, 'explain');
    const readable = await checkEventsFile(s.events);
    if (!readable.ok) throw new ExitError(readable.error.message, 1, { cause: readable.error });
    await runExplain({
      config,
      eventsFile: s.events,
      correlation: correlationOf(s),
      drain: s.drain,
      ...(chosen.directive === undefined ? {} : { directive: chosen.directive }),
      json: s.json,
      write: (line) => process.stdout.write(`${line}\n`),
      pause: stdoutReader,
    });
  });
}

function addTest(ctx: Context): Command {
  const description = 'run directive test cases (folders with events.jsonl, expected.json and a config) through replay and compare the alarms';
  return defineCommand(ctx, 'test', description, async (s, _verbose, cases) => {
    const outcome = await runTests({
      cases,
      update: s.update,
      ...(s.junit === '' ? {} : { junit: s.junit }),
      coverage: s.coverage,
      json: s.json,
      write: (line) => process.stdout.write(`${line}\n`),
    });
    if (outcome.code !== 0) throw new ExitError('', outcome.code);
  }).argument('<case...>', 'case folders, or folders holding case folders');
}

function addPublish(ctx: Context): Command {
  const description = 'publish a JSON-lines events file on dsiem_events as the Dsiem frontend does (rcvd_time set)';
  return defineCommand(ctx, 'publish', description, async (s, verbose) => {
    const log = createLogger({ json: s.json, level: levelOf(s, verbose), stream: 'stderr' });
    let nats;
    try {
      nats = natsOptions(s.msq, s.natsCreds, s.natsTlsCa);
    } catch (err) {
      throw new UsageError(`--msq: not a NATS URL: "${redactUrl(s.msq)}" (${(err as Error).message})`, 'publish');
    }
    const readable = await checkEventsFile(s.events);
    if (!readable.ok) throw new ExitError(readable.error.message, 1, { cause: readable.error });
    const target = { eventsFile: s.events, server: redactUrl(s.msq) };
    const done = await runPublish({ ...target, nats, now: s.now, ...(s.rate !== '' ? { rate: s.rate } : {}), log });
    if (!done.ok) throw new ExitError(done.error.message, 1, { cause: done.error });
    const d = done.value;
    const json = { events_file: s.events, server: target.server, published: d.published, skipped: d.skipped, unshifted: d.unshifted, shift_seconds: d.shiftSeconds, seconds: d.seconds };
    process.stdout.write(s.json ? `${JSON.stringify(json)}\n` : `${formatPublishSummary(target, d)}\n`);
    if (d.published === 0) throw new ExitError(`nothing published: no line of ${s.events} is a JSON object`, 1);
  });
}

function addValidate(ctx: Context): Command {
  return defineCommand(ctx, 'validate', 'load and check every config file; print every problem (file:line:column), then a count', async (s) => {
    const outcome = await runValidate({ config: s.configDir, node: s.node, json: s.json, write: (line) => process.stdout.write(`${line}\n`) });
    if ('fatal' in outcome) throw new ExitError(`invalid config: ${outcome.fatal}`, 1);
    if (outcome.code !== 0) throw new ExitError('', outcome.code);
  });
}

function addMigrate(ctx: Context): Command {
  const description = "write a Go Dsiem config folder's silent load-time corrections out explicitly, with a report of every change";
  return defineCommand(ctx, 'migrate', description, async (s) => {
    const outcome = await runMigrate({ config: s.configDir, out: s.out, node: s.node, json: s.json, write: (line) => process.stdout.write(`${line}\n`) });
    if (outcome.fatal !== undefined) throw new ExitError(outcome.fatal, 1);
    if (outcome.code !== 0) throw new ExitError('', outcome.code);
  });
}

/** `stats`: a running backend's counters, over NATS (live operations). */
function addStats(ctx: Context): Command {
  return defineCommand(ctx, 'stats', "print a running backend's counters (the dsiem_backend_stats request over NATS)", async (s) => {
    const outcome = await runStats({ msq: s.msq, json: s.json, timeoutMs: 5_000, natsCreds: s.natsCreds, natsTlsCa: s.natsTlsCa, write: (line) => process.stdout.write(`${line}\n`) });
    if (outcome.code !== 0) throw new ExitError(outcome.error, 1);
  });
}

function addServe(ctx: Context): Command {
  return defineCommand(ctx, 'serve', 'run the backend: events from NATS, configs from the frontend (or --config), alarms to --logs', async (s, verbose) => {
    ctx.stdout.serve();
    const log = createLogger({ json: s.json, level: levelOf(s, verbose), stream: 'stdout' });
    let code: number;
    try {
      code = await runServe(s, log);
    } catch (err) {
      if (!(err instanceof StartupError)) throw err;
      log.error(err.message);
      throw new ExitError(err.message, 1, { cause: err });
    }
    if (code !== 0) throw new ExitError('serve stopped with errors (see the log)', code);
  });
}

export function buildProgram(typed: ReadonlyMap<string, string>, stdout: StdoutGuard): Command {
  const program = new Command('dsiem-backend')
    .description('Dsiem backend: OSSIM-style correlation of normalized events into alarms')
    .version(packageVersion())
    .configureOutput({ outputError: () => undefined })
    .exitOverride((err) => {
      if (err.exitCode === 0 || err.code === 'commander.help') throw err;
      throw new UsageError(usageMessage(err, typed), undefined);
    });
  // The seed's global options, given before the command (`dsiem-backend -j serve`); each command takes them too.
  const globals = new Map<string, SettingKey>();
  for (const [key, spec] of Object.entries(serveSchema) as Array<[SettingKey, (typeof serveSchema)[SettingKey]]>) {
    if (!('global' in spec)) continue;
    const option = new Option(spec.flag, spec.doc);
    globals.set(option.attributeName(), key);
    program.addOption(option);
  }
  addVerbose(program);
  const ctx: Context = { program, typed, globals, stdout };
  addReplay(ctx);
  addValidate(ctx);
  addMigrate(ctx);
  addServe(ctx);
  addPublish(ctx);
  addExplain(ctx);
  addTest(ctx);
  addStats(ctx);
  return program;
}

/** Says so when stdout failed for another reason than its reader going away (what was to be written is not all there). */
async function outputFailed(stdout: StdoutGuard): Promise<boolean> {
  await stdout.settled();
  if (stdout.failure === undefined) return false;
  process.stderr.write(`dsiem-backend: stdout could not be written: ${stdout.failure.message}\n`);
  return true;
}

export async function main(argv: readonly string[]): Promise<number> {
  const { args, typed } = canonicalArgs(argv);
  const stdout = new StdoutGuard();
  stdout.install();
  const program = buildProgram(typed, stdout);
  try {
    await program.parseAsync(args, { from: 'user' });
    return (await outputFailed(stdout)) ? 1 : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`dsiem-backend: ${err.message}\nsee dsiem-backend ${err.command !== undefined ? `${err.command} ` : ''}--help\n`);
      return 2;
    }
    if (err instanceof CommanderError) return err.exitCode !== 0 ? 2 : (await outputFailed(stdout)) ? 1 : 0;
    if (err instanceof ExitError) {
      // An empty message: the command has already said everything (validate's report).
      if (err.message !== '') process.stderr.write(`dsiem-backend: ${err.message}\n`);
      return err.code;
    }
    process.stderr.write(`dsiem-backend: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
