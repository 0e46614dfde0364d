/**
 * The normalized event, as the Dsiem frontend publishes it on `dsiem_events` (go-dsiem.md "Event format").
 *
 * `decodeEvent` is the one place an event is checked: shape with io-ts, then the frontend's validity rule
 * (non-empty timestamp, sensor, event_id, src_ip, dst_ip, and a plugin pair or a taxonomy pair), then the
 * addresses (src_ip and dst_ip must be IP literals). It never throws; a refused event comes back with a short
 * reason that is used as a counter key. An IPv4-mapped IPv6 address (`::ffff:192.168.0.2`) becomes its IPv4
 * text here, once, so whitelist, assets, rules, titles and alarms all see the same address (Go's `To4`).
 */

import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { formatIp, parseIp, type IpAddress } from '../net/ip.js';
import { fail, ok, type Result } from '../shared/result.js';
import { parseRfc3339Seconds } from '../shared/time.js';

const Int = t.refinement(t.number, Number.isSafeInteger, 'Int');
const NonNegativeInt = t.refinement(Int, (n) => n >= 0, 'NonNegativeInt');
const PortNumber = t.refinement(Int, (n) => n >= 0 && n <= 65535, 'Port');

/** The wire fields, as Dsiem names them: the one list every form of the event below is made from. */
const FIELDS = {
  event_id: t.string,
  timestamp: t.string,
  sensor: t.string,
  title: t.string,
  src_ip: t.string,
  dst_ip: t.string,
  src_port: PortNumber,
  dst_port: PortNumber,
  protocol: t.string,
  plugin_id: NonNegativeInt,
  plugin_sid: NonNegativeInt,
  product: t.string,
  category: t.string,
  subcategory: t.string,
  custom_label1: t.string,
  custom_label2: t.string,
  custom_label3: t.string,
  custom_data1: t.string,
  custom_data2: t.string,
  custom_data3: t.string,
  /** Frontend receive time, ns since epoch (0 when absent). */
  rcvd_time: t.number,
  conn_id: t.number,
};
type Fields = typeof FIELDS;

/**
 * What a Dsiem frontend sends: any of the fields, none null. Checking it with `is` (no allocation) is the fast
 * path; anything it does not accept goes through the lenient decode below, which also says why.
 */
export const NormalizedEventWire = t.partial(FIELDS);
export type NormalizedEventWire = t.TypeOf<typeof NormalizedEventWire>;

/** The same fields where null also means the zero value, as Go's JSON decoding takes it. */
const NullableWire = t.partial(
  Object.fromEntries(Object.entries(FIELDS).map(([k, codec]) => [k, t.union([codec, t.null])])) as { [K in keyof Fields]: t.UnionC<[Fields[K], t.NullC]> },
);
type WireFields = { readonly [K in keyof Fields]?: t.TypeOf<Fields[K]> | null };

/** A decoded, valid event: every wire field with its default (`conn_id` is not used), plus what correlation derives once. */
export type NormalizedEvent = { readonly [K in Exclude<keyof Fields, 'conn_id'>]: t.TypeOf<Fields[K]> } & {
  /** Event time in Unix seconds (fraction truncated); NaN when `timestamp` is not RFC 3339. */
  readonly time: number;
  /** Parsed src_ip and dst_ip: always set on an accepted event (the type keeps undefined for hand-made events). */
  readonly srcAddr: IpAddress | undefined;
  readonly dstAddr: IpAddress | undefined;
};

export type EventRejection =
  | 'not-json'
  | 'not-an-object'
  | 'wrong-field-type'
  | 'missing-event-id'
  | 'missing-timestamp'
  | 'missing-sensor'
  | 'missing-src-ip'
  | 'missing-dst-ip'
  | 'no-plugin-or-taxonomy'
  | 'invalid-src-ip'
  | 'invalid-dst-ip';

/** Why an event was refused: a reason (a counter key) and a detail for the log. */
export interface EventRejected {
  readonly reason: EventRejection;
  readonly detail: string;
}

export type DecodedEvent = Result<NormalizedEvent, EventRejected>;

const str = (v: string | null | undefined): string => v ?? '';
const num = (v: number | null | undefined): number => v ?? 0;

function reject(reason: EventRejection, detail: string): DecodedEvent {
  return fail({ reason, detail });
}

