// The BUILT command line (`node bin/dsiem-backend.js`, which runs dist/actors/cli.js) as a child process:
// exit statuses (0 done, 1 invalid config or failed run, 2 usage error), what goes to stdout and stderr, and
// the alarm files `replay` writes.
//
// These tests run the compiled code: `npm test` builds before testing. When run on their own, build first
// (`npm run build && node --import tsx --test test/cli/*.test.ts`); if dist/actors/cli.js is missing the
// tests build once themselves, but they never notice a stale dist/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { normaliseAlarmFiles } from '../helpers/normalise.js';
import { closedPort, runCommand, showFinished, type Finished } from '../helpers/run-command.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORE = 'test/fixtures/conformance/core';
const PING = `${CORE}/02-ping-flood-to-dst`;
const INVALID_EVENTS = `${CORE}/36-invalid-events`;
/** Lifetime in minutes that keeps every backlog open for the whole replay (as the conformance tests do). */
const NO_EXPIRY = '1000000000';

before(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'actors', 'cli.js'))) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
});

const tempDirs: string[] = [];
after(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-cli-'));
  tempDirs.push(dir);
  return dir;
}

type Run = Finished;

function cli(...args: string[]): Promise<Run> {
  return cliWith({}, ...args);
}

function cliWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return runCommand([process.execPath, 'bin/dsiem-backend.js', ...args], { cwd: ROOT, env });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const show = showFinished;

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** A config folder refused for directive 2's priority 6 (Rust fixture directive2/3). */
async function badConfig(): Promise<{ dir: string; file: string }> {
  const dir = await tempDir();
  const name = 'directives_dsiem-backend-0_testing1.json';
  await copyFile(path.join(ROOT, 'test/fixtures/rust-port/directives/directive2/3', name), path.join(dir, name));
  await copyFile(path.join(ROOT, 'test/fixtures/rust-port/assets/assets_testing.json'), path.join(dir, 'assets_testing.json'));
  return { dir, file: path.join(dir, name) };
}

// ---- validate -------------------------------------------------------------------------------------------------

