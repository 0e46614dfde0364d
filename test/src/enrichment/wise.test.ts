import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseWiseResponse, quoteWiseKeys, wiseUrl } from '../../../src/enrichment/wise.js';

describe('wiseUrl', () => {
  it('replaces the first ${ip} only', () => {
    assert.equal(wiseUrl('http://wise:8081/ip/${ip}', '1.0.0.2'), 'http://wise:8081/ip/1.0.0.2');
    assert.equal(wiseUrl('http://w/${ip}?again=${ip}', '1.2.3.4'), 'http://w/1.2.3.4?again=${ip}');
  });

  it('inserts an IPv6 address as is', () => {
    assert.equal(wiseUrl('http://w/ip/${ip}', '2001:4860::8888'), 'http://w/ip/2001:4860::8888');
  });
});

describe('quoteWiseKeys', () => {
  it('quotes the three keys of the JS-object output', () => {
    assert.equal(quoteWiseKeys('[{field: "a", len: 7, value: "b"}]'), '[{"field": "a", "len": 7, "value": "b"}]');
    assert.equal(quoteWiseKeys('[{field:"a",len:7,value:"b"}]'), '[{"field":"a","len":7,"value":"b"}]');
  });

  it('leaves already quoted keys and string contents alone', () => {
    assert.equal(quoteWiseKeys('[{"field": "x value: y", "len": 9, "value": "a\\"len: b"}]'),
      '[{"field": "x value: y", "len": 9, "value": "a\\"len: b"}]');
  });
});

describe('parseWiseResponse', () => {
  const ip = '1.0.0.2';
  const hit = (result: string) => ({ provider: 'Wise', term: ip, result });

  const ok: Array<[string, string, ReturnType<typeof hit>[]]> = [
    ['one entry', '[{field: "tags", len: 40, value: "botnet"}]', [hit('tags: botnet')]],
    ['len below 5 is skipped', '[{field: "tags", len: 4, value: "short"}]', []],
    ['len 5 is kept', '[{field: "tags", len: 5, value: "x"}]', [hit('tags: x')]],
    ['len 0 is skipped', '[{field: "tags", len: 0, value: ""}]', []],
    ['mixed lengths keep their order',
      '[{field: "a", len: 10, value: "1"}, {field: "b", len: 2, value: "2"}, {field: "c", len: 65535, value: "3"}]',
      [hit('a: 1'), hit('c: 3')]],
    ['an empty array', '[]', []],
    ['quoted JSON keys', '[{"field": "asn", "len": 20, "value": "AS15169 Google"}]', [hit('asn: AS15169 Google')]],
    ['extra keys are ignored', '[{field: "f", len: 9, value: "v", "extra": 1}]', [hit('f: v')]],
    ['whitespace and newlines', '[\n  {field: "f", len: 9, value: "v"}\n]\n', [hit('f: v')]],
    ['a value containing a key text', '[{field: "note", len: 30, value: "field: value: len:"}]', [hit('note: field: value: len:')]],
  ];
  for (const [name, body, hits] of ok) {
    it(`accepts ${name}`, () => {
      assert.deepEqual(parseWiseResponse(ip, body), { ok: true, value: hits });
    });
  }

  const bad: Array<[string, string]> = [
    ['an empty body', ''],
    ['garbage', '<html>502 Bad Gateway</html>'],
    ['an object, not an array', '{field: "a", len: 9, value: "b"}'],
    ['null', 'null'],
    ['a non-object entry', '[1]'],
    ['a missing field', '[{len: 9, value: "b"}]'],
    ['a missing value', '[{field: "a", len: 9}]'],
    ['a missing len', '[{field: "a", value: "b"}]'],
    ['a string len', '[{field: "a", len: "9", value: "b"}]'],
    ['a negative len', '[{field: "a", len: -1, value: "b"}]'],
    ['a len beyond u16', '[{field: "a", len: 65536, value: "b"}]'],
    ['a fractional len', '[{field: "a", len: 7.5, value: "b"}]'],
    ['a numeric value', '[{field: "a", len: 9, value: 3}]'],
    ['truncated JSON', '[{field: "a", len: 9, value: "b"'],
  ];
  for (const [name, body] of bad) {
    it(`refuses ${name} with an error, without throwing`, () => {
      const r = parseWiseResponse(ip, body);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, /^error parsing wise result/);
    });
  }
});
