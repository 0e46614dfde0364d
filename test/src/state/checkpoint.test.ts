// Checkpoints: the format round-trips, a truncated or damaged file is refused as a whole, and every crafted or
// broken backlog line is dropped on its own with its reason while the others are restored.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { toBacklogJson } from '../../../src/backlog/backlog-json.js';
import type { BacklogState } from '../../../src/backlog/state.js';
import { startBacklog, step, UNKNOWN_MATCH } from '../../../src/backlog/transitions.js';
import { CheckpointDecoder, decodeCheckpoint, encodeCheckpoint, type CheckpointContent } from '../../../src/state/checkpoint.js';
import { aContext, aDirective, anEvent, at, T0 } from '../helpers.js';

const ctx = aContext(undefined, { minLifetimeSec: 0 });
const directive = aDirective(
  [
    { plugin_sid: [1], from: 'HOME_NET', to: 'ANY' },
    { plugin_sid: [2], from: ':1', to: ':1', occurrence: 3, timeout: 60, reliability: 5 },
  ],
  { id: 1001, name: 'Scan from SRC_IP' },
);
const target = { id: directive.id, name: directive.name };

function backlog(id: string, src: string): BacklogState {
  const first = startBacklog(directive, anEvent({ event_id: `${id}-1`, plugin_sid: 1, src_ip: src, timestamp: at(0) }), ctx, id, T0 * 1000).state;
  return step(first, { type: 'event', event: anEvent({ event_id: `${id}-2`, plugin_sid: 2, src_ip: src, timestamp: at(5) }), now: T0 * 1000, maybeCounted: false, match: UNKNOWN_MATCH }, ctx).state;
}

const content = (backlogs: readonly BacklogState[]): CheckpointContent => ({
  header: { saved_at: '2026-12-01T00:00:00.000Z', reason: 'shutdown', node: 'n1', stream: null, alarm_files: null },
  directives: [{ ...target, backlogs }],
});

const encode = (c: CheckpointContent) => Buffer.from([...encodeCheckpoint(c)].join(''), 'utf8');

/** A file with these raw backlog lines, and a correct trailer (as a crafted file would have). */
function crafted(lines: readonly string[]): Buffer {
  const header = `${JSON.stringify({ format: 'dsiem-backend-checkpoint', version: 2, saved_at: 'x', reason: 'shutdown', node: '', stream: null, alarm_files: null, directives: [{ id: 1001, name: directive.name, backlogs: lines.length }] })}\n`;
  const body = header + lines.map((l) => `${l}\n`).join('');
  const sha256 = createHash('sha256').update(body).digest('hex');
  return Buffer.from(`${body}${JSON.stringify({ end: true, backlogs: lines.length, rules: 0, sha256 })}\n`);
}

const line = (b: unknown) => JSON.stringify({ directive_id: 1001, backlog: b });
const json = (s: BacklogState) => JSON.parse(JSON.stringify(toBacklogJson(s))) as Record<string, unknown>;

