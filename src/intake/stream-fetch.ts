/**
 * Two facts of JetStream pull consumers the backend's intake is built on, as pure functions.
 */

/** nats.js refuses a fetch expiry under 1 s. */
export const MIN_FETCH_EXPIRY_MS = 1_000;
/** A checkpoint waits for the fetch in progress: its expiry bounds that wait. */
export const MAX_FETCH_EXPIRY_MS = 5_000;

/**
 * How long a fetch waits for messages, given the NATS round trip. nats.js closes a fetch at 1.05 x its expiry,
 * counted from when it sent the request; the server counts the expiry from when the request arrived, and what it
 * sends reaches the client half a round trip later. So a message the server sends in the last (round trip - 5%
 * of the expiry) of a fetch arrives after the client closed it, and is lost to that fetch (the consumer must then
 * be placed again). 20 round trips make that window empty; the expiry stays within 1 s and 5 s (over a link
 * slower than 250 ms the window is the round trip less 250 ms of each 5 s fetch: intake still goes on).
 */
export function fetchExpiryMs(rttMs: number): number {
  if (!Number.isFinite(rttMs) || rttMs < 0) return MIN_FETCH_EXPIRY_MS;
  return Math.min(MAX_FETCH_EXPIRY_MS, Math.max(MIN_FETCH_EXPIRY_MS, Math.ceil(20 * rttMs)));
}

/**
 * The last stream sequence a durable consumer is done with, from its info: its acknowledgement floor, or, when it
 * acknowledged nothing since it was made at `optStartSeq`, the sequence before that (nats-server 2.9 reports a
 * floor of 0 then, which would send a start without checkpoint back to the stream's first message).
 */
export function consumerDoneSeq(ackFloorSeq: number, optStartSeq: number | undefined): number {
  const madeAt = optStartSeq !== undefined && optStartSeq > 0 ? optStartSeq - 1 : 0;
  return Math.max(ackFloorSeq, madeAt);
}
