import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readableFields, resolveAfresh } from '../../../src/rule/references.js';
import { createRuleBook, DEFAULT_MAX_SHARED } from '../../../src/rule/rule-book.js';
import fc from 'fast-check';
import type { RuleSpec } from '../../../src/directive/rule-spec.js';
import { aRule, anEvent, deepFreeze } from '../helpers.js';

const EVENT = anEvent({
  src_ip: '10.0.0.1',
  dst_ip: '8.8.8.8',
  src_port: 1111,
  dst_port: 53,
  custom_data1: 'alice',
  custom_data2: 'bob',
  custom_data3: 'carol',
});

function rules(...specs: Array<Partial<RuleSpec>>): RuleSpec[] {
  return deepFreeze(specs.map((s, i) => aRule({ ...s, stage: i + 1 })));
}

function resolve(list: readonly RuleSpec[], allRulesAlwaysActive = false): readonly RuleSpec[] {
  return createRuleBook().resolve(list, allRulesAlwaysActive, EVENT);
}

describe('resolveRules: addresses (go-dsiem.md 3.4, D1)', () => {
  const table: Array<[string, string, string]> = [
    ['ANY', 'from', '10.0.0.1'],
    ['HOME_NET', 'from', '10.0.0.1'],
    ['!HOME_NET', 'from', '10.0.0.1'],
    ['ANY', 'to', '8.8.8.8'],
    ['HOME_NET', 'to', '8.8.8.8'],
    ['!HOME_NET', 'to', '8.8.8.8'],
    ['192.168.0.0/16, !192.168.0.2', 'from', '192.168.0.0/16, !192.168.0.2'],
    ['172.16.0.1', 'to', '172.16.0.1'],
  ];
  for (const [referenced, field, expected] of table) {
    it(`turns "${field}: :1" into "${expected}" when rule 1 says "${referenced}"`, () => {
      const resolved = resolve(rules({ [field]: referenced }, { [field]: ':1' }));
      assert.equal(resolved[1]?.[field as 'from' | 'to'], expected);
    });
  }

  it('resolves the from and to of the same rule independently', () => {
    const resolved = resolve(rules({ from: 'HOME_NET', to: '1.2.3.0/24' }, { from: ':1', to: ':1' }));
    assert.equal(resolved[1]?.from, '10.0.0.1');
    assert.equal(resolved[1]?.to, '1.2.3.0/24');
  });

  it('resolves chained references (stage 3 ":2", stage 2 ":1")', () => {
    const resolved = resolve(rules({ from: 'HOME_NET', to: '1.2.3.0/24' }, { from: ':1', to: ':1' }, { from: ':2', to: ':2' }));
    assert.equal(resolved[2]?.from, '10.0.0.1');
    assert.equal(resolved[2]?.to, '1.2.3.0/24');
  });

  it('uses the referenced rule of the array position, whichever rule is referenced', () => {
    const resolved = resolve(rules({ from: 'ANY' }, { from: '172.16.0.0/12' }, { from: ':2', to: ':1' }));
    assert.equal(resolved[2]?.from, '172.16.0.0/12');
    assert.equal(resolved[2]?.to, '8.8.8.8');
  });

  it('leaves values that are not references as written', () => {
    const resolved = resolve(rules({ from: 'HOME_NET' }, { from: 'ANY', to: '!HOME_NET', port_to: '80' }));
    assert.equal(resolved[0]?.from, 'HOME_NET');
    assert.equal(resolved[1]?.from, 'ANY');
    assert.equal(resolved[1]?.to, '!HOME_NET');
    assert.equal(resolved[1]?.port_to, '80');
  });
});

describe('resolveRules: ports', () => {
  it('turns a reference to ANY into the first event port', () => {
    const resolved = resolve(rules({ port_from: 'ANY', port_to: 'ANY' }, { port_from: ':1', port_to: ':1' }));
    assert.equal(resolved[1]?.port_from, '1111');
    assert.equal(resolved[1]?.port_to, '53');
  });

  it('copies a referenced port list verbatim', () => {
    const resolved = resolve(rules({ port_from: '!22, 80', port_to: '53,5353' }, { port_from: ':1', port_to: ':1' }));
    assert.equal(resolved[1]?.port_from, '!22, 80');
    assert.equal(resolved[1]?.port_to, '53,5353');
  });
});

