// The settings (one table, read through convict): env names, precedence, D8 booleans, values refused at
// start-up, and messages that name what the user set (the variable or the flag as typed), never a schema key.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FORMATS } from '../../config/formats.js';
import { loadSettings, type GivenFlag } from '../../config/load-settings.js';
import { keysOf, serveSchema, specOf, type CommandName, type SettingKey } from '../../config/schema.js';

const base = { DSIEM_NODE: 'node-1' };

function flag(key: SettingKey, value: unknown, spelling?: string): GivenFlag {
  return { key, value, spelling: spelling ?? (/--[\w-]+/.exec(specOf(key).flag)?.[0] ?? '') };
}

function ok(env: Record<string, string>, flags: GivenFlag[] = []) {
  const r = loadSettings('serve', { ...base, ...env }, flags);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

function refused(env: Record<string, string>, flags: GivenFlag[] = [], command: CommandName = 'serve'): string {
  const r = loadSettings(command, { ...base, ...env }, flags);
  assert.equal(r.ok, false, `accepted: ${JSON.stringify(env)} ${JSON.stringify(flags)}`);
  if (r.ok) return '';
  assert.equal(r.error.name, 'SettingsError');
  return r.error.message;
}

describe('settings of serve', () => {
  it('has the seed defaults', () => {
    const c = ok({});
    assert.equal(c.frontend, 'http://frontend:8080');
    assert.equal(c.msq, 'nats://dsiem-nats:4222');
    assert.deepEqual([c.medRiskMin, c.medRiskMax, c.maxEps, c.maxQueue, c.holdDuration, c.maxDelay, c.cache], [3, 6, 1000, 25000, 10, 180, 10]);
    assert.equal(c.reloadBacklogs, true);
    assert.equal(c.logsDir, './logs');
    assert.equal(c.status.split(',')[0], 'Open');
    assert.equal(c.tags.split(',')[0], 'Identified Threat');
  });

  it('reads DSIEM_* variables, and a flag wins over its variable', () => {
    const c = ok({ DSIEM_MAXQUEUE: '100', DSIEM_MINALARMLIFETIME: '5', DSIEM_FRONTEND: 'http://fe:1' }, [flag('maxQueue', '7')]);
    assert.equal(c.maxQueue, 7);
    assert.equal(c.minAlarmLifetime, 5);
    assert.equal(c.frontend, 'http://fe:1');
  });

  it('accepts true/false/1/0 in any case for booleans (D8)', () => {
    for (const [text, value] of [['TRUE', true], ['1', true], ['False', false], ['0', false]] as const) {
      assert.equal(ok({ DSIEM_RELOAD_BACKLOGS: text }).reloadBacklogs, value, text);
      assert.equal(ok({ DSIEM_JSON: text }).json, value, text);
      assert.equal(ok({}, [flag('reloadBacklogs', text)]).reloadBacklogs, value, text);
    }
    assert.equal(refused({ DSIEM_DEBUG: 'yes' }), 'DSIEM_DEBUG (--debug): must be true, false, 1 or 0, got "yes"');
  });

  it('reads --max_eps from DSIEM_MAXEPS, else MAX_EPS', () => {
    assert.equal(ok({ MAX_EPS: '300' }).maxEps, 300);
    assert.equal(ok({ MAX_EPS: '300', DSIEM_MAXEPS: '400' }).maxEps, 400);
  });

  it('names the variable and its flag when a variable is refused', () => {
    assert.equal(refused({ DSIEM_MAXEPS: '0' }), 'DSIEM_MAXEPS (--max_eps): must be a whole number >= 1, got "0"');
    assert.equal(refused({ MAX_EPS: '0' }), 'MAX_EPS (--max_eps): must be a whole number >= 1, got "0"');
    assert.equal(refused({ DSIEM_HOLDDURATION: '0' }), 'DSIEM_HOLDDURATION (--hold_duration): must be a whole number >= 1, got "0"');
    assert.equal(refused({ DSIEM_MAXQUEUE: 'lots' }), 'DSIEM_MAXQUEUE (--max_queue): must be a whole number >= 0, got "lots"');
    assert.equal(refused({ DSIEM_MEDRISKMIN: '1' }), 'DSIEM_MEDRISKMIN (--med_risk_min): must be a whole number from 2 to 9, got "1"');
    assert.equal(refused({ DSIEM_MEDRISKMAX: '10' }), 'DSIEM_MEDRISKMAX (--med_risk_max): must be a whole number from 2 to 9, got "10"');
  });

  it('names the flag as typed when a flag is refused', () => {
    assert.equal(refused({}, [flag('maxEps', '0')]), '--max_eps: must be a whole number >= 1, got "0"');
    assert.equal(refused({}, [flag('maxEps', '0', '--maxEPS')]), '--maxEPS (--max_eps): must be a whole number >= 1, got "0"');
    assert.equal(refused({}, [flag('maxEps', 'x', '-e')]), '-e (--max_eps): must be a whole number >= 1, got "x"');
    // A flag wins over its variable, in messages too.
    assert.match(refused({ DSIEM_MAXEPS: '5' }, [flag('maxEps', '0')]), /^--max_eps: /);
  });

  it('says how each bound was set when the Medium range is empty', () => {
    assert.equal(
      refused({ DSIEM_MEDRISKMIN: '6' }),
      'DSIEM_MEDRISKMIN=6 and --med_risk_max 6 (default): the Medium range needs med_risk_min < med_risk_max (both from 2 to 9)',
    );
    assert.match(refused({}, [flag('medRiskMin', '7'), flag('medRiskMax', '6', '--medRiskMax')]), /^--med_risk_min 7 and --medRiskMax 6: /);
  });

  it('reports every refused value, one per line', () => {
    assert.deepEqual(refused({ DSIEM_MAXEPS: '0', DSIEM_STATUS: ',Open' }).split('\n'), [
      'DSIEM_STATUS (--status): must be a comma-separated list whose first entry is not empty, got ",Open"',
      'DSIEM_MAXEPS (--max_eps): must be a whole number >= 1, got "0"',
    ]);
  });

  it('needs a node name when configs come from the frontend, not with a local folder', () => {
    assert.equal(refused({ DSIEM_NODE: '' }), '--node (DSIEM_NODE) is required when configs come from the frontend');
    assert.equal(ok({ DSIEM_NODE: '', DSIEM_CONFIG_DIR: '/etc/dsiem' }).configDir, '/etc/dsiem');
  });

  it('refuses a NATS URL that is not one, without showing its credentials', () => {
    const message = refused({ DSIEM_MSQ: 'http://u:topsecret@h:1' });
    assert.match(message, /^DSIEM_MSQ \(--msq\): must be one or more comma-separated nats:/);
    assert.ok(message.endsWith('got "http://***@h:1"'), message);
    assert.ok(!message.includes('topsecret'));
  });

  it('refuses a WebSocket NATS URL (the Node client would dial it as plain TCP)', () => {
    assert.match(refused({ DSIEM_MSQ: 'ws://nats:8080' }), /^DSIEM_MSQ \(--msq\): .*WebSocket URLs are not supported\), got "ws:\/\/nats:8080"$/);
    assert.match(refused({ DSIEM_MSQ: 'nats://a:4222,wss://b:443' }), /WebSocket URLs are not supported/);
    assert.equal(ok({ DSIEM_MSQ: 'nats://a:4222, tls://b:4443' }).msq, 'nats://a:4222, tls://b:4443');
  });

  it('refuses a NATS credentials or CA file it cannot read, naming the setting (a usage error, not a failed connection)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dsiem-settings-'));
    try {
      const creds = path.join(dir, 'user.creds');
      writeFileSync(creds, 'not checked here\n');
      const missing = path.join(dir, 'nope.pem');
      assert.equal(refused({ DSIEM_NATS_CREDS: missing }), `DSIEM_NATS_CREDS (--nats-creds): must be the path of a file this user can read, got "${missing}"`);
      assert.equal(refused({}, [flag('natsTlsCa', dir)]), `--nats-tls-ca: must be the path of a file this user can read, got "${dir}"`);
      assert.equal(ok({ DSIEM_NATS_CREDS: creds }).natsCreds, creds);
      for (const command of ['publish', 'stats'] as const) {
        const r = loadSettings(command, { DSIEM_NATS_TLS_CA: missing }, [{ key: 'events', value: creds, spelling: '--events' }]);
        assert.ok(!r.ok && r.error.message.startsWith('DSIEM_NATS_TLS_CA (--nats-tls-ca): must be the path of a file'), `${command}: ${r.ok ? 'accepted' : r.error.message}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ignores unknown DSIEM_* variables such as DSIEM_MODE', () => {
    assert.equal(ok({ DSIEM_MODE: 'cluster-backend' }).node, 'node-1');
  });
});

describe('settings of the offline commands', () => {
  it('replay takes the correlation settings with the same defaults and checks as serve', () => {
    const r = loadSettings('replay', {}, [flag('configDir', 'c'), flag('events', 'e.jsonl'), flag('logsDir', 'l')]);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const serve = ok({});
    assert.deepEqual(
      [r.value.minAlarmLifetime, r.value.medRiskMin, r.value.medRiskMax, r.value.status, r.value.tags],
      [serve.minAlarmLifetime, serve.medRiskMin, serve.medRiskMax, serve.status, serve.tags],
    );
    assert.equal(r.value.drain, false);
    const bad = loadSettings('replay', {}, [flag('configDir', 'c'), flag('events', 'e'), flag('logsDir', 'l'), flag('minAlarmLifetime', 'abc', '-l')]);
    assert.equal(bad.ok ? '' : bad.error.message, '-l (--min-alarm-lifetime): must be a whole number >= 0, got "abc"');
  });

  it('says which required flags are missing', () => {
    assert.deepEqual(refused({}, [], 'replay').split('\n'), [
      'required option --config <dir> not given',
      'required option --logs <dir> not given',
      'required option --events <file> not given',
    ]);
    assert.equal(refused({}, [], 'validate'), 'required option --config <dir> not given');
  });
});

describe('the settings table', () => {
  it('gives every setting a default its own format accepts, and a DSIEM_* variable when serve takes it', () => {
    const serveKeys: readonly SettingKey[] = keysOf('serve');
    for (const key of Object.keys(serveSchema) as SettingKey[]) {
      const s = specOf(key);
      assert.ok(FORMATS[s.format].check(s.default), `${key}: default ${JSON.stringify(s.default)} is not ${FORMATS[s.format].expects}`);
      if (serveKeys.includes(key)) assert.ok(s.env?.startsWith('DSIEM_'), `${key} has no DSIEM_* variable`);
    }
  });
});
