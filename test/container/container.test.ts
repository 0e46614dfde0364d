// The container contract, without a Docker engine: the Dockerfile declares what a Dsiem deployment expects
// (/dsiem/logs as the volume and the default logs folder, a current LTS Node, the entry point that drops root),
// and the entry point script, run for real as root on a folder holding root-owned files as a volume of the Go
// image does, hands the folder to the unprivileged user and runs the command as that user.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedPort, runCommand, showFinished, type Finished } from '../helpers/run-command.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRYPOINT = path.join(ROOT, 'bin', 'docker-entrypoint.sh');
const PING = path.join(ROOT, 'test/fixtures/conformance/core/02-ping-flood-to-dst');
/** The Node line the image is built on: the active LTS (Node 26 since 2026-10-28). */
const LTS_MAJOR = 26;
/** Not a uid of this machine: shows that DSIEM_UID/DSIEM_GID choose the user. */
const UID = 4321;

interface Instruction {
  readonly name: string;
  readonly args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerfile(): Instruction[] {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return logical.map((l) => {
    const [, name = '', args = ''] = /^\s*(\S+)\s*(.*)$/.exec(l) ?? [];
    return { name: name.toUpperCase(), args: args.trim() };
  });
}

/** The instructions of the last stage (the image that runs). */
function runtimeStage(all: Instruction[]): Instruction[] {
  const from = all.map((i) => i.name).lastIndexOf('FROM');
  return all.slice(from);
}

function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.filter((x) => x.name === 'ENV')) for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1] as string] = (m[2] as string).replace(/^"|"$/g, '');
  return env;
}

describe('Dockerfile', () => {
  const all = dockerfile();
  const stage = runtimeStage(all);

  it('builds every stage on the current Node LTS, in a Debian image (setpriv comes with util-linux)', () => {
    const arg = all.find((i) => i.name === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    const image = arg?.args.slice('NODE_IMAGE='.length) ?? '';
    assert.match(image, new RegExp(`^node:${LTS_MAJOR}-(trixie|bookworm)-slim$`));
    const froms = all.filter((i) => i.name === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    assert.ok(froms.length >= 2);
    assert.deepEqual([...new Set(froms)], ['${NODE_IMAGE}']);
  });

  it('declares /dsiem/logs as the volume and the default logs folder, as Dsiem images do', () => {
    assert.deepEqual(stage.filter((i) => i.name === 'VOLUME').map((i) => JSON.parse(i.args) as string[]), [['/dsiem/logs']]);
    assert.equal(envOf(stage)['DSIEM_LOGS_DIR'], '/dsiem/logs');
    assert.ok(stage.some((i) => i.name === 'RUN' && i.args.includes('chown node:node /dsiem/logs')), 'a fresh volume must belong to the node user');
  });

  it('starts through the entry point script, as root, so that it can hand over the volume', () => {
    assert.deepEqual(JSON.parse(stage.find((i) => i.name === 'ENTRYPOINT')?.args ?? 'null'), ['/app/bin/docker-entrypoint.sh']);
    assert.deepEqual(JSON.parse(stage.find((i) => i.name === 'CMD')?.args ?? 'null'), ['serve']);
    assert.deepEqual(stage.filter((i) => i.name === 'USER'), [], 'a USER line would start the entry point unprivileged');
    assert.ok(stage.some((i) => i.name === 'COPY' && i.args === 'bin ./bin'), 'bin/ (with the script) is not copied into the image');
    assert.ok((statSync(ENTRYPOINT).mode & 0o111) !== 0, 'the script is not executable');
    assert.equal(stage.find((i) => i.name === 'STOPSIGNAL')?.args, 'SIGTERM');
  });

  it("keeps the code's Node range (20.19 and later) in package.json", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } };
    assert.equal(pkg.engines?.node, '>=20.19');
  });
});

// ---- the entry point, run as root -----------------------------------------------------------------------------

function run(argv: readonly string[], env: Record<string, string>): Promise<Finished> {
  return runCommand(argv, { cwd: ROOT, env });
}

const show = showFinished;

const isRoot = process.getuid?.() === 0;
const hasSetpriv = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip = !isRoot ? 'needs root (the entry point changes owners)' : !hasSetpriv ? 'needs setpriv (util-linux)' : false;