describe('checkpoint format', () => {
  const a = backlog('aaaaaaaaa', '192.168.0.10');
  const b = backlog('bbbbbbbbb', '192.168.0.11');

  it('restores exactly what it saved, with its header', () => {
    const r = decodeCheckpoint(encode({ ...content([a, b]), header: { ...content([]).header, stream: { name: 'S', created: 'c', seq: 42 } } }), [target]);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.value.backlogs.get(1001)?.map(json), [json(a), json(b)]);
    assert.equal(r.value.header.stream?.seq, 42);
    assert.deepEqual(r.value.dropped, []);
  });

  it('writes a list of rules once for the backlogs that share it', () => {
    const c = backlog('ccccccccc', '192.168.0.10'); // same host pair as a: the rule book gives them one list
    assert.equal(c.rules, a.rules);
    const lines = encode(content([a, b, c])).toString().split('\n').filter((l) => l !== '');
    assert.equal(lines.filter((l) => l.startsWith('{"rules":')).length, 2);
    const r = decodeCheckpoint(encode(content([a, b, c])), [target]);
    assert.ok(r.ok, r.ok ? '' : r.error);
    const restored = r.value.backlogs.get(1001) ?? [];
    assert.equal(restored[0]?.rules, restored[2]?.rules, 'restored backlogs share their list again');
    assert.deepEqual(restored.map(json), [json(a), json(b), json(c)]);
  });

  it('refuses a file cut anywhere (a save killed part-way) or damaged, saying which', () => {
    const whole = encode(content([a, b]));
    for (const cut of [1, 100, whole.length - 2, whole.length - 40]) {
      const r = decodeCheckpoint(whole.subarray(0, cut), [target]);
      assert.equal(r.ok, false, `cut at ${cut}`);
      if (!r.ok) assert.match(r.error, /truncated|damaged|checksum/);
    }
    const damaged = Buffer.from(whole);
    damaged[200] = damaged[200] === 0x61 ? 0x62 : 0x61;
    const r = decodeCheckpoint(damaged, [target]);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /checksum/);
    assert.equal(decodeCheckpoint(Buffer.alloc(0), [target]).ok, false);
  });

  it('drops each crafted backlog on its own, with its reason, and keeps the others', () => {
    let deep = '0';
    for (let i = 0; i < 50_000; i++) deep = `[${deep}]`;
    const zeroOccurrence = json(a);
    (zeroOccurrence['rules'] as Array<Record<string, unknown>>)[1]!['occurrence'] = 0;
    const negativeOccurrence = { ...json(a), id: 'ccccccccc', rules: (json(a)['rules'] as Array<Record<string, unknown>>).map((r, i) => (i === 1 ? { ...r, occurrence: -5 } : r)) };
    const file = crafted([
      line(json(a)),
      line(json(a)), // the same id twice
      line({ ...json(b), id: '../x/y' }),
      line({ ...json(b), id: 'a"b' }),
      line({ ...json(b), id: 'a\nb' }),
      `{"directive_id":1001,"backlog":${deep}}`,
      line(zeroOccurrence),
      line(negativeOccurrence),
      line({ ...json(b), directiveName: 'Old name' }),
      'not json',
      line(json(b)),
    ]);
    const r = decodeCheckpoint(file, [target]);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.value.backlogs.get(1001)?.map((s) => s.id), ['aaaaaaaaa', 'bbbbbbbbb']);
    const reasons = r.value.dropped.map((d) => `${d.line}: ${d.reason}`);
    assert.equal(reasons.length, 9, reasons.join('\n'));
    assert.match(reasons[0] ?? '', /^3: the same backlog id/);
    assert.match(reasons[1] ?? '', /^4: id "\.\.\/x\/y" is not a backlog id/);
    assert.match(reasons[4] ?? '', /^7: (nested too deeply|top level: expected an object)/);
    assert.match(reasons[5] ?? '', /^8: .*occurrence/);
    assert.match(reasons[6] ?? '', /^9: .*occurrence/);
    assert.match(reasons[7] ?? '', /^10: directive name changed/);
    assert.match(reasons[8] ?? '', /^11: not valid JSON/);
  });

  it('counts the backlogs of directives that are not loaded any more, without restoring them', () => {
    const r = decodeCheckpoint(encode({ header: content([]).header, directives: [{ id: 77, name: 'Gone', backlogs: [a] }, { ...target, backlogs: [b] }] }), [target]);
    assert.ok(r.ok);
    assert.deepEqual(r.value.unknownDirectives, [{ id: 77, name: 'Gone', backlogs: 1 }]);
    assert.deepEqual(r.value.backlogs.get(1001)?.map((s) => s.id), ['bbbbbbbbb']);
  });

  it('refuses another version and a file that is not a checkpoint, saying so', () => {
    const other = crafted([]).toString().replace('"version":2', '"version":3');
    const body = other.slice(0, other.lastIndexOf('{"end"'));
    const resigned = `${body}${JSON.stringify({ end: true, backlogs: 0, rules: 0, sha256: createHash('sha256').update(body).digest('hex') })}\n`;
    const r = decodeCheckpoint(Buffer.from(resigned), [target]);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /version 3/);
  });

  it('refuses a header whose file positions or stream sequence are not whole numbers, 0 or more, naming the field', () => {
    const positions = (bytes: number, seq = 1) => ({
      ...content([a]).header,
      stream: { name: 'S', created: 'c', seq },
      alarm_files: { alarms: { identity: '1:2', bytes: 0 }, events: { identity: '1:3', bytes } },
    });
    for (const [h, field] of [
      [positions(-1e16), /alarm_files\.events\.bytes.*whole number, 0 or more.*-10000000000000000/],
      [positions(-1), /alarm_files\.events\.bytes/],
      [positions(1.5), /alarm_files\.events\.bytes/],
      [positions(0, -3), /stream\.seq.*-3/],
    ] as const) {
      const r = decodeCheckpoint(encode({ ...content([a]), header: h }), [target]);
      assert.equal(r.ok, false, JSON.stringify(h));
      if (!r.ok) assert.match(r.error, field);
    }
    assert.ok(decodeCheckpoint(encode({ ...content([a]), header: positions(0, 0) }), [target]).ok);
  });

  it('decodes a file fed in pieces of any size as the whole of it, never making the file one string', () => {
    const whole = encode(content([a, b]));
    for (const size of [1, 7, 4096]) {
      const decoder = new CheckpointDecoder([target]);
      for (let i = 0; i < whole.length; i += size) decoder.push(whole.subarray(i, i + size));
      const r = decoder.end();
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.deepEqual(r.value.backlogs.get(1001)?.map(json), [json(a), json(b)]);
    }
  });

  it('drops a line longer than the limit, with its length, and restores the others (a string has a maximum length)', () => {
    const long = line({ ...json(b), padding: 'x'.repeat(5000) });
    const file = crafted([line(json(a)), long, line({ ...json(b), id: 'ccccccccc' })]);
    const decoder = new CheckpointDecoder([target], { maxLineBytes: 4000 });
    for (let i = 0; i < file.length; i += 1000) decoder.push(file.subarray(i, i + 1000));
    const r = decoder.end();
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.value.backlogs.get(1001)?.map((s) => s.id), ['aaaaaaaaa', 'ccccccccc']);
    assert.equal(r.value.dropped.length, 1);
    assert.match(`${r.value.dropped[0]?.line}: ${r.value.dropped[0]?.reason}`, new RegExp(`^3: the line is ${Buffer.byteLength(long)} bytes long; lines longer than 4000 bytes are not read`));
  });

  it('refuses a file whose header or end line is longer than the limit', () => {
    const file = encode(content([a]));
    const r = decodeCheckpoint(file, [target], { maxLineBytes: 150 });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /line 1 is \d+ bytes long, too long for a header/);
    const noEnd = Buffer.concat([file, Buffer.from(`${'y'.repeat(300)}\n`)]);
    const cut = decodeCheckpoint(noEnd, [target], { maxLineBytes: 200 });
    assert.equal(cut.ok, false);
    if (!cut.ok) assert.match(cut.error, /no end line/);
  });
});
