import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressListMatches,
  compileAddressList,
  compileCustomData,
  compilePortList,
  customDataMatches,
  portListMatches,
  splitList,
  stringListMatches,
} from '../../../src/rule/list-match.js';
import fc from 'fast-check';
import { ip } from '../helpers.js';

describe('IP list match (dsiem-backend.md 8.3, verbatim)', () => {
  const table: Array<[string, string, boolean]> = [
    ['192.168.0.1', '192.168.0.0/16', true],
    ['192.168.0.1', '192.168.0.1', true],
    ['192.168.0.1', '192.168.0.1/32', true],
    ['192.168.0.1', '192.168.0.1/24', false],
    ['192.168.0.1', '!10.0.0.0/16', true],
    ['192.168.0.1', '!10.0.0.0/16, 192.168.0.0/24', true],
    ['192.168.0.1', '!192.168.0.0/24', false],
    ['192.168.0.1', '10.0.0.0/16, !192.168.0.0/16', false],
    ['192.168.0.1', '10.0.0.0/16, !192.168.0.0/16, 192.168.0.0/16', false],
  ];
  for (const [addr, rule, expected] of table) {
    it(`${expected ? 'matches' : 'does not match'} ${addr} against "${rule}"`, () => {
      assert.equal(addressListMatches(compileAddressList(rule).list, ip(addr)), expected);
    });
  }

  it('reports and skips an entry whose host bits are set ("192.168.0.1/24")', () => {
    const { list, errors } = compileAddressList('192.168.0.1/24, 10.0.0.0/8');
    assert.equal(list.length, 1);
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /host part/);
    assert.equal(addressListMatches(list, ip('10.1.1.1')), true);
  });
});

describe('IP list match: the left-to-right scan with shortcuts (go-dsiem.md 3.3)', () => {
  const table: Array<[string, string, boolean]> = [
    ['10.20.0.7', '10.0.0.0/8, !10.20.0.0/16', true], // the positive entry comes first
    ['203.0.113.1', '10.0.0.0/8, !10.20.0.0/16', true], // the negation is not hit
    ['10.20.0.7', '!10.20.0.0/16, 10.0.0.0/8', false],
    ['10.1.0.1', '!10.20.0.0/16, 10.0.0.0/8', true],
    ['8.8.8.8', '10.0.0.0/8, 172.16.0.0/12', false],
    ['172.16.5.4', '10.0.0.0/8, 172.16.0.0/12', true],
    ['192.168.0.1', ' 192.168.0.1 ,10.0.0.1', true],
  ];
  for (const [addr, rule, expected] of table) {
    it(`${expected ? 'matches' : 'does not match'} ${addr} against "${rule}"`, () => {
      assert.equal(addressListMatches(compileAddressList(rule).list, ip(addr)), expected);
    });
  }

  it('treats an IPv6 entry without a prefix as a /128 host (D5)', () => {
    const { list, errors } = compileAddressList('2002:c0a8:1::1');
    assert.deepEqual(errors, []);
    assert.equal(addressListMatches(list, ip('2002:c0a8:1::1')), true);
    assert.equal(addressListMatches(list, ip('2002:c0a8:1::2')), false);
    assert.equal(addressListMatches(list, ip('2002:c0a8:ffff::1')), false);
  });

  it('never lets an entry of one family contain an address of the other', () => {
    assert.equal(addressListMatches(compileAddressList('0.0.0.0/0').list, ip('::1')), false);
    assert.equal(addressListMatches(compileAddressList('::/0').list, ip('10.0.0.1')), false);
    assert.equal(addressListMatches(compileAddressList('!::/0').list, ip('10.0.0.1')), true);
  });
});

