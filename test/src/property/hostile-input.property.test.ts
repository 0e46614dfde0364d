// Property-based tests (fast-check) on everything that reads untrusted input: the event decoder, address parsing,
// timestamps, the matching path, and directive/asset files. Nothing may throw; refusals come with a reason.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeEventJson, decodeEventValue, type EventRejection } from '../../../src/event/normalized-event.js';
import { formatIp, parseCidr, parseIp } from '../../../src/net/ip.js';
import { parseRfc3339Seconds } from '../../../src/shared/time.js';
import { decodeDirectiveFile } from '../../../src/directive/directive.js';
import { decodeAssetFile } from '../../../src/asset/network-assets.js';
import { formatProblem, type ConfigProblem } from '../../../src/config-files/config-problem.js';
import { buildNetworkAssets } from '../../../src/asset/network-assets.js';
import { previewOffer, startsBacklog } from '../../../src/backlog/predictions.js';
import { startBacklog, step, UNKNOWN_MATCH } from '../../../src/backlog/transitions.js';
import { createRuleBook } from '../../../src/rule/rule-book.js';
import { compileRule, matchRule } from '../../../src/rule/match-rule.js';

const REASONS: readonly EventRejection[] = [
  'not-json', 'not-an-object', 'wrong-field-type', 'missing-event-id', 'missing-timestamp', 'missing-sensor',
  'missing-src-ip', 'missing-dst-ip', 'no-plugin-or-taxonomy', 'invalid-src-ip', 'invalid-dst-ip',
];

const assertDecoded = (r: ReturnType<typeof decodeEventValue>) => {
  if (!r.ok) assert.ok(REASONS.includes(r.error.reason), `unknown reason ${r.error.reason}`);
  else assert.equal(typeof r.value.event_id, 'string');
};

/** A field value of any JSON type, biased towards the types events use. */
const anyField = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.object());

const eventLike = fc.record(
  {
    event_id: fc.oneof(fc.string(), anyField),
    timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string(), anyField),
    sensor: fc.oneof(fc.constant('s1'), anyField),
    src_ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string(), anyField),
    dst_ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string(), anyField),
    src_port: fc.oneof(fc.integer({ min: -10, max: 70000 }), anyField),
    dst_port: fc.oneof(fc.integer({ min: 0, max: 65535 }), anyField),
    plugin_id: fc.oneof(fc.integer({ min: -1, max: 3 }), anyField),
    plugin_sid: fc.oneof(fc.integer({ min: -1, max: 3 }), anyField),
    product: fc.oneof(fc.constant('IDS'), anyField),
    category: fc.oneof(fc.constant('Malware'), anyField),
    custom_data1: fc.oneof(fc.string(), anyField),
    rcvd_time: fc.oneof(fc.integer(), anyField),
  },
  { requiredKeys: [] },
);

describe('hostile events', () => {
  it('the decoder never throws on any JSON value and names a known reason when it refuses', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => assertDecoded(decodeEventValue(v))), { numRuns: 2000 });
  });

  it('the decoder never throws on any text, including broken JSON and odd unicode', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (text) => assertDecoded(decodeEventJson(text))), { numRuns: 2000 });
  });

  it('the decoder never throws on event-shaped objects with fields of every type', () => {
    fc.assert(fc.property(eventLike, (o) => assertDecoded(decodeEventValue(o))), { numRuns: 3000 });
  });

  it('refuses ports out of range and non-integer ids as wrong field types', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 65536 }), fc.integer({ max: -1 }), fc.double({ min: 0.1, max: 1000, noInteger: true })), (port) => {
        const r = decodeEventValue({ event_id: 'e', timestamp: '2025-01-01T00:00:00Z', sensor: 's', src_ip: '1.2.3.4', dst_ip: '5.6.7.8', plugin_id: 1, plugin_sid: 1, src_port: port });
        assert.equal(r.ok ? 'ok' : r.error.reason, 'wrong-field-type');
      }),
    );
  });

  it('survives very deep nesting and huge strings', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    assertDecoded(decodeEventJson(deep));
    const huge = JSON.stringify({ event_id: 'x'.repeat(5_000_000), timestamp: 't', sensor: 's', src_ip: 'a', dst_ip: 'b', plugin_id: 1, plugin_sid: 1 });
    assertDecoded(decodeEventJson(huge));
  });

  it('reads every RFC 3339 time to the second, and never throws on other text', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        assert.equal(parseRfc3339Seconds(d.toISOString()), Math.floor(d.getTime() / 1000));
      }),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.string(), (s) => {
      const t = parseRfc3339Seconds(s);
      assert.ok(Number.isNaN(t) || Number.isFinite(t));
    }));
  });
});

describe('hostile addresses', () => {
  it('parses every generated IPv4 and IPv6 address and prints it back to the same address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const ip = parseIp(text);
        assert.ok(ip !== undefined, text);
        assert.deepEqual(parseIp(formatIp(ip)), ip);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary address or network text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
      parseIp(s);
      parseCidr(s);
    }), { numRuns: 5000 });
  });
});

