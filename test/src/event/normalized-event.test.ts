import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeEventJson, decodeEventValue, isWireEvent, NormalizedEventWire, type DecodedEvent, type EventRejection } from '../../../src/event/normalized-event.js';
import { BASE_EVENT, T0 } from '../helpers.js';

function withFields(overrides: Record<string, unknown>): Record<string, unknown> {
  const wire: Record<string, unknown> = { ...BASE_EVENT, ...overrides };
  for (const [k, v] of Object.entries(wire)) if (v === undefined) delete wire[k];
  return wire;
}

function reasonOf(r: DecodedEvent): EventRejection | 'accepted' {
  return r.ok ? 'accepted' : r.error.reason;
}

describe('decodeEventValue: the validity rule (go-dsiem.md "Event format")', () => {
  it('accepts a complete plugin event and keeps its fields', () => {
    const r = decodeEventValue(withFields({ custom_label1: 'user', custom_data1: 'alice', rcvd_time: 1741942800123 }));
    assert.ok(r.ok);
    const e = r.value;
    assert.equal(e.event_id, 'ev-1');
    assert.equal(e.sensor, 'sensor-1');
    assert.equal(e.plugin_id, 1001);
    assert.equal(e.plugin_sid, 1);
    assert.equal(e.src_ip, '192.168.0.10');
    assert.equal(e.dst_ip, '8.8.8.8');
    assert.equal(e.src_port, 31337);
    assert.equal(e.dst_port, 80);
    assert.equal(e.custom_label1, 'user');
    assert.equal(e.custom_data1, 'alice');
    assert.equal(e.rcvd_time, 1741942800123);
    assert.equal(e.time, T0);
    assert.deepEqual(e.srcAddr, { family: 4, v4: 0xc0a8000a });
    assert.deepEqual(e.dstAddr, { family: 4, v4: 0x08080808 });
  });

  it('gives absent optional fields their zero values', () => {
    const r = decodeEventValue(withFields({ title: undefined, src_port: undefined, dst_port: undefined, protocol: undefined }));
    assert.ok(r.ok);
    assert.equal(r.value.title, '');
    assert.equal(r.value.src_port, 0);
    assert.equal(r.value.dst_port, 0);
    assert.equal(r.value.protocol, '');
    assert.equal(r.value.product, '');
    assert.equal(r.value.custom_data3, '');
    assert.equal(r.value.rcvd_time, 0);
  });

  const required: Array<[string, EventRejection]> = [
    ['event_id', 'missing-event-id'],
    ['timestamp', 'missing-timestamp'],
    ['sensor', 'missing-sensor'],
    ['src_ip', 'missing-src-ip'],
    ['dst_ip', 'missing-dst-ip'],
  ];
  for (const [field, reason] of required) {
    for (const [how, value] of [['absent', undefined], ['empty', ''], ['null', null]] as const) {
      it(`refuses an event whose ${field} is ${how}, with reason ${reason}`, () => {
        assert.equal(reasonOf(decodeEventValue(withFields({ [field]: value }))), reason);
      });
    }
  }

  it('reports the first missing field in the order event_id, timestamp, sensor, src_ip, dst_ip', () => {
    assert.equal(reasonOf(decodeEventValue({ plugin_id: 1, plugin_sid: 1 })), 'missing-event-id');
    assert.equal(reasonOf(decodeEventValue(withFields({ timestamp: '', sensor: '' }))), 'missing-timestamp');
    assert.equal(reasonOf(decodeEventValue(withFields({ sensor: '', dst_ip: '' }))), 'missing-sensor');
    assert.equal(reasonOf(decodeEventValue(withFields({ src_ip: '', dst_ip: '', plugin_id: 0 }))), 'missing-src-ip');
  });

  const pairs: Array<[string, Record<string, unknown>, EventRejection | 'accepted']> = [
    ['plugin_id and plugin_sid', { plugin_id: 1001, plugin_sid: 1 }, 'accepted'],
    ['product and category', { plugin_id: undefined, plugin_sid: undefined, product: 'IDS', category: 'Malware' }, 'accepted'],
    ['plugin_id 0 with product and category', { plugin_id: 0, product: 'IDS', category: 'Malware' }, 'accepted'],
    ['plugin_id 0 alone', { plugin_id: 0 }, 'no-plugin-or-taxonomy'],
    ['plugin_sid 0 alone', { plugin_sid: 0 }, 'no-plugin-or-taxonomy'],
    ['plugin_sid absent', { plugin_sid: undefined }, 'no-plugin-or-taxonomy'],
    ['plugin_id null', { plugin_id: null }, 'no-plugin-or-taxonomy'],
    ['product without category', { plugin_id: 0, product: 'IDS' }, 'no-plugin-or-taxonomy'],
    ['category without product', { plugin_id: 0, category: 'Malware' }, 'no-plugin-or-taxonomy'],
    ['empty product with category', { plugin_id: 0, product: '', category: 'Malware' }, 'no-plugin-or-taxonomy'],
    ['subcategory only', { plugin_id: 0, plugin_sid: 0, subcategory: 'C&C' }, 'no-plugin-or-taxonomy'],
  ];
  for (const [name, fields, expected] of pairs) {
    it(`${expected === 'accepted' ? 'accepts' : 'refuses'} an event with ${name}`, () => {
      assert.equal(reasonOf(decodeEventValue(withFields(fields))), expected);
    });
  }

  it('treats null optional fields as missing', () => {
    const r = decodeEventValue(withFields({ title: null, src_port: null, custom_data1: null, rcvd_time: null, conn_id: null }));
    assert.ok(r.ok);
    assert.equal(r.value.title, '');
    assert.equal(r.value.src_port, 0);
    assert.equal(r.value.custom_data1, '');
    assert.equal(r.value.rcvd_time, 0);
  });

  it('ignores unknown fields', () => {
    const r = decodeEventValue(withFields({ extra: { nested: true }, another: [1, 2] }));
    assert.ok(r.ok);
    assert.equal(r.value.event_id, 'ev-1');
  });
});