describe('docker-entrypoint.sh', { skip }, () => {
  let top = '';
  before(async () => {
    top = await mkdtemp(path.join(tmpdir(), 'dsiem-entrypoint-'));
    // The unprivileged user must reach the folders below.
    await chmod(top, 0o755);
    assert.ok(existsSync(path.join(ROOT, 'dist', 'actors', 'cli.js')), 'build first (npm run build)');
  });
  after(async () => {
    if (top !== '') await rm(top, { recursive: true, force: true });
  });

  /** A logs folder as an existing dsiem-log volume of the Go image leaves it: everything owned by root. */
  async function goVolume(name: string): Promise<string> {
    const logs = path.join(top, name, 'logs');
    await mkdir(path.join(logs, 'backlogs'), { recursive: true, mode: 0o755 });
    await writeFile(path.join(logs, 'siem_alarms.json'), '{"alarm_id":"from-go"}\n', { mode: 0o644 });
    await writeFile(path.join(logs, 'siem_alarm_events.json'), '', { mode: 0o644 });
    return logs;
  }

  const owner = async (file: string) => {
    const s = await lstat(file);
    return `${s.uid}:${s.gid}`;
  };

  it('hands root-owned files to the user and runs the command as that user', async () => {
    const logs = await goVolume('handover');
    // A link planted in the volume: the link is handed over, never the file it points to.
    const outside = path.join(top, 'handover', 'outside.txt');
    await writeFile(outside, 'root only\n', { mode: 0o600 });
    await symlink(outside, path.join(logs, 'link'));
    const r = await run(['sh', ENTRYPOINT, 'sh', '-c', 'id -u; id -g; id -G; echo appended >> "$DSIEM_LOGS_DIR/siem_alarms.json"'], {
      DSIEM_LOGS_DIR: logs,
      DSIEM_UID: String(UID),
      DSIEM_GID: String(UID),
    });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(r.stdout.trim().split('\n'), [String(UID), String(UID), String(UID)], 'not the unprivileged user, or root groups kept');
    for (const f of ['', 'siem_alarms.json', 'siem_alarm_events.json', 'backlogs', 'link']) assert.equal(await owner(path.join(logs, f)), `${UID}:${UID}`, f);
    assert.equal(await owner(outside), '0:0', 'the link target changed owner');
    assert.equal(await readFile(path.join(logs, 'siem_alarms.json'), 'utf8'), '{"alarm_id":"from-go"}\nappended\n');
  });

  it('makes a missing logs folder, owned by the user', async () => {
    const logs = path.join(top, 'fresh', 'dsiem', 'logs');
    const r = await run(['sh', ENTRYPOINT, 'true'], { DSIEM_LOGS_DIR: logs, DSIEM_UID: String(UID), DSIEM_GID: String(UID) });
    assert.equal(r.code, 0, show(r));
    assert.equal(await owner(logs), `${UID}:${UID}`);
  });

  it('runs the node user (1000:1000) by default', async () => {
    const logs = await goVolume('default-user');
    const r = await run(['sh', ENTRYPOINT, 'sh', '-c', 'echo "$(id -u):$(id -g)"'], { DSIEM_LOGS_DIR: logs });
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout.trim(), '1000:1000');
    assert.equal(await owner(path.join(logs, 'siem_alarms.json')), '1000:1000');
  });

  it('turns a dsiem-backend command into the backend, run unprivileged (validate)', async () => {
    const logs = await goVolume('command');
    const r = await run(['sh', ENTRYPOINT, 'validate', '--config', PING], { DSIEM_LOGS_DIR: logs, DSIEM_UID: String(UID), DSIEM_GID: String(UID) });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^config ok: 1 directives/);
  });

  it('runs the backend for `test`, not /usr/bin/test (which would exit 0 having tested nothing)', async () => {
    const logs = await goVolume('test-command');
    const missing = await run(['sh', ENTRYPOINT, 'test', path.join(top, 'no-such-cases')], { DSIEM_LOGS_DIR: logs });
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stdout, /no test case here/);
    const cases = path.join(ROOT, 'test', 'directive-cases');
    const passing = await run(['sh', ENTRYPOINT, 'test', cases], { DSIEM_LOGS_DIR: logs });
    assert.equal(passing.code, 0, show(passing));
    assert.match(passing.stdout, /passed/);
  });

  it("takes exactly the CLI's commands as backend commands", () => {
    const help = execFileSync(process.execPath, [path.join(ROOT, 'bin', 'dsiem-backend.js'), '--help'], { encoding: 'utf8' });
    const cli = [...help.slice(help.indexOf('Commands:')).matchAll(/^ {2}(\w+)/gm)].map((m) => m[1]).sort();
    const listed = /^backend_commands="([^"]*)"$/m.exec(readFileSync(ENTRYPOINT, 'utf8'))?.[1]?.split(' ').sort();
    assert.deepEqual(listed, cli);
  });

  it("lets serve past its logs-folder check on a Go volume, where the same user without the entry point is refused", async () => {
    const port = await closedPort();
    const args = ['serve', '--config', PING, '--msq', `nats://127.0.0.1:${port}`];
    const refusedLogs = await goVolume('serve-direct');
    const direct = await run(['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', process.execPath, 'bin/dsiem-backend.js', ...args], { DSIEM_LOGS_DIR: refusedLogs });
    assert.equal(direct.code, 1, show(direct));
    assert.match(direct.stderr, new RegExp(`^dsiem-backend: logs folder ${refusedLogs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not writable by uid ${UID} \\(gid ${UID}\\): EACCES`));
    const logs = await goVolume('serve-entrypoint');
    const through = await run(['sh', ENTRYPOINT, ...args], { DSIEM_LOGS_DIR: logs, DSIEM_UID: String(UID), DSIEM_GID: String(UID) });
    // Past the check and the configs, stopped by the missing NATS server.
    assert.equal(through.code, 1, show(through));
    assert.match(through.stdout, /config loaded/);
    assert.match(through.stderr, /^dsiem-backend: cannot connect to NATS/);
  });

  it('started as another user, runs the command as it is and changes nothing', async () => {
    const logs = await goVolume('non-root');
    const r = await run(['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', 'sh', ENTRYPOINT, 'sh', '-c', 'id -u'], { DSIEM_LOGS_DIR: logs, DSIEM_UID: '1000' });
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout.trim(), String(UID));
    assert.equal(await owner(path.join(logs, 'siem_alarms.json')), '0:0');
  });

  for (const [variable, what] of [['DSIEM_UID', 'the root user'], ['DSIEM_GID', 'the root group']] as const) {
    it(`refuses to run as ${what} (${variable}=0), changing nothing`, async () => {
      const logs = await goVolume(`${variable}-zero`);
      const r = await run(['sh', ENTRYPOINT, 'sh', '-c', 'echo ran'], { DSIEM_LOGS_DIR: logs, [variable]: '0' });
      assert.equal(r.code, 1, show(r));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`${variable}=0 refused`));
      assert.equal(await owner(path.join(logs, 'siem_alarms.json')), '0:0');
    });
  }
});