describe('string list match (dsiem-backend.md 8.3, verbatim)', () => {
  const table: Array<[string, string, boolean]> = [
    ['1231', '1000, 1001', false],
    ['1231', '!1231, 1001', false],
    ['1231', '1000, !1231', false],
    ['1231', '1231, !1231', true],
    ['1231', '!1231, 1231', false],
    ['1231', '!1000, !1001', true],
    ['1231', '!1000, 1001', true],
    ['1231', '1001, !1000', true],
    ['1231', '!1000, 1231', true],
    ['foo', '!bar, foobar, foo', true],
  ];
  for (const [term, rule, expected] of table) {
    it(`${expected ? 'matches' : 'does not match'} ${term} against "${rule}"`, () => {
      assert.equal(stringListMatches(splitList(rule), term), expected);
    });
  }

  it('accepts every port but 22 with "!22, 80" (go-dsiem.md 3.3)', () => {
    const list = splitList('!22, 80');
    assert.equal(stringListMatches(list, '22'), false);
    assert.equal(stringListMatches(list, '80'), true);
    assert.equal(stringListMatches(list, '443'), true);
  });

  it('compares list entries exactly and case-sensitively', () => {
    assert.equal(stringListMatches(splitList('Foo, bar'), 'foo'), false);
    assert.equal(stringListMatches(splitList('Foo, bar'), 'Foo'), true);
    assert.equal(stringListMatches(splitList('80'), '080'), false);
  });

  it('splits on commas, trims items and marks "!" items as negated without the "!"', () => {
    assert.deepEqual(splitList(' 80 , !22,!  443'), [
      { negated: false, value: '80' },
      { negated: true, value: '22' },
      { negated: true, value: '443' },
    ]);
  });
});

describe('custom data match (dsiem-backend.md 8.3, verbatim)', () => {
  const table: Array<[string, string, boolean]> = [
    ['Network Command Shell', 'Network Command Shell', true],
    ['Network Command Shell', 'Network Command Login', false],
    ['!Network Command Shell', 'Network Command Shell', false],
    ['!Network Command Shell', 'Network Command Login', true],
    ['foo,bar,qux', 'foo', true],
    ['foo,bar,qux', 'bar', true],
    ['foo,bar,qux', 'qux', true],
    ['foo,bar,qux', 'baz', false],
    ['foo,!bar,qux', 'bar', false],
    ['foo,bar,!qux', 'qux', false],
    ['!foo,bar,qux', 'foo', false],
    ['!foo, foo, bar, qux', 'foo', false],
    ['foo, !foo, bar, qux', 'foo', true],
  ];
  for (const [rule, value, expected] of table) {
    it(`${expected ? 'matches' : 'does not match'} event value "${value}" against rule "${rule}"`, () => {
      assert.equal(customDataMatches(compileCustomData(rule), value), expected);
    });
  }
});

describe('custom data match: ANY, empty, case and whitespace (go-dsiem.md 3.3)', () => {
  it('accepts every event value, including an empty one, when the rule value is ANY or empty', () => {
    for (const rule of ['ANY', '']) {
      for (const value of ['', 'anything', 'ANY']) assert.equal(customDataMatches(compileCustomData(rule), value), true);
    }
  });

  it('refuses an empty event value against a concrete rule value', () => {
    assert.equal(customDataMatches(compileCustomData('deny'), ''), false);
  });

  it('compares a single value case-insensitively and with surrounding whitespace trimmed', () => {
    assert.equal(customDataMatches(compileCustomData('Deny'), 'DENY'), true);
    assert.equal(customDataMatches(compileCustomData('  deny '), 'deny'), true);
    assert.equal(customDataMatches(compileCustomData('deny'), ' Deny  '), true);
    assert.equal(customDataMatches(compileCustomData('!Deny'), 'dEnY'), false);
    assert.equal(customDataMatches(compileCustomData('!deny'), 'allow'), true);
  });

  it('compares list entries case-sensitively', () => {
    assert.equal(customDataMatches(compileCustomData('Foo,bar'), 'foo'), false);
    assert.equal(customDataMatches(compileCustomData('Foo,bar'), 'Foo'), true);
  });
});

describe('port lists compared as numbers', () => {
  it('give the same answer as the text comparison of String(port), for any list and any port the decoder accepts', () => {
    const item = fc.oneof(
      fc.integer({ min: -5, max: 70000 }).map(String),
      fc.constantFrom('', 'ANY', '022', '+22', '22.0', '1e3', 'NaN', '-0', '0x16', ' 80 '),
      fc.string({ unit: 'grapheme-ascii', maxLength: 4 }),
    );
    const list = fc.array(fc.tuple(fc.boolean(), item), { minLength: 1, maxLength: 5 }).map((xs) => xs.map(([neg, v]) => (neg ? `!${v}` : v)).join(','));
    const port = fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(0, 22, 80, 1000));
    fc.assert(
      fc.property(list, port, (text, p) => {
        assert.equal(portListMatches(compilePortList(text), p), stringListMatches(splitList(text), String(p)), `${JSON.stringify(text)} / ${p}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('match "!22, 80" as Dsiem does: every port but 22', () => {
    const list = compilePortList('!22, 80');
    assert.equal(portListMatches(list, 22), false);
    assert.equal(portListMatches(list, 80), true);
    assert.equal(portListMatches(list, 443), true);
  });
});