/** Decodes an already-parsed JSON value. */
export function decodeEventValue(value: unknown): DecodedEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return reject('not-an-object', 'event is not a JSON object');
  let w: WireFields;
  if (isWireEvent(value)) {
    w = value;
  } else {
    const decoded = NullableWire.decode(value);
    if (isLeft(decoded)) {
      const first = decoded.left[0];
      const field = first?.context.map((c) => c.key).filter((k) => k !== '' && !/^\d+$/.test(k))[0] ?? '?';
      return reject('wrong-field-type', `field "${field}" has the wrong type`);
    }
    w = decoded.right;
  }
  const e = toEvent(w);
  if (e.event_id === '') return reject('missing-event-id', 'event_id is empty');
  if (e.timestamp === '') return reject('missing-timestamp', 'timestamp is empty');
  if (e.sensor === '') return reject('missing-sensor', 'sensor is empty');
  if (e.src_ip === '') return reject('missing-src-ip', 'src_ip is empty');
  if (e.dst_ip === '') return reject('missing-dst-ip', 'dst_ip is empty');
  const hasPlugin = e.plugin_id !== 0 && e.plugin_sid !== 0;
  const hasTaxonomy = e.product !== '' && e.category !== '';
  if (!hasPlugin && !hasTaxonomy) return reject('no-plugin-or-taxonomy', 'needs plugin_id and plugin_sid, or product and category');
  if (e.srcAddr === undefined) return reject('invalid-src-ip', `src_ip ${preview(e.src_ip)} is not an IP address`);
  if (e.dstAddr === undefined) return reject('invalid-dst-ip', `dst_ip ${preview(e.dst_ip)} is not an IP address`);
  return ok(e);
}

const isText = (v: unknown): boolean => v === undefined || typeof v === 'string';
const isNumber = (v: unknown): boolean => v === undefined || typeof v === 'number';
const isCount = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
const isPort = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 65535);

/**
 * `NormalizedEventWire.is`, written out field by field: io-ts reads the fields by a key that changes at every
 * step (a slow, megamorphic access), and this runs for every event. The test of this module checks that both
 * accept the same values.
 */
export function isWireEvent(value: object): value is NormalizedEventWire {
  const w = value as Record<string, unknown>;
  return (
    isText(w['event_id']) &&
    isText(w['timestamp']) &&
    isText(w['sensor']) &&
    isText(w['title']) &&
    isText(w['src_ip']) &&
    isText(w['dst_ip']) &&
    isPort(w['src_port']) &&
    isPort(w['dst_port']) &&
    isText(w['protocol']) &&
    isCount(w['plugin_id']) &&
    isCount(w['plugin_sid']) &&
    isText(w['product']) &&
    isText(w['category']) &&
    isText(w['subcategory']) &&
    isText(w['custom_label1']) &&
    isText(w['custom_label2']) &&
    isText(w['custom_label3']) &&
    isText(w['custom_data1']) &&
    isText(w['custom_data2']) &&
    isText(w['custom_data3']) &&
    isNumber(w['rcvd_time']) &&
    isNumber(w['conn_id'])
  );
}

/** A bounded, escaped copy of an untrusted value for a log line. */
function preview(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
}

/** The address text correlation uses: as sent, except that an IPv4-mapped IPv6 address becomes its IPv4 text. */
function addressText(text: string, addr: IpAddress | undefined): string {
  return addr?.family === 4 && text.includes(':') ? formatIp(addr) : text;
}

/** Decodes one JSON text (a NATS payload or a line of an events file). */
export function decodeEventJson(text: string): DecodedEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject('not-json', 'payload is not valid JSON');
  }
  return decodeEventValue(value);
}

function toEvent(w: WireFields): NormalizedEvent {
  const srcAddr = parseIp(str(w.src_ip));
  const dstAddr = parseIp(str(w.dst_ip));
  const src_ip = addressText(str(w.src_ip), srcAddr);
  const dst_ip = addressText(str(w.dst_ip), dstAddr);
  const timestamp = str(w.timestamp);
  return {
    event_id: str(w.event_id),
    timestamp,
    sensor: str(w.sensor),
    title: str(w.title),
    src_ip,
    dst_ip,
    src_port: num(w.src_port),
    dst_port: num(w.dst_port),
    protocol: str(w.protocol),
    plugin_id: num(w.plugin_id),
    plugin_sid: num(w.plugin_sid),
    product: str(w.product),
    category: str(w.category),
    subcategory: str(w.subcategory),
    custom_label1: str(w.custom_label1),
    custom_label2: str(w.custom_label2),
    custom_label3: str(w.custom_label3),
    custom_data1: str(w.custom_data1),
    custom_data2: str(w.custom_data2),
    custom_data3: str(w.custom_data3),
    rcvd_time: num(w.rcvd_time),
    time: parseRfc3339Seconds(timestamp),
    srcAddr,
    dstAddr,
  };
}
