// The serve configuration (convict): env names, precedence, D8 booleans, values refused at start-up.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadServeConfig } from '../../config/schema.js';

const base = { DSIEM_NODE: 'node-1' };

function ok(env: Record<string, string>, cli: Record<string, unknown> = {}) {
  const r = loadServeConfig({ ...base, ...env }, cli);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.config;
}

function refused(env: Record<string, string>, cli: Record<string, unknown> = {}): string {
  const r = loadServeConfig({ ...base, ...env }, cli);
  assert.equal(r.ok, false);
  return r.ok ? '' : r.error;
}

describe('serve configuration', () => {
  it('has the seed defaults', () => {
    const c = ok({});
    assert.equal(c.frontend, 'http://frontend:8080');
    assert.equal(c.msq, 'nats://dsiem-nats:4222');
    assert.deepEqual([c.medRiskMin, c.medRiskMax, c.maxEps, c.maxQueue, c.holdDuration, c.maxDelay, c.cache], [3, 6, 1000, 25000, 10, 180, 10]);
    assert.equal(c.reloadBacklogs, true);
    assert.equal(c.status.split(',')[0], 'Open');
    assert.equal(c.tags.split(',')[0], 'Identified Threat');
  });

  it('reads DSIEM_* variables, and a flag wins over its variable', () => {
    const c = ok({ DSIEM_MAXQUEUE: '100', DSIEM_MINALARMLIFETIME: '5', DSIEM_FRONTEND: 'http://fe:1' }, { maxQueue: '7' });
    assert.equal(c.maxQueue, 7);
    assert.equal(c.minAlarmLifetime, 5);
    assert.equal(c.frontend, 'http://fe:1');
  });

  it('accepts true/false/1/0 in any case for booleans (D8)', () => {
    for (const [text, value] of [['TRUE', true], ['1', true], ['False', false], ['0', false]] as const) {
      assert.equal(ok({ DSIEM_RELOAD_BACKLOGS: text }).reloadBacklogs, value, text);
      assert.equal(ok({ DSIEM_JSON: text }).json, value, text);
    }
    assert.match(refused({ DSIEM_DEBUG: 'yes' }), /debug/);
  });

  it('reads --max_eps from DSIEM_MAXEPS, else MAX_EPS', () => {
    assert.equal(ok({ MAX_EPS: '300' }).maxEps, 300);
    assert.equal(ok({ MAX_EPS: '300', DSIEM_MAXEPS: '400' }).maxEps, 400);
  });

  it('refuses the values that crashed the Rust port, and risk bounds out of range', () => {
    assert.match(refused({ DSIEM_MAXEPS: '0' }), /maxEps/);
    assert.match(refused({ DSIEM_HOLDDURATION: '0' }), /holdDuration/);
    assert.match(refused({ DSIEM_MEDRISKMIN: '1' }), /med_risk_min 1/);
    assert.match(refused({ DSIEM_MEDRISKMAX: '10' }), /med_risk_max 10/);
    assert.match(refused({ DSIEM_MEDRISKMIN: '6', DSIEM_MEDRISKMAX: '6' }), /med_risk_min 6/);
    assert.match(refused({ DSIEM_MAXQUEUE: 'lots' }), /maxQueue/);
  });

  it('needs a node name when configs come from the frontend, not with a local folder', () => {
    assert.match(refused({ DSIEM_NODE: '' }), /--node/);
    assert.equal(ok({ DSIEM_NODE: '', DSIEM_CONFIG_DIR: '/etc/dsiem' }).configDir, '/etc/dsiem');
  });

  it('refuses a NATS URL that is not one, and keeps the URL out of its description', () => {
    assert.match(refused({ DSIEM_MSQ: 'http://x:1' }), /msq/);
    const r = loadServeConfig({ ...base, DSIEM_MSQ: 'nats://u:topsecret@h:4222' }, {});
    assert.ok(r.ok);
    assert.ok(!r.describe().includes('topsecret'));
  });

  it('ignores unknown DSIEM_* variables such as DSIEM_MODE', () => {
    assert.equal(ok({ DSIEM_MODE: 'cluster-backend' }).node, 'node-1');
  });
});
