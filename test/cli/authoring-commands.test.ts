// The BUILT command line for directive authors, as a child process: `explain` (a near miss gives the failing
// field), `replay --explain` (the explanation carries the engine's alarm ids) and `--coverage`, and `test` on the
// repository's directive cases (they pass; a wrong expectation in a copy fails with a diff and exit 1; --update
// writes expected.json; --junit writes the report). Build first when run alone: `npm run build`.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, type Finished } from '../helpers/run-command.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CASES = 'test/directive-cases';
const PORT_SCAN = `${CASES}/port-scan`;

before(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'actors', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
});

const tempDirs: string[] = [];
after(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-authoring-'));
  tempDirs.push(dir);
  return dir;
}

/** The built command line, run to its end from the repository's root. */
const cli = (...args: string[]): Promise<Finished> => runCommand([process.execPath, 'bin/dsiem-backend.js', ...args], { cwd: ROOT });

const show = (run: Finished) => `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
const jsonLines = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

/** A copy of a repository case whose `config` pointer still reaches config/example. */
async function copyOfCase(name: string): Promise<string> {
  const dir = path.join(await tempDir(), name);
  await cp(path.join(ROOT, CASES, name), dir, { recursive: true });
  await writeFile(path.join(dir, 'config'), `${path.join(ROOT, 'config', 'example')}\n`);
  return dir;
}

describe('explain', () => {
  it('gives the failing field of a near-miss event, with the reference and what it resolved to', async () => {
    const run = await cli('explain', '--config', 'config/example', '--events', `${PORT_SCAN}/events.jsonl`, '--directive', '3');
    assert.equal(run.code, 0, show(run));
    const text = run.stdout;
    assert.match(text, /line 8: event scan-08 at 2025-06-02T09:00:07Z: plugin 2001\/1, 10\.0\.0\.9:40007 -> 192\.168\.0\.10:8080\n/);
    assert.match(text, / {4}backlog 3-1 stage 3: "from" 10\.0\.0\.9 is not :1 = 203\.0\.113\.50\n {4}=> ignored: no backlog took it, and stage 1 does not match: "from" 10\.0\.0\.9 is in HOME_NET\n/);
    assert.match(text, /backlog 3-1 stage 2: matched, consumed but not counted: no new sticky_different value: DST_PORT "22" was already seen in stage 2/);
    assert.match(text, /\nexplained 10 lines: 10 events correlated, 0 invalid, 0 whitelisted; 1 backlog created, 8 events counted, 1 alarm, 0 expired\n$/);
  });

  it('-j gives one JSON line per event, then a summary', async () => {
    const run = await cli('explain', '--config', 'config/example', '--events', 'config/example/events.jsonl', '-j');
    assert.equal(run.code, 0, show(run));
    const records = jsonLines(run.stdout);
    assert.equal(records.length, 30);
    assert.deepEqual(records.at(-1), { summary: 'explain', lines: 29, events: 27, invalid: 1, whitelisted: 1, backlogs_created: 4, counted: 25, expired: 0, alarms: 4 });
    assert.deepEqual(records[0]?.['reached'], [1, 2]);
  });

  it('refuses a directive id the config does not have: exit 2, naming the ids there are', async () => {
    const run = await cli('explain', '--config', 'config/example', '--events', 'config/example/events.jsonl', '--directive', '99');
    assert.equal(run.code, 2, show(run));
    assert.match(run.stderr, /--directive 99: no enabled directive has this id \(ids: 3, 4, 1, 2\)/);
  });
});

describe('replay --explain and --coverage', () => {
  it('explains with the alarm ids the engine wrote, and prints the coverage after the summary', async () => {
    const logs = await tempDir();
    const run = await cli('replay', '--config', 'config/example', '--events', 'config/example/events.jsonl', '--logs', logs, '--explain', '-j', '--coverage');
    assert.equal(run.code, 0, show(run));
    const written = (await readFile(path.join(logs, 'siem_alarm_events.json'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { alarm_id: string; event_id: string; stage: number });
    const records = jsonLines(run.stdout);
    const created = records.filter((r) => 'event_id' in r).flatMap((r) => ((r['directives'] ?? []) as Array<{ new_backlog?: { backlog_id: string } }>).flatMap((d) => (d.new_backlog === undefined ? [] : [[d.new_backlog.backlog_id, r['event_id']]])));
    assert.equal(created.length, 4);
    for (const [id, eventId] of created) assert.ok(written.some((w) => w.alarm_id === id && w.stage === 1 && w.event_id === eventId), `backlog ${id} (first event ${eventId}) is not in the alarm files`);
    assert.equal(records.find((r) => 'events_read' in r)?.['backlogs_created'], 4, 'the replay summary (one JSON object with -j)');
    const coverage = records.filter((r) => r['coverage'] !== undefined);
    assert.deepEqual(coverage.at(-1), { coverage: 'summary', directives: 4, reached: 4, with_backlogs: 4, never_reached: [], stages: 12, stages_reached: 12, events: 27, backlogs: 4, alarms: 4 });
  });

  it('--coverage alone: the directives and stages the events never reached', async () => {
    const run = await cli('replay', '--config', 'config/example', '--events', `${PORT_SCAN}/events.jsonl`, '--logs', await tempDir(), '--coverage');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /\ncoverage: 10 events; 1 of 4 directives reached, 1 with backlogs; 3 of 12 stages counted an event; 1 backlog, 1 alarm\n/);
    assert.match(run.stdout, /\n {2}never reached: directive 4, directive 1, directive 2\n$/);
  });
});

describe('test', () => {
  it('passes on the repository\'s directive cases', async () => {
    const run = await cli('test', CASES);
    assert.equal(run.code, 0, show(run));
    assert.equal(run.stdout, `PASS ${PORT_SCAN} (1 alarm)\nPASS ${CASES}/ssh-brute-force (1 alarm)\n2 cases: 2 passed, 0 failed, 0 could not run\n`);
  });

  it('fails with a readable diff and exit 1 when an expectation is wrong, and says so in the JUnit report', async () => {
    const dir = await copyOfCase('port-scan');
    const file = path.join(dir, 'expected.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"risk": 3', '"risk": 4').replace('"scan-10"', '"scan-11"'));
    const junit = path.join(await tempDir(), 'report.xml');
    const run = await cli('test', dir, '--junit', junit);
    assert.equal(run.code, 1, show(run));
    assert.equal(
      run.stdout,
      [
        `FAIL ${dir} (1 alarm)`,
        '  alarm "Port scan from 203.0.113.50 against 192.168.0.10" (expected alarm #1):',
        '    risk: expected 4, got 3',
        '    event_ids stage 3: missing "scan-11"; unexpected "scan-10"',
        '1 case: 0 passed, 1 failed, 0 could not run',
        '',
      ].join('\n'),
    );
    const xml = await readFile(junit, 'utf8');
    assert.match(xml, /<testsuites name="dsiem-backend test" tests="1" failures="1" errors="0"/);
    assert.match(xml, /<failure message="the alarms differ from expected\.json" type="AlarmMismatch">alarm &quot;Port scan .*\n {2}risk: expected 4, got 3\n {2}event_ids stage 3: missing &quot;scan-11&quot;; unexpected &quot;scan-10&quot;<\/failure>/);
  });

  it('--update writes expected.json from what happens, keeping the case\'s options; without it a missing file is an error', async () => {
    const dir = await copyOfCase('ssh-brute-force');
    const before = await readFile(path.join(dir, 'expected.json'), 'utf8');
    await writeFile(path.join(dir, 'expected.json'), '{ "description": "kept", "drain": true, "alarms": [] }');
    const updated = await cli('test', dir, '--update');
    assert.equal(updated.code, 0, show(updated));
    assert.match(updated.stdout, /^UPDATED .* \(1 alarm written to expected\.json\)\n/);
    assert.equal(await readFile(path.join(dir, 'expected.json'), 'utf8'), before.replace(/"description": "[^"]*"/, '"description": "kept"'));
    await rm(path.join(dir, 'expected.json'));
    const missing = await cli('test', dir);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stdout, /^ERROR .*\n {2}.*expected\.json is missing: run with --update to write it from what happens\n/);
  });

  it('--coverage reports the config folder the cases use, with what they never reach', async () => {
    const run = await cli('test', CASES, '--coverage', '-j');
    assert.equal(run.code, 0, show(run));
    const summary = jsonLines(run.stdout).find((r) => r['coverage'] === 'summary');
    assert.deepEqual(summary, { config: path.join(ROOT, 'config', 'example'), coverage: 'summary', directives: 4, reached: 2, with_backlogs: 2, never_reached: [1, 2], stages: 12, stages_reached: 5, events: 16, backlogs: 3, alarms: 2 });
  });

  it('a folder without cases, or a case whose config does not load, could not run: exit 1', async () => {
    const empty = await tempDir();
    const run = await cli('test', empty);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stdout, /^ERROR .*\n {2}.*: no test case here/);
    const dir = await copyOfCase('port-scan');
    await writeFile(path.join(dir, 'config'), 'no-such-folder\n');
    const broken = await cli('test', dir);
    assert.equal(broken.code, 1, show(broken));
    assert.match(broken.stdout, /config names no-such-folder, which is not a folder/);
  });
});
