// The BUILT command line (`node bin/dsiem-backend.js`, which runs dist/actors/cli.js) as a child process:
// exit statuses (0 done, 1 invalid config or failed run, 2 usage error), what goes to stdout and stderr, and
// the alarm files `replay` writes.
//
// These tests run the compiled code: `npm test` builds before testing. When run on their own, build first
// (`npm run build && node --import tsx --test test/cli/*.test.ts`); if dist/actors/cli.js is missing the
// tests build once themselves, but they never notice a stale dist/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { normaliseAlarmFiles } from '../helpers/normalise.js';

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

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/dsiem-backend.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function show(run: Run): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
}

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
});

// ---- usage errors ---------------------------------------------------------------------------------------------

describe('usage errors and help', () => {
  const replayArgs = ['replay', '--config', PING, '--events', `${PING}/events.jsonl`];

  it('--med_risk_min 7 --med_risk_max 6: exit 2 naming the flags, nothing written', async () => {
    const logs = path.join(await tempDir(), 'logs');
    const run = await cli(...replayArgs, '--logs', logs, '--med_risk_min', '7', '--med_risk_max', '6');
    assert.equal(run.code, 2, show(run));
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^dsiem-backend: --med_risk_min 7 \/ --med_risk_max 6: invalid/);
    assert.equal(existsSync(logs), false);
  });

  it('--med_risk_max 10: exit 2 naming the flag', async () => {
    const run = await cli(...replayArgs, '--logs', await tempDir(), '--med_risk_max', '10');
    assert.equal(run.code, 2, show(run));
    assert.match(run.stderr, /--med_risk_max 10/);
  });

  it('a lifetime that is not a whole number: exit 2 naming the flag', async () => {
    const run = await cli(...replayArgs, '--logs', await tempDir(), '-l', 'abc');
    assert.equal(run.code, 2, show(run));
    assert.equal(run.stderr, 'dsiem-backend: --min-alarm-lifetime: "abc" is not a whole number\n');
  });

  it('a status list with an empty first entry: exit 2 naming the flag', async () => {
    const run = await cli(...replayArgs, '--logs', await tempDir(), '--status', ',Open');
    assert.equal(run.code, 2, show(run));
    assert.match(run.stderr, /^dsiem-backend: --status: /);
  });

  it('an unknown option: exit 2 (replay and validate)', async () => {
    for (const args of [[...replayArgs, '--logs', 'x', '--bogus'], ['validate', '--config', PING, '--bogus']]) {
      const run = await cli(...args);
      assert.equal(run.code, 2, show(run));
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^error: unknown option '--bogus'/);
    }
  });

  it('an unknown command: exit 2', async () => {
    const run = await cli('bogus');
    assert.equal(run.code, 2, show(run));
    assert.match(run.stderr, /^error: unknown command 'bogus'/);
  });

  it('a missing required --config: exit 2 (replay and validate)', async () => {
    for (const args of [['validate'], ['replay', '--events', 'e.jsonl', '--logs', 'l']]) {
      const run = await cli(...args);
      assert.equal(run.code, 2, show(run));
      assert.match(run.stderr, /^error: required option '--config <dir>' not specified/);
    }
  });

  it('a missing required --events or --logs: exit 2', async () => {
    for (const [args, flag] of [[['replay', '--config', PING, '--logs', 'l'], '--events <file>'], [['replay', '--config', PING, '--events', 'e'], '--logs <dir>']] as const) {
      const run = await cli(...args);
      assert.equal(run.code, 2, show(run));
      assert.ok(run.stderr.startsWith(`error: required option '${flag}' not specified`), run.stderr);
    }
  });

  it('replay --help: exit 0, lists its options', async () => {
    const run = await cli('replay', '--help');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^Usage: dsiem-backend replay \[options\]/);
    for (const option of ['--config <dir>', '--events <file>', '--logs <dir>', '--drain', '-l, --min-alarm-lifetime <minutes>',
      '--med_risk_min <n>', '--med_risk_max <n>', '-s, --status <list>', '-t, --tags <list>', '-j, --json', '-v, --verbose', '-h, --help']) {
      assert.ok(run.stdout.includes(option), `replay --help does not list ${option}`);
    }
  });

  it('validate --help: exit 0, lists its options', async () => {
    const run = await cli('validate', '--help');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^Usage: dsiem-backend validate \[options\]/);
    for (const option of ['--config <dir>', '-j, --json', '-v, --verbose', '-h, --help']) {
      assert.ok(run.stdout.includes(option), `validate --help does not list ${option}`);
    }
    assert.ok(!run.stdout.includes('--events'), 'validate --help lists replay options');
  });

  it('--version prints the version', async () => {
    const run = await cli('--version');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/);
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