describe('decodeEventValue: wrong field types', () => {
  const wrong: Array<[string, string, unknown]> = [
    ['a string port', 'src_port', '80'],
    ['a negative plugin_sid', 'plugin_sid', -1],
    ['port 70000', 'dst_port', 70000],
    ['a negative port', 'src_port', -1],
    ['a fractional plugin_id', 'plugin_id', 1.5],
    ['a numeric event_id', 'event_id', 123],
    ['a numeric timestamp', 'timestamp', 1741942800],
    ['a boolean sensor', 'sensor', true],
    ['an object src_ip', 'src_ip', { ip: '10.0.0.1' }],
    ['an array custom_data1', 'custom_data1', ['a']],
    ['a string rcvd_time', 'rcvd_time', '1741942800'],
  ];
  for (const [name, field, value] of wrong) {
    it(`refuses ${name} and names the field "${field}"`, () => {
      const r = decodeEventValue(withFields({ [field]: value }));
      assert.equal(reasonOf(r), 'wrong-field-type');
      assert.match(r.ok ? '' : r.error.detail, new RegExp(`"${field}"`));
    });
  }

  it('accepts the port bounds 0 and 65535', () => {
    const r = decodeEventValue(withFields({ src_port: 0, dst_port: 65535 }));
    assert.ok(r.ok);
    assert.equal(r.value.dst_port, 65535);
  });

  const notObjects: Array<[string, unknown]> = [
    ['an array', [BASE_EVENT]],
    ['null', null],
    ['a string', 'event'],
    ['a number', 42],
  ];
  for (const [name, value] of notObjects) {
    it(`refuses ${name} instead of an object`, () => {
      assert.equal(reasonOf(decodeEventValue(value)), 'not-an-object');
    });
  }
});