describe('validate', () => {
  it('accepts a valid folder: exit 0 and a summary with the directive count', async () => {
    const run = await cli('validate', '--config', PING);
    assert.equal(run.code, 0, show(run));
    assert.equal(
      run.stdout,
      'config ok: 1 directives (3 stages, 0 disabled skipped), 5 assets, 0 intel and 0 vuln sources, from 2 files\n',
    );
    assert.equal(run.stderr, '');
  });

  it('counts intel and vuln sources too (Rust sample deployment)', async () => {
    const run = await cli('validate', '--config', 'test/fixtures/rust-port/sample-deployment');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^config ok: 2 directives \(6 stages, 0 disabled skipped\), 5 assets, 1 intel and 1 vuln sources, from 5 files\n$/);
  });

  it('refuses a bad folder: exit 1, every error on stdout with file:line:column, directive and field, then a count', async () => {
    const { file } = await badConfig();
    const run = await cli('validate', '--config', path.dirname(file));
    assert.equal(run.code, 1, show(run));
    assert.equal(run.stderr, '');
    assert.deepEqual(lines(run.stdout), [
      `${file}:8:19: error: directive 2 "Wrong Priority and Rule Stage": field "priority": must be a whole number from 1 to 5, got 6 (Go Dsiem silently uses 1; dsiem-backend migrate writes that)`,
      `${file}:13:20: error: directive 2 "Wrong Priority and Rule Stage": stage 0 (rule #1): field "stage": stage cannot be zero`,
      `${file}:30:20: error: directive 2 "Wrong Priority and Rule Stage": stage 1 (rule #2): field "stage": stages must be numbered 1..N in array order; rule #2 has stage 1`,
      'invalid config: 3 errors in 1 file',
    ]);
  });

  it('-j prints every problem as a JSON line, then a summary line (for CI)', async () => {
    const { file } = await badConfig();
    const run = await cli('validate', '--config', path.dirname(file), '-j');
    assert.equal(run.code, 1, show(run));
    const records = lines(run.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(records[0], {
      severity: 'error', kind: 'out-of-range', file, line: 8, column: 19, directive_id: 2, directive_name: 'Wrong Priority and Rule Stage', field: 'priority',
      message: 'must be a whole number from 1 to 5, got 6 (Go Dsiem silently uses 1; dsiem-backend migrate writes that)',
    });
    assert.deepEqual(records.at(-1), {
      summary: 'invalid config', errors: 3, warnings: 0, directives: 0, stages: 0, disabled_directives: 0, assets: 7, intel_sources: 0, vuln_sources: 0, files: 2,
    });
  });

  it('--node checks only that node\'s directive files', async () => {
    const run = await cli('validate', '--config', 'test/fixtures/rust-port/sample-deployment', '--node', 'dsiem-backend-1');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^config ok: 1 directives \(3 stages, 0 disabled skipped\), 5 assets, 1 intel and 1 vuln sources, from 4 files\n$/);
  });

  it('refuses a folder that does not exist: exit 1', async () => {
    const missing = path.join(await tempDir(), 'nope');
    const run = await cli('validate', '--config', missing);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stderr, new RegExp(`^dsiem-backend: invalid config: cannot read config folder ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
  });
});

// ---- replay ---------------------------------------------------------------------------------------------------

describe('replay', () => {
  it('replays a scenario: exit 0, the summary, both alarm files with the recorded alarms', async () => {
    const logs = path.join(await tempDir(), 'logs'); // does not exist yet: replay creates it
    const run = await cli('replay', '--config', PING, '--events', `${PING}/events.jsonl`, '--logs', logs, '-l', NO_EXPIRY);
    assert.equal(run.code, 0, show(run));
    const out = lines(run.stdout);
    assert.deepEqual(out.slice(0, 5), [
      'events read:      5',
      'skipped invalid:  0',
      'whitelisted:      0',
      'backlogs created: 1',
      'alarms:           1 (1 alarm lines, 5 alarm-event lines)',
    ]);
    assert.equal(out[5], '  1 from directive 2 "Ping Flood to DST_IP"');
    assert.match(out[6] ?? '', /^time: +\d+\.\d\d s \(\d+ events\/s\)$/);
    const alarms = path.join(logs, 'siem_alarms.json');
    const alarmEvents = path.join(logs, 'siem_alarm_events.json');
    assert.equal(out[7], `alarm files:      ${alarms}, ${alarmEvents}`);
    assert.equal(out.length, 8);
    assert.deepEqual((await readdir(logs)).sort(), ['siem_alarm_events.json', 'siem_alarms.json']);
    assert.equal(lines(await readFile(alarms, 'utf8')).length, 1);
    assert.equal(lines(await readFile(alarmEvents, 'utf8')).length, 5);
    const expected = lines(await readFile(path.join(ROOT, PING, 'expected-normalised.jsonl'), 'utf8'));
    assert.deepEqual(await normaliseAlarmFiles([alarms, alarmEvents]), expected);
    // Text logs on stderr, nothing per event at info level.
    assert.match(run.stderr, /^\S+ INFO {2}config loaded dir="[^"]+" directives=1 /);
    assert.equal(lines(run.stderr).length, 1, run.stderr);
  });

  it('counts the skipped invalid events by reason (core/36-invalid-events)', async () => {
    const logs = await tempDir();
    const run = await cli('replay', '--config', INVALID_EVENTS, '--events', `${INVALID_EVENTS}/events.jsonl`, '--logs', logs, '-l', NO_EXPIRY);
    assert.equal(run.code, 0, show(run));
    const out = lines(run.stdout);
    assert.equal(out[0], 'events read:      10');
    assert.equal(out[1], 'skipped invalid:  4 (1 missing-sensor, 1 missing-src-ip, 1 no-plugin-or-taxonomy, 1 missing-event-id)');
    assert.equal(out[3], 'backlogs created: 1');
    assert.equal(out[4], 'alarms:           1 (2 alarm lines, 3 alarm-event lines)');
    // One warning per skipped line, naming the line number, the reason (the summary's name for it) and the detail.
    const warnings = lines(run.stderr).filter((l) => l.includes('WARN  invalid event skipped'));
    assert.deepEqual(
      warnings.map((l) => /line=(\d+) reason="([^"]*)" detail="([^"]*)"/.exec(l)?.slice(1)),
      [
        ['1', 'missing-sensor', 'sensor is empty'],
        ['2', 'missing-src-ip', 'src_ip is empty'],
        ['3', 'no-plugin-or-taxonomy', 'needs plugin_id and plugin_sid, or product and category'],
        ['10', 'missing-event-id', 'event_id is empty'],
      ],
    );
    assert.ok(existsSync(path.join(logs, 'siem_alarms.json')));
    assert.ok(existsSync(path.join(logs, 'siem_alarm_events.json')));
  });

  it('refuses a bad config: exit 1, nothing written', async () => {
    const { dir, file } = await badConfig();
    const logs = path.join(await tempDir(), 'logs');
    const run = await cli('replay', '--config', dir, '--events', `${PING}/events.jsonl`, '--logs', logs);
    assert.equal(run.code, 1, show(run));
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^dsiem-backend: invalid config: 3 errors in .* \(dsiem-backend validate --config .* lists them all\):$/m);
    assert.match(run.stderr, new RegExp(`^  ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8:19: error: directive 2 "Wrong Priority and Rule Stage": field "priority": `, 'm'));
    assert.equal(existsSync(logs), false);
  });

  it('fails on a missing events file: exit 1 naming the file', async () => {
    const events = path.join(await tempDir(), 'missing.jsonl');
    const run = await cli('replay', '--config', PING, '--events', events, '--logs', await tempDir());
    assert.equal(run.code, 1, show(run));
    assert.equal(run.stdout, '');
    assert.ok(run.stderr.includes(`cannot read the events file ${events}`), run.stderr);
    assert.ok(!run.stderr.includes('    at '), `a stack trace instead of a message: ${run.stderr}`);
  });
});

describe('replay as a tool people script', () => {
  const EXAMPLE = 'config/example';
  const DEMO = ['replay', '--config', EXAMPLE, '--events', `${EXAMPLE}/events.jsonl`];

  async function eventsFile(name: string, content: string | Uint8Array): Promise<string> {
    const file = path.join(await tempDir(), name);
    await writeFile(file, content);
    return file;
  }

  it('names the physical line of an invalid event: blank lines count', async () => {
    const good = (await readFile(path.join(ROOT, PING, 'events.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
    const events = await eventsFile('blank-lines.jsonl', `${good[0]}\n\n   \n{"broken":\n${good.slice(1).join('\r\n')}\n`);
    const run = await cli('replay', '--config', PING, '--events', events, '--logs', await tempDir(), '-l', NO_EXPIRY);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stderr, /WARN {2}invalid event skipped file="[^"]+" line=4 reason="not-json"/);
    assert.match(run.stdout, /^events read: +6\nskipped invalid: +1 \(1 not-json\)\n/);
  });

  for (const [what, content] of [
    ['a pretty-printed JSON file', JSON.stringify([{ event_id: 'a', timestamp: '2025-01-01T00:00:00Z' }], null, 2)],
    ['a binary file', Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)],
  ] as const) {
    it(`exits 1 with a clear message when no event is valid: ${what}`, async () => {
      const events = await eventsFile('input', content);
      const run = await cli('replay', '--config', PING, '--events', events, '--logs', await tempDir());
      assert.equal(run.code, 1, show(run));
      assert.match(run.stderr, new RegExp(`dsiem-backend: no valid event in ${events}: all \\d+ lines were refused \\(.+\\); events are JSON objects, one per line`));
      assert.match(run.stdout, /^events read: /);
    });
  }

  it('exits 1 on an empty events file', async () => {
    const run = await cli('replay', '--config', PING, '--events', await eventsFile('empty.jsonl', '\n\n'), '--logs', await tempDir());
    assert.equal(run.code, 1, show(run));
    assert.match(run.stderr, /: the file is empty\n$/);
  });

  it('names the path when --events is a folder or a path through a file: exit 1, no stack trace', async () => {
    const dir = await tempDir();
    const file = await eventsFile('plain', 'x');
    for (const [events, why] of [[dir, 'it is a folder'], [path.join(file, 'x.jsonl'), 'a part of the path is not a folder']] as const) {
      const run = await cli('replay', '--config', PING, '--events', events, '--logs', await tempDir());
      assert.equal(run.code, 1, show(run));
      assert.equal(run.stderr.split('\n')[1], `dsiem-backend: cannot read the events file ${events}: ${why}${why === 'it is a folder' ? ' (give a JSON-lines file of events)' : ''}`);
    }
  });

  it('writes fresh alarm files by default (a second run gives the same files), --append appends', async () => {
    const logs = await tempDir();
    const counts = async () => Promise.all(['siem_alarms.json', 'siem_alarm_events.json'].map(async (f) => lines(await readFile(path.join(logs, f), 'utf8')).length));
    assert.equal((await cli(...DEMO, '--logs', logs)).code, 0);
    const once = await counts();
    assert.deepEqual(once, [4, 25]);
    assert.equal((await cli(...DEMO, '--logs', logs)).code, 0);
    assert.deepEqual(await counts(), once);
    const appended = await cli(...DEMO, '--logs', logs, '--append');
    assert.equal(appended.code, 0, show(appended));
    assert.deepEqual(await counts(), [8, 50]);
    // The summary counts this run's alarms only.
    assert.match(appended.stdout, /^alarms: +4 /m);
  });

  it('--seed makes the alarm files reproducible, so two runs can be diffed', async () => {
    const files = async (...extra: string[]) => {
      const logs = await tempDir();
      const run = await cli(...DEMO, '--logs', logs, ...extra);
      assert.equal(run.code, 0, show(run));
      return Promise.all(['siem_alarms.json', 'siem_alarm_events.json'].map((f) => readFile(path.join(logs, f), 'utf8')));
    };
    const first = await files('--seed', '42');
    assert.deepEqual(await files('--seed', '42'), first);
    assert.notDeepEqual(await files('--seed', '43'), first);
    assert.match(first[0] ?? '', /^\{"alarm_id":"[_\-0-9a-zA-Z]{9}"/);
    const bad = await cli(...DEMO, '--logs', await tempDir(), '--seed', '-1');
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /--seed: must be a whole number from 0 to 4294967295, got "-1"/);
  });

  it('-j: the summary is one JSON object, with the alarms of each directive', async () => {
    const logs = await tempDir();
    const run = await cli(...DEMO, '--logs', logs, '-j');
    assert.equal(run.code, 0, show(run));
    assert.equal(lines(run.stdout).length, 1);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { read: summary['events_read'], invalid: summary['invalid_by_reason'], whitelisted: summary['whitelisted'], alarms: summary['alarms'] },
      { read: 29, invalid: { 'missing-sensor': 1 }, whitelisted: 1, alarms: 4 },
    );
    assert.deepEqual(summary['alarms_by_directive'], [
      { directive_id: 1, name: 'Ping Flood from SRC_IP', alarms: 1 },
      { directive_id: 2, name: 'Ping Flood to DST_IP', alarms: 1 },
      { directive_id: 3, name: 'Port scan from SRC_IP against DST_IP', alarms: 1 },
      { directive_id: 4, name: 'SSH brute force against DST_IP', alarms: 1 },
    ]);
    assert.deepEqual(summary['alarm_files'], [path.join(logs, 'siem_alarms.json'), path.join(logs, 'siem_alarm_events.json')]);
  });

  it('--trace lines say TRACE (the setting that shows them), in text and in JSON', async () => {
    const text = await cli(...DEMO, '--logs', await tempDir(), '--trace');
    assert.equal(text.code, 0, show(text));
    const routed = lines(text.stderr).filter((l) => l.includes(' event routed '));
    assert.ok(routed.length > 0, show(text));
    assert.ok(routed.every((l) => / TRACE event routed /.test(l)), routed[0]);
    const json = await cli(...DEMO, '--logs', await tempDir(), '--trace', '-j');
    const levels = new Set(lines(json.stderr).map((l) => (JSON.parse(l) as { level: string }).level));
    assert.ok(levels.has('trace') && !levels.has('silly'), [...levels].join(' '));
  });
});

// ---- usage errors ---------------------------------------------------------------------------------------------

describe('usage errors and help', () => {
  const replayArgs = ['replay', '--config', PING, '--events', `${PING}/events.jsonl`];

  /** A usage error: exit 2, nothing on stdout, the one-line message and the hint to the command's help. */
  function usageError(run: Run, message: string | RegExp, command?: string): void {
    assert.equal(run.code, 2, show(run));
    assert.equal(run.stdout, '');
    const [first, hint, ...rest] = lines(run.stderr);
    if (typeof message === 'string') assert.equal(first, `dsiem-backend: ${message}`);
    else assert.match(first ?? '', message);
    assert.equal(hint, `see dsiem-backend ${command !== undefined ? `${command} ` : ''}--help`);
    assert.deepEqual(rest, [], 'more than one line and a hint (the whole help?)');
  }

  it('--med_risk_min 7 --med_risk_max 6: exit 2 naming both flags, nothing written', async () => {
    const logs = path.join(await tempDir(), 'logs');
    const run = await cli(...replayArgs, '--logs', logs, '--med_risk_min', '7', '--med_risk_max', '6');
    usageError(run, '--med_risk_min 7 and --med_risk_max 6: the Medium range needs med_risk_min < med_risk_max (both from 2 to 9)', 'replay');
    assert.equal(existsSync(logs), false);
  });

  it('--med_risk_max 10: exit 2 naming the flag', async () => {
    const run = await cli(...replayArgs, '--logs', await tempDir(), '--med_risk_max', '10');
    usageError(run, '--med_risk_max: must be a whole number from 2 to 9, got "10"', 'replay');
  });

  it('a lifetime that is not a whole number: exit 2 naming the flag as typed', async () => {
    const run = await cli(...replayArgs, '--logs', await tempDir(), '-l', 'abc');
    usageError(run, '-l (--min-alarm-lifetime): must be a whole number >= 0, got "abc"', 'replay');
  });

  it('a status list with an empty first entry: exit 2 naming the flag', async () => {
    const run = await cli(...replayArgs, '--logs', await tempDir(), '--status', ',Open');
    usageError(run, /^dsiem-backend: --status: /, 'replay');
  });

  it('an unknown option: exit 2, one line and the hint (replay, validate, serve)', async () => {
    for (const [args, command] of [[[...replayArgs, '--logs', 'x', '--bogus'], 'replay'], [['validate', '--config', PING, '--bogus'], 'validate'], [['serve', '--bogus'], 'serve']] as const) {
      usageError(await cli(...args), /^dsiem-backend: unknown option '--bogus'/, command);
    }
  });

  it('a flag of another command is named as the user typed it', async () => {
    usageError(await cli(...replayArgs, '--logs', 'x', '--maxEPS', '5'), "unknown option '--maxEPS'", 'replay');
  });

  it('an unknown command: exit 2', async () => {
    usageError(await cli('bogus'), "unknown command 'bogus'");
  });

  it('a missing required --config: exit 2 (replay and validate)', async () => {
    usageError(await cli('validate'), 'required option --config <dir> not given', 'validate');
    usageError(await cli('replay', '--events', 'e.jsonl', '--logs', 'l'), 'required option --config <dir> not given', 'replay');
  });

  it('a missing required --events or --logs: exit 2', async () => {
    usageError(await cli('replay', '--config', PING, '--logs', 'l'), 'required option --events <file> not given', 'replay');
    usageError(await cli('replay', '--config', PING, '--events', 'e'), 'required option --logs <dir> not given', 'replay');
  });

  it('serve: a bad variable exits 2 naming the variable and its flag, before anything starts', async () => {
    const args = ['serve', '--config', PING, '--logs', await tempDir(), '--msq', `nats://127.0.0.1:${await closedPort()}`];
    const run = await cli(...args);
    assert.equal(run.code, 1, `the same start without the variable fails on NATS only: ${show(run)}`);
    const bad = await cliWith({ DSIEM_MAXEPS: '0' }, ...args);
    usageError(bad, 'DSIEM_MAXEPS (--max_eps): must be a whole number >= 1, got "0"', 'serve');
  });

  it('serve: a bad flag exits 2 naming the flag as typed', async () => {
    usageError(await cli('serve', '--config', PING, '--holdDuration', '0'), '--holdDuration (--hold_duration): must be a whole number >= 1, got "0"', 'serve');
    usageError(await cli('serve', '--config', PING, '--msq', 'http://u:s3cret@h:1'), /^dsiem-backend: --msq: must be .* got "http:\/\/\*\*\*@h:1"$/, 'serve');
  });

  it('replay --help: exit 0, lists its options', async () => {
    const run = await cli('replay', '--help');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^Usage: dsiem-backend replay \[options\]/);
    for (const option of ['--config <dir>', '--events <file>', '--logs <dir>', '--drain', '-l, --min-alarm-lifetime <minutes>',
      '--med_risk_min <n>', '--med_risk_max <n>', '-s, --status <list>', '-t, --tags <list>', '-n, --node <name>', '-j, --json', '-v, --verbose', '-h, --help']) {
      assert.ok(run.stdout.includes(option), `replay --help does not list ${option}`);
    }
  });

  it('validate --help: exit 0, lists its options', async () => {
    const run = await cli('validate', '--help');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^Usage: dsiem-backend validate \[options\]/);
    for (const option of ['--config <dir>', '-n, --node <name>', '-j, --json', '-v, --verbose', '-h, --help']) {
      assert.ok(run.stdout.includes(option), `validate --help does not list ${option}`);
    }
    assert.ok(!run.stdout.includes('--events'), 'validate --help lists replay options');
  });

  it('--help shows one spelling per flag, and says the others are accepted', async () => {
    const run = await cli('serve', '--help');
    assert.equal(run.code, 0, show(run));
    const optionLines = run.stdout.split('\n').filter((l) => /^ {2}-/.test(l));
    assert.ok(optionLines.length > 20, run.stdout);
    for (const other of ['--maxEPS', '--max-eps', '--config-dir', '--medRiskMin', '--med-risk-min', '--cacheDuration']) {
      assert.ok(!optionLines.some((l) => l.includes(other)), `serve --help lists ${other} as an option`);
    }
    assert.match(run.stdout, /camelCase between its words, as Go Dsiem spells them/);
  });

  it('-l has one description in every command', async () => {
    const describe = async (command: string) => {
      const help = (await cli(command, '--help')).stdout.replace(/\s+/g, ' ');
      return /-l, --min-alarm-lifetime <minutes> ([^[]+)\[/.exec(help)?.[1];
    };
    const serve = await describe('serve');
    assert.ok(serve !== undefined && serve.length > 20, String(serve));
    assert.equal(await describe('replay'), serve);
  });

  it('--version prints the version of package.json', async () => {
    const run = await cli('--version');
    assert.equal(run.code, 0, show(run));
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(run.stdout, `${pkg.version}\n`);
  });
});

// ---- spellings, --config-dir, --node --------------------------------------------------------------------------

describe('the names users already type', () => {
  it("replay takes Go Dsiem's spellings and --config-dir, with the same result", async () => {
    const logs = await tempDir();
    const run = await cli('replay', '--config-dir', PING, '--events', `${PING}/events.jsonl`, '--logs', logs, '--minAlarmLifetime', NO_EXPIRY, '--medRiskMin', '4', '--med-risk-max', '7');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^alarms: +1 /m);
    const alarm = JSON.parse(lines(await readFile(path.join(logs, 'siem_alarms.json'), 'utf8'))[0] ?? '{}') as { risk_class?: string; risk?: number };
    assert.equal(typeof alarm.risk, 'number');
  });

  it('validate takes --config-dir', async () => {
    const run = await cli('validate', '--config-dir', PING);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^config ok: 1 directives/);
  });

  it('replay and validate read flags only: a DSIEM_* variable of a deployment does not change them', async () => {
    const run = await cliWith({ DSIEM_MEDRISKMIN: '99', DSIEM_CONFIG_DIR: '/nonexistent' }, 'validate', '--config', PING);
    assert.equal(run.code, 0, show(run));
  });

  it('--node with --config takes only directives_{node}_*.json (trailing underscore, as a download does) and logs the files', async () => {
    const dir = await tempDir();
    const source = path.join(ROOT, 'test/fixtures/rust-port/sample-deployment');
    const names = await readdir(source);
    const directives = names.filter((n) => n.startsWith('directives_'));
    assert.ok(directives.length >= 1, names.join());
    for (const n of names.filter((x) => !x.startsWith('directives_'))) await copyFile(path.join(source, n), path.join(dir, n));
    // The same directives under three node names: b-1 must not take b-10's.
    await copyFile(path.join(source, directives[0] ?? ''), path.join(dir, 'directives_b-1_main.json'));
    await copyFile(path.join(source, directives[0] ?? ''), path.join(dir, 'directives_b-10_main.json'));
    await copyFile(path.join(source, directives[0] ?? ''), path.join(dir, 'directives_other.json'));
    const valid = await cli('validate', '--config', dir, '--node', 'b-1');
    assert.equal(valid.code, 0, show(valid));
    // serve logs the files it loaded, then stops: no NATS here.
    const run = await cli('serve', '--config', dir, '--node', 'b-1', '--logs', await tempDir(), '--msq', `nats://127.0.0.1:${await closedPort()}`, '--json');
    assert.equal(run.code, 1, show(run));
    const loaded = lines(run.stdout).map((l) => JSON.parse(l) as { message: string; files?: string[] }).find((r) => r.message === 'config loaded');
    assert.deepEqual(loaded?.files?.filter((f) => f.startsWith('directives_')), ['directives_b-1_main.json'], show(run));
    // Without --node every directive file is read (the three copies clash on their ids).
    const all = await cli('validate', '--config', dir);
    assert.equal(all.code, 1, show(all));
    // A node without files names the pattern it looked for.
    const none = await cli('validate', '--config', dir, '--node', 'b-2');
    assert.equal(none.code, 1, show(none));
    assert.match(none.stdout + none.stderr, /no enabled directive in .*directives_b-2_\*\.json/);
  });
});

