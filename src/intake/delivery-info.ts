/**
 * What JetStream says of a message it delivers, read from the message's reply subject (its acknowledgement
 * subject), which is all the backend needs of nats.js's `JsMsg.info`:
 *
 *     $JS.ACK.<stream>.<consumer>.<deliveries>.<stream seq>.<delivery seq>.<time ns>.<pending>
 *     $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<deliveries>.<stream seq>.<delivery seq>.<time ns>.<pending>[.<token>]
 *
 * nats.js splits the subject into strings and builds its info object property by property for every message,
 * which in JetStream mode costs about as much as the rest of the client's work on a message; this reads the
 * numbers in place. Names cannot hold dots, so the tokens are counted the same way nats.js counts them.
 */

export interface DeliveryInfo {
  /** 1 on the first delivery; more when the server delivers the message again. */
  readonly deliveries: number;
  readonly streamSeq: number;
  /** The consumer's own sequence of this delivery. */
  readonly deliverySeq: number;
  /** When the server stored the message, ns since the epoch (as a double: the same value as nats.js gives). */
  readonly timestampNanos: number;
  /** Messages left in the stream for the consumer after this one. */
  readonly pending: number;
}

const DOT = 46;
const PREFIX = '$JS.ACK.';

/** The delivery info of a reply subject, or undefined when it is not a JetStream acknowledgement subject. */
export function deliveryInfo(reply: string): DeliveryInfo | undefined {
  if (!reply.startsWith(PREFIX)) return undefined;
  let tokens = 1;
  for (let i = 0; i < reply.length; i++) if (reply.charCodeAt(i) === DOT) tokens++;
  if (tokens !== 9 && tokens < 11) return undefined;
  // The first number is token 4 of the old form, 6 of the new one (tokens counted from 0).
  let at = 0;
  for (let skip = tokens === 9 ? 4 : 6; skip > 0; at++) if (reply.charCodeAt(at) === DOT) skip--;
  const deliveriesEnd = tokenEnd(reply, at);
  const streamEnd = tokenEnd(reply, deliveriesEnd + 1);
  const deliveryEnd = tokenEnd(reply, streamEnd + 1);
  const timeEnd = tokenEnd(reply, deliveryEnd + 1);
  const pendingEnd = tokenEnd(reply, timeEnd + 1);
  const deliveries = integerIn(reply, at, deliveriesEnd);
  const streamSeq = integerIn(reply, deliveriesEnd + 1, streamEnd);
  const deliverySeq = integerIn(reply, streamEnd + 1, deliveryEnd);
  const pending = integerIn(reply, timeEnd + 1, pendingEnd);
  if (Number.isNaN(deliveries + streamSeq + deliverySeq + pending) || !isDigits(reply, deliveryEnd + 1, timeEnd)) return undefined;
  // Up to 19 digits: converted as one number (correctly rounded, as parseInt does), not digit by digit.
  const timestampNanos = Number(reply.slice(deliveryEnd + 1, timeEnd));
  return { deliveries, streamSeq, deliverySeq, timestampNanos, pending };
}

/** The index of the dot that ends the token starting at `from`, or the subject's length. */
function tokenEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) !== DOT) i++;
  return i;
}

function isDigits(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The decimal integer in text[from, to), or NaN when it is empty, not all digits, or beyond 2^53. */
function integerIn(text: string, from: number, to: number): number {
  if (!isDigits(text, from, to)) return NaN;
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + (text.charCodeAt(i) - 48);
  return Number.isSafeInteger(value) ? value : NaN;
}
