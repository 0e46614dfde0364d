import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { consumerDoneSeq, fetchExpiryMs, MAX_FETCH_EXPIRY_MS, MIN_FETCH_EXPIRY_MS } from '../../../src/intake/stream-fetch.js';

describe('fetchExpiryMs', () => {
  it('is 20 round trips, within 1 s and 5 s', () => {
    assert.equal(fetchExpiryMs(0), MIN_FETCH_EXPIRY_MS);
    assert.equal(fetchExpiryMs(1), MIN_FETCH_EXPIRY_MS);
    assert.equal(fetchExpiryMs(50), 1_000);
    assert.equal(fetchExpiryMs(51), 1_020);
    assert.equal(fetchExpiryMs(150), 3_000);
    assert.equal(fetchExpiryMs(250), MAX_FETCH_EXPIRY_MS);
    assert.equal(fetchExpiryMs(1_200), MAX_FETCH_EXPIRY_MS);
  });

  it('falls back to the shortest expiry for a round trip that is not a measure', () => {
    for (const rtt of [Number.NaN, -1, Number.POSITIVE_INFINITY]) assert.equal(fetchExpiryMs(rtt), MIN_FETCH_EXPIRY_MS, String(rtt));
  });
});

describe('consumerDoneSeq', () => {
  it('is the acknowledgement floor once the consumer acknowledged past where it was made', () => {
    assert.equal(consumerDoneSeq(120, 101), 120);
  });

  it('is the sequence before the start of a consumer made at a sequence that acknowledged nothing yet', () => {
    assert.equal(consumerDoneSeq(0, 101), 100);
    assert.equal(consumerDoneSeq(0, 1), 0);
  });

  it('is the floor for a consumer not made at a sequence', () => {
    assert.equal(consumerDoneSeq(0, undefined), 0);
    assert.equal(consumerDoneSeq(42, undefined), 42);
    assert.equal(consumerDoneSeq(7, 0), 7);
  });
});