// ---- serve start-up --------------------------------------------------------------------------------------------

describe('serve start-up', () => {
  it('logs version, node, config source, logs folder and NATS URL without credentials, then the files loaded', async () => {
    const logs = await tempDir();
    const port = await closedPort();
    const run = await cli('serve', '--config', PING, '--node', 'go', '--logs', logs, '--msq', `nats://dsiem:s3cr3t@127.0.0.1:${port}`, '--json');
    // NATS is not there: start-up fails after the configs are loaded.
    assert.equal(run.code, 1, show(run));
    assert.ok(!`${run.stdout}${run.stderr}`.includes('s3cr3t'), 'the password is in the output');
    const records = lines(run.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const start = records.find((r) => String(r['message']).startsWith('starting dsiem backend server'));
    assert.deepEqual(
      { version: start?.['version'], node: start?.['node'], config: start?.['config'], logs: start?.['logs'], msq: start?.['msq'] },
      { version: pkg.version, node: 'go', config: `(local folder ${PING})`, logs, msq: `nats://***@127.0.0.1:${port}` },
    );
    const loaded = records.find((r) => r['message'] === 'config loaded');
    assert.deepEqual(
      { directives: loaded?.['directives'], assets: loaded?.['assets'], intel: loaded?.['intelSources'], vuln: loaded?.['vulnSources'], files: loaded?.['files'] },
      { directives: 1, assets: 5, intel: 0, vuln: 0, files: ['assets_main.json', 'directives_go_backend1.json'] },
    );
    assert.match(run.stderr, /^dsiem-backend: cannot connect to NATS at nats:\/\/\*\*\*@127\.0\.0\.1/);
  });

  it('keeps the saved backlogs when the start fails on NATS (D9: taken only once nothing else can fail)', async () => {
    const logs = await tempDir();
    await mkdir(path.join(logs, 'backlogs'));
    const saved = path.join(logs, 'backlogs', '2.json');
    await writeFile(saved, '{"version":1,"directive_id":2,"backlogs":[]}\n');
    const run = await cli('serve', '--config', PING, '--logs', logs, '--msq', `nats://127.0.0.1:${await closedPort()}`);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stderr, /cannot connect to NATS/);
    assert.ok(existsSync(saved), 'the saved backlogs were deleted by a start that failed');
  });

  it('refuses a logs folder it cannot make: exit 1, one line naming the path and the user id', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'file'), '');
    const logs = path.join(dir, 'file', 'logs');
    const run = await cli('serve', '--config', PING, '--logs', logs, '--msq', 'nats://127.0.0.1:1');
    assert.equal(run.code, 1, show(run));
    const uid = process.getuid?.() ?? -1;
    assert.equal(lines(run.stderr).length, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`^dsiem-backend: logs folder ${escape(logs)} is not writable by uid ${uid} \\(gid \\d+\\): ENOTDIR`));
    assert.ok(!run.stdout.includes('config loaded'), 'it went on to load the configs');
  });
});

