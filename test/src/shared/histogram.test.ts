// The weighted histogram behind the event latency metric.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WeightedHistogram } from '../../../src/shared/histogram.js';

describe('WeightedHistogram', () => {
  it('puts a value in the first bucket whose bound holds it (bounds inclusive), weighted, with sum and count', () => {
    const h = new WeightedHistogram([0.01, 0.1, 1]);
    h.observe(0.01, 3);
    h.observe(0.05);
    h.observe(5, 2);
    h.observe(0.5, 0);
    assert.deepEqual(h.counts, [3, 1, 0, 2]);
    assert.deepEqual(h.cumulative(), [3, 4, 4, 6]);
    assert.equal(h.count, 6);
    assert.ok(Math.abs(h.sum - (0.03 + 0.05 + 10)) < 1e-9);
  });

  it('refuses bounds that do not increase', () => {
    assert.throws(() => new WeightedHistogram([1, 1]), RangeError);
  });
});