describe('resolveRules: custom data', () => {
  it('turns a reference to ANY into the first event value', () => {
    const resolved = resolve(
      rules(
        { custom_data1: 'ANY', custom_data2: 'ANY', custom_data3: 'ANY' },
        { custom_data1: ':1', custom_data2: ':1', custom_data3: ':1' },
      ),
    );
    assert.deepEqual([resolved[1]?.custom_data1, resolved[1]?.custom_data2, resolved[1]?.custom_data3], ['alice', 'bob', 'carol']);
  });

  it('copies an empty referenced value as empty', () => {
    const resolved = resolve(rules({ custom_data2: '' }, { custom_data2: ':1' }));
    assert.equal(resolved[1]?.custom_data2, '');
  });

  it('copies a concrete referenced value verbatim', () => {
    const resolved = resolve(rules({ custom_data3: 'x,!y' }, { custom_data3: ':1' }));
    assert.equal(resolved[1]?.custom_data3, 'x,!y');
  });

  it('resolves chained custom data references to the first event value', () => {
    const resolved = resolve(rules({ custom_data1: 'ANY' }, { custom_data1: ':1' }, { custom_data1: ':2' }));
    assert.equal(resolved[2]?.custom_data1, 'alice');
  });

  it('does not resolve custom labels', () => {
    const resolved = resolve(rules({ custom_label1: 'user' }, { custom_label1: ':1', custom_data1: ':1' }));
    assert.equal(resolved[1]?.custom_label1, ':1');
  });
});

describe('resolveRules: all_rules_always_active', () => {
  const table: Array<[string, string, string]> = [
    ['ANY', 'HOME_NET', 'pins ANY and HOME_NET'],
    ['!HOME_NET', 'ANY', 'pins !HOME_NET and ANY'],
  ];
  for (const [from, to, name] of table) {
    it(`${name} of stage 1 to the first event addresses`, () => {
      const resolved = resolve(rules({ from, to }, { from: ':1', to: 'ANY' }), true);
      assert.equal(resolved[0]?.from, '10.0.0.1');
      assert.equal(resolved[0]?.to, '8.8.8.8');
      assert.equal(resolved[1]?.from, '10.0.0.1');
      assert.equal(resolved[1]?.to, 'ANY', 'later stages are not pinned');
    });
  }

  it('keeps a literal stage-1 address list', () => {
    const resolved = resolve(rules({ from: '10.0.0.0/8', to: 'ANY' }, {}), true);
    assert.equal(resolved[0]?.from, '10.0.0.0/8');
    assert.equal(resolved[0]?.to, '8.8.8.8');
  });

  it('does not pin stage 1 without the flag', () => {
    const resolved = resolve(rules({ from: 'ANY', to: 'HOME_NET' }, {}), false);
    assert.equal(resolved[0]?.from, 'ANY');
    assert.equal(resolved[0]?.to, 'HOME_NET');
  });

  it('does not pin stage-1 ports', () => {
    const resolved = resolve(rules({ port_from: 'ANY' }, {}), true);
    assert.equal(resolved[0]?.port_from, 'ANY');
  });
});

describe('resolveRules: purity', () => {
  it('returns new rules and leaves the directive rules (frozen here) unchanged', () => {
    const input = rules({ from: 'ANY' }, { from: ':1', custom_data1: ':1' });
    const before = JSON.stringify(input);
    const resolved = resolve(input, true);
    assert.equal(JSON.stringify(input), before);
    assert.equal(resolved.length, 2);
    assert.notEqual(resolved[1], input[1]);
  });
});