// ---- --json ---------------------------------------------------------------------------------------------------

describe('--json', () => {
  it('makes every stderr log line a JSON object (replay)', async () => {
    const run = await cli('replay', '--config', INVALID_EVENTS, '--events', `${INVALID_EVENTS}/events.jsonl`, '--logs', await tempDir(), '-l', NO_EXPIRY, '--json');
    assert.equal(run.code, 0, show(run));
    const records = lines(run.stderr).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records.length, 5, run.stderr);
    const [loadedRecord, ...warnings] = records;
    assert.deepEqual(
      { level: loadedRecord?.level, message: loadedRecord?.message, directives: loadedRecord?.directives, assets: loadedRecord?.assets },
      { level: 'info', message: 'config loaded', directives: 1, assets: 7 },
    );
    assert.equal(typeof loadedRecord?.timestamp, 'string');
    assert.deepEqual(warnings.map((w) => [w.level, w.message, w.line]), [
      ['warn', 'invalid event skipped', 1],
      ['warn', 'invalid event skipped', 2],
      ['warn', 'invalid event skipped', 3],
      ['warn', 'invalid event skipped', 10],
    ]);
    // The summary on stdout is one JSON object, with the reasons named as in the log lines.
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(summary['events_read'], 10);
    assert.deepEqual(Object.keys(summary['invalid_by_reason'] as object).sort(), warnings.map((w) => w.reason).sort());
  });

  it("is also taken before the command, as the seed's global option (dsiem-backend -j replay)", async () => {
    const run = await cli('-j', 'replay', '--config', INVALID_EVENTS, '--events', `${INVALID_EVENTS}/events.jsonl`, '--logs', await tempDir(), '-l', NO_EXPIRY);
    assert.equal(run.code, 0, show(run));
    const records = lines(run.stderr).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records.length, 5, run.stderr);
  });

  it('without --json the same log lines are text', async () => {
    const run = await cli('replay', '--config', INVALID_EVENTS, '--events', `${INVALID_EVENTS}/events.jsonl`, '--logs', await tempDir(), '-l', NO_EXPIRY);
    assert.equal(run.code, 0, show(run));
    for (const line of lines(run.stderr)) {
      assert.throws(() => JSON.parse(line) as unknown, SyntaxError, line);
      assert.match(line, /^\S+ (INFO|WARN) {2}/);
    }
  });

  it('validate --json prints a JSON summary and logs nothing on success', async () => {
    const run = await cli('validate', '--config', PING, '--json');
    assert.equal(run.code, 0, show(run));
    assert.equal(run.stderr, '');
    assert.equal(JSON.parse(run.stdout).summary, 'config ok');
  });

});
