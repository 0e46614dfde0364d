import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomIds, seededIds } from '../../../src/shared/ids.js';

const take = (source: () => string, n: number) => Array.from({ length: n }, source);
const ID = /^[_\-0-9a-zA-Z]{9}$/;

describe('seededIds', () => {
  it('gives the same ids in the same order for the same seed, from independent sources', () => {
    const a = seededIds(42);
    const first = take(a, 3);
    assert.deepEqual(take(seededIds(42), 5), [...first, ...take(a, 2)]);
  });

  it('gives other ids for another seed', () => {
    assert.notDeepEqual(take(seededIds(1), 10), take(seededIds(2), 10));
  });

  it('makes 9-character ids in the alphabet of the random ones, without repeats over 100,000 ids', () => {
    const ids = take(seededIds(7), 100_000);
    assert.ok(ids.every((id) => ID.test(id)), ids.find((id) => !ID.test(id)));
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(take(randomIds(), 100).every((id) => ID.test(id)));
  });

  it('uses the whole alphabet in every position', () => {
    const ids = take(seededIds(0), 20_000);
    for (let position = 0; position < 9; position++) assert.equal(new Set(ids.map((id) => id[position])).size, 64, `position ${position}`);
  });
});
