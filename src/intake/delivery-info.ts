/**
 * What JetStream says of a message it delivers, read from the message's reply subject (its acknowledgement
 * subject), which is all the backend needs of nats.js's `JsMsg.info`:
 *
 *     $JS.ACK.<stream>.<consumer>.<deliveries>.<stream seq>.<delivery seq>.<time ns>.<pending>
 *     $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<deliveries>.<stream seq>.<delivery seq>.<time ns>.<pending>[.<token>]
 *
 * nats.js splits the subject into strings and builds its info object property by property for every message;
 * here the numbers are read in place. Names cannot hold dots, so the tokens are counted the same way nats.js
 * counts them; a `DeliveryReader` remembers where the numbers start in its consumer's subjects, so that only they
 * are read after the first message.
 */

export interface DeliveryInfo {
  /** 1 on the first delivery; more when the server delivers the message again. */
  readonly deliveries: number;
  readonly streamSeq: number;
  /** The consumer's own sequence of this delivery. */
  readonly deliverySeq: number;
  /**
   * When the server stored the message, in ms since the epoch: the ns the subject gives, divided exactly (nats.js
   * turns the 19 digits into a double first, so its ms can be 1 off near a whole ms).
   */
  readonly timestampMs: number;
  /** Messages left in the stream for the consumer after this one. */
  readonly pending: number;
}

const DOT = 46;
const PREFIX = '$JS.ACK.';

/** Where the numbers of a subject start, and whether the subject ends with them (the first form); undefined when it is not an acknowledgement subject. */
function layoutOf(reply: string): { readonly at: number; readonly endsWithPending: boolean } | undefined {
  if (!reply.startsWith(PREFIX)) return undefined;
  let tokens = 1;
  for (let i = 0; i < reply.length; i++) if (reply.charCodeAt(i) === DOT) tokens++;
  if (tokens !== 9 && tokens < 11) return undefined;
  // The first number is token 4 of the first form, 6 of the second one (tokens counted from 0).
  let at = 0;
  for (let skip = tokens === 9 ? 4 : 6; skip > 0; at++) if (reply.charCodeAt(at) === DOT) skip--;
  return { at, endsWithPending: tokens === 9 };
}

/** The delivery info of a reply subject, or undefined when it is not a JetStream acknowledgement subject. */
export function deliveryInfo(reply: string): DeliveryInfo | undefined {
  const layout = layoutOf(reply);
  return layout === undefined ? undefined : numbersFrom(reply, layout.at, layout.endsWithPending);
}

/**
 * `deliveryInfo` for the messages of one consumer: their subjects differ only in the numbers, so the numbers are
 * read from where they started in the last subject (a subject they do not fit is read from its start).
 */
export class DeliveryReader {
  private at = -1;
  private endsWithPending = true;

  read(reply: string): DeliveryInfo | undefined {
    if (this.at > 0 && reply.charCodeAt(this.at - 1) === DOT) {
      const info = numbersFrom(reply, this.at, this.endsWithPending);
      if (info !== undefined) return info;
    }
    const layout = layoutOf(reply);
    if (layout === undefined) return undefined;
    const info = numbersFrom(reply, layout.at, layout.endsWithPending);
    if (info !== undefined) {
      this.at = layout.at;
      this.endsWithPending = layout.endsWithPending;
    }
    return info;
  }
}

/**
 * The five numbers from `at` on, each but the last ended by a dot, the last by the subject's end (`endsWithPending`)
 * or by a dot or the end; undefined when one is not a decimal integer, or a count is beyond 2^53.
 */
function numbersFrom(reply: string, at: number, endsWithPending: boolean): DeliveryInfo | undefined {
  const n = reply.length;
  let i = at;
  let c = 0;
  let deliveries = 0;
  for (c = reply.charCodeAt(i); c >= 48 && c <= 57; c = reply.charCodeAt(++i)) deliveries = deliveries * 10 + (c - 48);
  if (i === at || c !== DOT) return undefined;
  const seqAt = ++i;
  let streamSeq = 0;
  for (c = reply.charCodeAt(i); c >= 48 && c <= 57; c = reply.charCodeAt(++i)) streamSeq = streamSeq * 10 + (c - 48);
  if (i === seqAt || c !== DOT) return undefined;
  const deliveryAt = ++i;
  let deliverySeq = 0;
  for (c = reply.charCodeAt(i); c >= 48 && c <= 57; c = reply.charCodeAt(++i)) deliverySeq = deliverySeq * 10 + (c - 48);
  if (i === deliveryAt || c !== DOT) return undefined;
  // The time in ns: its digits but the last six are the ms, read exactly (13 digits until the year 2286).
  const timeAt = ++i;
  while (reply.charCodeAt(i) >= 48 && reply.charCodeAt(i) <= 57) i++;
  if (i === timeAt || reply.charCodeAt(i) !== DOT) return undefined;
  let timestampMs = 0;
  for (let k = timeAt; k < i - 6; k++) timestampMs = timestampMs * 10 + (reply.charCodeAt(k) - 48);
  const pendingAt = ++i;
  let pending = 0;
  for (c = reply.charCodeAt(i); c >= 48 && c <= 57; c = reply.charCodeAt(++i)) pending = pending * 10 + (c - 48);
  if (i === pendingAt || (endsWithPending ? i !== n : i < n && c !== DOT)) return undefined;
  const safe = Number.isSafeInteger;
  if (!safe(deliveries) || !safe(streamSeq) || !safe(deliverySeq) || !safe(timestampMs) || !safe(pending)) return undefined;
  return { deliveries, streamSeq, deliverySeq, timestampMs, pending };
}
