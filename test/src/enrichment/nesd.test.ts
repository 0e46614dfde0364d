import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NO_VULNERABILITY, nesdUrl, parseNesdResponse, vulnSearchTerms } from '../../../src/enrichment/nesd.js';
import type { RuleSpec } from '../../../src/directive/rule-spec.js';
import { aRule } from '../helpers.js';

describe('nesdUrl', () => {
  it('replaces the first ${ip} and the first ${port}', () => {
    assert.equal(nesdUrl('http://dsiem-nesd:8081/?ip=${ip}&port=${port}', '192.168.0.1', 80),
      'http://dsiem-nesd:8081/?ip=192.168.0.1&port=80');
    assert.equal(nesdUrl('http://n/${ip}/${port}/${ip}/${port}', '1.2.3.4', 25), 'http://n/1.2.3.4/25/${ip}/${port}');
  });
});

describe('parseNesdResponse', () => {
  const hit = (result: string, term = '192.168.0.1:80') => ({ provider: 'Nesd', term, result });

  it(`reads exactly ${JSON.stringify(NO_VULNERABILITY)} as no hits`, () => {
    assert.deepEqual(parseNesdResponse('1.0.0.2', 25, 'no vulnerability found\n'), { ok: true, value: [] });
  });

  for (const near of ['no vulnerability found', 'no vulnerability found\n\n', 'No vulnerability found\n', ' no vulnerability found\n']) {
    it(`does not take ${JSON.stringify(near)} for the no-vulnerability answer (it is an error)`, () => {
      const r = parseNesdResponse('1.0.0.2', 25, near);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, /^error parsing nesd result/);
    });
  }

  const ok: Array<[string, string, ReturnType<typeof hit>[]]> = [
    ['Medium with a cve', '[{"cve":"CVE-2007-007","risk":"Medium","name":"Bond"}]', [hit('Medium - Bond (CVE-2007-007)')]],
    ['High without a cve key', '[{"risk":"High","name":"Open relay"}]', [hit('High - Open relay')]],
    ['Critical with an empty cve', '[{"cve":"","risk":"Critical","name":"RCE"}]', [hit('Critical - RCE')]],
    ['a null cve', '[{"cve":null,"risk":"High","name":"X"}]', [hit('High - X')]],
    ['Low is dropped', '[{"cve":"CVE-1","risk":"Low","name":"Banner"}]', []],
    ['None is dropped', '[{"risk":"None","name":"Info"}]', []],
    ['risk is case-sensitive', '[{"risk":"medium","name":"m"},{"risk":"HIGH","name":"h"}]', []],
    ['a mix keeps Medium/High/Critical in order',
      '[{"risk":"Low","name":"a"},{"risk":"Critical","name":"b","cve":"CVE-2"},{"risk":"None","name":"c"},{"risk":"Medium","name":"d"}]',
      [hit('Critical - b (CVE-2)'), hit('Medium - d')]],
    ['an empty array', '[]', []],
    ['extra keys', '[{"risk":"High","name":"n","plugin_id":123,"cvss":7.5}]', [hit('High - n')]],
  ];
  for (const [name, body, hits] of ok) {
    it(`accepts ${name}`, () => {
      assert.deepEqual(parseNesdResponse('192.168.0.1', 80, body), { ok: true, value: hits });
    });
  }

  it('uses ip:port as the term', () => {
    const r = parseNesdResponse('1.0.0.1', 25, '[{"risk":"Medium","name":"SMTP"}]');
    assert.deepEqual(r, { ok: true, value: [hit('Medium - SMTP', '1.0.0.1:25')] });
  });

  const bad: Array<[string, string]> = [
    ['an empty body', ''],
    ['garbage', 'Internal Server Error'],
    ['an object', '{"risk":"High","name":"n"}'],
    ['a missing risk', '[{"name":"n"}]'],
    ['a missing name', '[{"risk":"High"}]'],
    ['a numeric cve', '[{"cve":7,"risk":"High","name":"n"}]'],
    ['a non-object entry', '["High"]'],
  ];
  for (const [name, body] of bad) {
    it(`refuses ${name} with an error, without throwing`, () => {
      const r = parseNesdResponse('192.168.0.1', 80, body);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, /^error parsing nesd result/);
    });
  }
});

describe('vulnSearchTerms', () => {
  const terms = (rules: Array<Partial<RuleSpec>>, lastSrcPort = 0, lastDstPort = 0) =>
    vulnSearchTerms({ rules: rules.map((r) => aRule(r)), lastSrcPort, lastDstPort }).map((t) => `${t.ip}:${t.port}`);

  it('test_vuln_searchterm: one IP x {port 80} + the last port 443 gives 2 terms; adding again keeps 2', () => {
    const rule = { from: '192.168.0.1', port_from: '80' };
    assert.deepEqual(terms([rule], 443).sort(), ['192.168.0.1:443', '192.168.0.1:80']);
    assert.equal(terms([rule, rule], 443).length, 2);
  });

  it('gives nothing for ANY, HOME_NET, !HOME_NET and networks', () => {
    assert.deepEqual(terms([
      { from: 'ANY', to: 'HOME_NET', port_from: '80', port_to: '443' },
      { from: '!HOME_NET', to: '10.0.0.0/8', port_from: '80', port_to: '443' },
      { from: '192.168.0.0/16, 192.168.0.1/32', to: 'ANY' },
    ], 1234, 80), []);
  });

  it('uses the destination side with port_to and the last destination port', () => {
    assert.deepEqual(terms([{ to: '10.0.0.5', port_to: '22, 23' }], 1234, 8080), ['10.0.0.5:8080', '10.0.0.5:22', '10.0.0.5:23']);
  });

  it('skips zero last ports and non-port elements of the port lists', () => {
    assert.deepEqual(terms([{ from: '1.2.3.4', port_from: 'ANY' }]), []);
    assert.deepEqual(terms([{ from: '1.2.3.4', port_from: '0, !80, 70000, abc, 25' }]), ['1.2.3.4:25']);
  });

  it('trims list elements and skips negated addresses', () => {
    assert.deepEqual(terms([{ from: '!1.1.1.1, 1.2.3.4 ,5.6.7.8', port_from: ' 80 ' }]), ['1.2.3.4:80', '5.6.7.8:80']);
  });

  it('deduplicates across rules and sides', () => {
    assert.deepEqual(terms([
      { from: '1.2.3.4', to: '1.2.3.4', port_from: '80', port_to: '80' },
      { from: '1.2.3.4', port_from: '80, 81' },
    ], 80, 80), ['1.2.3.4:80', '1.2.3.4:81']);
  });

  it('writes IPv6 addresses canonically', () => {
    assert.deepEqual(terms([{ from: '2001:DB8:0:0::1', port_from: '443' }]), ['2001:db8::1:443']);
  });

  it('gives nothing without rules', () => {
    assert.deepEqual(terms([], 80, 80), []);
  });
});