describe('decodeEventJson', () => {
  it('decodes the example event of dsiem-backend.md 3.1', () => {
    const r = decodeEventJson(
      '{"conn_id":7,"event_id":"d1b0","timestamp":"2023-01-01T00:00:00Z","title":"ICMP Ping","sensor":"suricata-1",' +
        '"plugin_id":1001,"plugin_sid":2100384,"src_ip":"10.0.0.1","src_port":0,"dst_ip":"8.8.8.8","dst_port":0,' +
        '"protocol":"ICMP","rcvd_time":1672531200123456789}',
    );
    assert.ok(r.ok);
    assert.equal(r.value.plugin_sid, 2100384);
    assert.equal(r.value.time, 1672531200);
    assert.equal(r.value.protocol, 'ICMP');
  });

  it('refuses text that is not JSON', () => {
    assert.equal(reasonOf(decodeEventJson('not json')), 'not-json');
    assert.equal(reasonOf(decodeEventJson('{"event_id": "x",')), 'not-json');
    assert.equal(reasonOf(decodeEventJson('')), 'not-json');
  });

  it('refuses JSON that is not an object', () => {
    assert.equal(reasonOf(decodeEventJson('[{"event_id":"x"}]')), 'not-an-object');
    assert.equal(reasonOf(decodeEventJson('null')), 'not-an-object');
    assert.equal(reasonOf(decodeEventJson('"x"')), 'not-an-object');
  });

  it('applies the validity rule to parsed JSON', () => {
    assert.equal(reasonOf(decodeEventJson(JSON.stringify(withFields({ sensor: '' })))), 'missing-sensor');
    assert.equal(reasonOf(decodeEventJson(JSON.stringify(withFields({ src_port: '80' })))), 'wrong-field-type');
    assert.equal(reasonOf(decodeEventJson(JSON.stringify(withFields({})))), 'accepted');
  });
});

describe('decodeEventValue: timestamps', () => {
  const rfc3339: Array<[string, number]> = [
    ['2025-03-14T09:00:00Z', T0],
    ['2025-03-14T09:00:00.999Z', T0], // fraction truncated
    ['2025-03-14T09:00:59.5Z', T0 + 59],
    ['2025-03-14T09:00:00.250+07:00', T0 - 7 * 3600],
    ['2025-03-14T09:00:00-05:30', T0 + 5 * 3600 + 30 * 60],
    ['2025-03-14T09:00:00+00:00', T0],
    ['2025-03-15T00:30:00+01:00', T0 + 14.5 * 3600],
    ['1970-01-01T00:00:00Z', 0],
    ['2024-02-29T23:59:59Z', 1709251199],
    ['2000-01-01T00:00:00Z', 946684800],
  ];
  for (const [text, seconds] of rfc3339) {
    it(`reads ${text} as Unix second ${seconds}`, () => {
      const r = decodeEventValue(withFields({ timestamp: text }));
      assert.ok(r.ok);
      assert.equal(r.value.time, seconds);
      assert.equal(r.value.timestamp, text);
    });
  }

  const notRfc3339 = [
    '2025-03-14 09:00:00Z', // space separator
    '2025-03-14T09:00:00', // no zone
    '2025-03-14T09:00:00+0700', // offset without colon
    '2025-03-14T09:00Z', // no seconds
    '2025-02-30T00:00:00Z', // no such day
    '2025-02-29T00:00:00Z', // not a leap year
    '2025-13-01T00:00:00Z',
    '2025-03-14T24:00:00Z',
    '2025-03-14T09:60:00Z',
    '2025-03-14T09:00:00+24:00',
    '14/03/2025 09:00',
    'yesterday',
    '1741942800',
  ];
  for (const text of notRfc3339) {
    it(`accepts an event with the non-RFC 3339 timestamp ${JSON.stringify(text)}, with time NaN`, () => {
      const r = decodeEventValue(withFields({ timestamp: text }));
      assert.ok(r.ok);
      assert.ok(Number.isNaN(r.value.time), `time was ${r.value.time}`);
    });
  }

  it('reads years before 100 as themselves (0050-01-01T00:00:00Z)', () => {
    const r = decodeEventValue(withFields({ timestamp: '0050-01-01T00:00:00Z' }));
    assert.ok(r.ok);
    assert.equal(r.value.time, -60589296000);
  });
});