/** Every problem names the file and a line (or the whole file), and says what was expected in words. */
function assertProblemsInWords(problems: readonly ConfigProblem[], file: string): void {
  for (const p of problems) {
    assert.equal(p.file, file);
    assert.ok(p.line >= 0 && p.column >= 0 && p.message !== '', formatProblem(p));
    // No io-ts type names such as Array<unknown>, ({ name: string, ... }) or the names of refinements. The values
    // quoted from the file (after ", got ", or in quotes) are the fuzzer's and may hold anything.
    const words = (p.message.split(', got ')[0] ?? '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
    assert.doesNotMatch(words, /Array<|\{ \w+:|\(\{|\bInt\b|<unknown>/, formatProblem(p));
  }
}

describe('hostile input on the matching path', () => {
  const assets = buildNetworkAssets([]);
  const ctx = { assets, thresholds: { mediumMin: 3, mediumMax: 6 }, status: 'Open', tag: 'x', minLifetimeSec: 0, rules: createRuleBook() };
  const directive = decodeDirectiveFile('d.json', JSON.stringify({ directives: [{ id: 1, name: 'p from SRC_IP', priority: 3, kingdom: 'k', category: 'c', rules: [
    { name: 'a', stage: 1, occurrence: 1, from: 'ANY', to: '!10.0.0.0/8, 10.1.0.0/16', port_from: 'ANY', port_to: '!22, 80', type: 'PluginRule', protocol: 'TCP', reliability: 1, timeout: 0, plugin_id: 1, plugin_sid: [1, 2], custom_data1: 'a,!b' },
    { name: 'b', stage: 2, occurrence: 3, from: ':1', to: ':1', port_from: ':1', port_to: 'ANY', type: 'PluginRule', protocol: 'TCP', reliability: 5, timeout: 60, plugin_id: 1, plugin_sid: [1, 2], sticky_different: 'DST_PORT' },
  ] }] }));
  assert.deepEqual(directive.problems.filter((p) => p.severity === 'error'), []);
  const d = directive.directives[0];
  assert.ok(d !== undefined);

  it('matching, creating and stepping backlogs never throw on decoded events', () => {
    fc.assert(
      fc.property(fc.array(eventLike, { minLength: 1, maxLength: 20 }), (objects) => {
        let state: ReturnType<typeof startBacklog>['state'] | undefined;
        for (const [i, o] of objects.entries()) {
          const decoded = decodeEventValue({ sensor: 's', timestamp: '2025-01-01T00:00:00Z', event_id: `e${i}`, plugin_id: 1, plugin_sid: 1, src_ip: '1.2.3.4', dst_ip: '5.6.7.8', ...o });
          if (!decoded.ok) continue;
          const e = decoded.value;
          for (const rule of d.rules) matchRule(compileRule(rule), e, assets);
          if (state === undefined) {
            if (startsBacklog(d, e, ctx)) state = startBacklog(d, e, ctx, 'b1', 0).state;
          } else {
            previewOffer(state, e, ctx, true);
            state = step(state, { type: 'event', event: e, now: 0, maybeCounted: true, match: UNKNOWN_MATCH }, ctx).state;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hostile config files', () => {
  const ruleLike = fc.record({
    name: anyField, stage: fc.oneof(fc.integer({ min: -1, max: 4 }), anyField), occurrence: fc.oneof(fc.integer({ min: -1, max: 5 }), anyField),
    from: fc.oneof(fc.constantFrom('ANY', 'HOME_NET', ':1', ':0', '10.0.0.0/8', '::1', '!x'), fc.string()), to: fc.oneof(fc.constantFrom('ANY', ':2'), fc.string()),
    port_from: fc.oneof(fc.constantFrom('ANY', '80', '!22, 80', '0', '70000'), fc.string()), port_to: fc.string(),
    type: fc.oneof(fc.constantFrom('PluginRule', 'TaxonomyRule'), anyField), protocol: fc.string(), reliability: fc.oneof(fc.integer({ min: -2, max: 12 }), anyField),
    timeout: fc.oneof(fc.nat(), anyField), plugin_id: anyField, plugin_sid: fc.oneof(fc.array(fc.integer({ min: -1, max: 3 })), anyField),
    sticky_different: fc.oneof(fc.constantFrom('', 'SRC_IP', 'PLUGIN_SID', 'bogus'), anyField), custom_data1: fc.oneof(fc.constantFrom(':1', ':9', 'ANY'), anyField),
  }, { requiredKeys: [] });
  const directiveLike = fc.record({ id: fc.oneof(fc.nat(10), anyField), name: anyField, priority: fc.oneof(fc.integer({ min: 0, max: 6 }), anyField), kingdom: anyField, category: anyField, disabled: anyField, rules: fc.oneof(fc.array(ruleLike, { maxLength: 4 }), anyField) }, { requiredKeys: [] });

  it('a fuzzed directive file is accepted or refused with a message naming the file, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.record({ directives: fc.array(directiveLike, { maxLength: 3 }) }), fc.jsonValue()), (content) => {
        const r = decodeDirectiveFile('directives_fuzz.json', JSON.stringify(content, null, 2));
        assertProblemsInWords(r.problems, 'directives_fuzz.json');
        // A directive is loaded only when none of its problems is an error.
        for (const loaded of r.directives) assert.ok(!r.problems.some((p) => p.severity === 'error' && p.directiveId === loaded.id && p.field !== 'id'));
      }),
      { numRuns: 3000 },
    );
  });

  it('a fuzzed assets file is accepted or refused with a message naming the file, and never throws', () => {
    const assetLike = fc.record({ name: anyField, cidr: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string(), anyField), value: fc.oneof(fc.integer({ min: -1, max: 300 }), anyField), whitelisted: anyField }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.record({ assets: fc.array(assetLike, { maxLength: 5 }) }), fc.jsonValue()), (content) => {
        const r = decodeAssetFile('assets_fuzz.json', JSON.stringify(content, null, 2));
        assertProblemsInWords(r.problems, 'assets_fuzz.json');
      }),
      { numRuns: 3000 },
    );
  });
});