describe('RuleBook.resolve: sharing between backlogs', () => {
  const book = createRuleBook();
  const resolveRules: typeof book.resolve = (...args) => book.resolve(...args);
  const directive = rules({ from: 'ANY', to: 'HOME_NET' }, { from: ':1', to: ':1', port_to: ':1' }, { from: ':2', custom_data1: 'ANY' });

  it('gives backlogs whose first events agree on the fields it reads the same list', () => {
    const a = resolveRules(directive, false, anEvent({ src_ip: '10.0.0.1', dst_ip: '10.0.0.2', dst_port: 22, src_port: 1000, title: 'a' }));
    const b = resolveRules(directive, false, anEvent({ src_ip: '10.0.0.1', dst_ip: '10.0.0.2', dst_port: 22, src_port: 2000, title: 'b' }));
    const c = resolveRules(directive, false, anEvent({ src_ip: '10.0.0.1', dst_ip: '10.0.0.2', dst_port: 23 }));
    assert.equal(a, b, 'src_port is never read: shared');
    assert.notEqual(a, c, 'dst_port is read: not shared');
    assert.equal(c[1]?.port_to, '23');
    assert.deepEqual(readableFields(directive, false), ['from', 'to', 'port_to']);
  });

  it('does not mix up events whose values only differ in where one ends and the next begins', () => {
    const list = rules({ custom_data1: 'ANY', custom_data2: 'ANY' }, { custom_data1: ':1', custom_data2: ':1' });
    for (const sep of ['\u0000', '|', ':', ',', ';', '/', '1:', '|1:']) {
      const a = resolveRules(list, false, anEvent({ custom_data1: `a${sep}`, custom_data2: 'b' }));
      const b = resolveRules(list, false, anEvent({ custom_data1: 'a', custom_data2: `${sep}b` }));
      assert.equal(a[1]?.custom_data1, `a${sep}`, JSON.stringify(sep));
      assert.equal(b[1]?.custom_data1, 'a', JSON.stringify(sep));
      assert.equal(b[1]?.custom_data2, `${sep}b`, JSON.stringify(sep));
    }
  });

  it('keeps a bounded cache however many distinct first events there are', () => {
    const list = rules({ from: 'ANY' }, { from: ':1' });
    const bounded = createRuleBook();
    for (let i = 0; i < DEFAULT_MAX_SHARED + 500; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      assert.equal(bounded.resolve(list, false, anEvent({ src_ip: ip }))[1]?.from, ip);
      assert.ok(bounded.sharedResolutions <= DEFAULT_MAX_SHARED);
    }
  });

  it('equals the resolution made afresh, for any rules and events (property)', () => {
    const value = fc.constantFrom('ANY', 'HOME_NET', '!HOME_NET', ':1', ':2', '10.0.0.1', '', 'x');
    const ruleArb = fc.record({ from: value, to: value, port_from: value, port_to: value, custom_data1: value, custom_data2: value, custom_data3: value });
    // Values that would collide in a naively joined key ('a\u0000' + 'b' and 'a' + '\u0000b', '1:' and ':1'...).
    const fieldValue = fc.constantFrom('10.0.0.1', '10.0.0.2', 'ANY', 'HOME_NET', 'x', '', 'a\u0000', '\u0000b', 'a', 'b', '1:a', ':a', '1', '1:');
    // Event addresses are IP literals (the decoder refuses others: invalid-src-ip, invalid-dst-ip).
    const address = fc.constantFrom('10.0.0.1', '10.0.0.2', '192.168.0.1', '::1');
    const eventArb = fc.record({ src_ip: address, dst_ip: address, src_port: fc.constantFrom(0, 22, 80), dst_port: fc.constantFrom(0, 22, 80), custom_data1: fieldValue, custom_data2: fieldValue, custom_data3: fieldValue });
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 3 }), fc.array(eventArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (specs, events, aaa) => {
        const list = rules(...specs);
        for (const fields of events) {
          const e = anEvent(fields);
          assert.deepEqual(resolveRules(list, aaa, e), resolveAfresh(list, aaa, e));
        }
      }),
      { numRuns: 1500 },
    );
  });
});