describe('decodeEventValue: addresses', () => {
  it('parses IPv6 source and destination addresses', () => {
    const r = decodeEventValue(withFields({ src_ip: '2002:c0a8:1::1', dst_ip: 'fe80::1' }));
    assert.ok(r.ok);
    assert.deepEqual(r.value.srcAddr, { family: 6, v6: 0x2002_c0a8_0001_0000_0000_0000_0000_0001n });
    assert.deepEqual(r.value.dstAddr, { family: 6, v6: 0xfe80_0000_0000_0000_0000_0000_0000_0001n });
    assert.equal(r.value.src_ip, '2002:c0a8:1::1');
  });

  it('refuses src_ip and dst_ip that are not IP addresses, each with its own reason', () => {
    const bad = ['host.example', '010.0.0.1', '1.2.3', '999.1.1.1', '[::1]', '10.0.0.1\n', ' 10.0.0.1', '1.2.3.4.5', 'fe80::1%eth0'];
    for (const text of bad) {
      const src = decodeEventValue(withFields({ src_ip: text }));
      assert.equal(reasonOf(src), 'invalid-src-ip', `src_ip ${JSON.stringify(text)}`);
      assert.equal(src.ok ? '' : src.error.detail, `src_ip ${JSON.stringify(text)} is not an IP address`);
      assert.equal(reasonOf(decodeEventValue(withFields({ dst_ip: text }))), 'invalid-dst-ip', `dst_ip ${JSON.stringify(text)}`);
    }
  });

  it('turns IPv4-mapped IPv6 addresses into their IPv4 address and text (Go To4)', () => {
    for (const [src, dst] of [['::ffff:192.168.0.2', '::FFFF:10.0.0.1'], ['::ffff:c0a8:2', '0:0:0:0:0:ffff:a00:1']] as const) {
      const r = decodeEventValue(withFields({ src_ip: src, dst_ip: dst }));
      assert.ok(r.ok);
      assert.equal(r.value.src_ip, '192.168.0.2');
      assert.equal(r.value.dst_ip, '10.0.0.1');
      assert.deepEqual(r.value.srcAddr, { family: 4, v4: 0xc0a80002 });
      assert.deepEqual(r.value.dstAddr, { family: 4, v4: 0x0a000001 });
    }
  });

  it('keeps other IPv6 texts as sent (an IPv4-compatible ::1.2.3.4 is IPv6)', () => {
    const r = decodeEventValue(withFields({ src_ip: '2002:C0A8::1', dst_ip: '::1.2.3.4' }));
    assert.ok(r.ok);
    assert.equal(r.value.src_ip, '2002:C0A8::1');
    assert.equal(r.value.dstAddr?.family, 6);
  });
});

describe('isWireEvent', () => {
  // Values of every type a wire field can meet, and edge numbers for the integer and port fields.
  const value = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.string({ maxLength: 4 }),
    fc.constantFrom(0, 1, -1, 1.5, 65535, 65536, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, NaN, Infinity),
    fc.integer(),
    fc.boolean(),
    fc.constant([]),
    fc.constant({}),
  );
  const fields = Object.keys(NormalizedEventWire.props);

  it('accepts exactly what NormalizedEventWire.is accepts (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...fields, 'other'), value), (wire) => {
        assert.equal(isWireEvent(wire), NormalizedEventWire.is(wire));
      }),
      { numRuns: 2000 },
    );
  });

  it('checks every wire field', () => {
    for (const field of fields) {
      assert.equal(isWireEvent({ ...BASE_EVENT, [field]: true }), false, field);
      assert.equal(NormalizedEventWire.is({ ...BASE_EVENT, [field]: true }), false, field);
    }
  });
});
