// JetStream mode's expiry clock: a tick never passes an event the stream holds and the backend has not taken.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { streamTickTime } from '../../../src/correlation/stream-clock.js';

const SLACK = 2_000;

describe('streamTickTime', () => {
  it('follows the stream while catching up, whatever the wall clock says', () => {
    assert.equal(streamTickTime({ caughtUp: false, streamClockMs: 5_000, caughtUpAtMs: 0 }, 1_000_000, SLACK), 5_000);
  });

  it('once caught up, follows the wall clock less the slack while fetches keep finding the stream drained', () => {
    assert.equal(streamTickTime({ caughtUp: true, streamClockMs: 5_000, caughtUpAtMs: 100_000 }, 100_300, SLACK), 98_000);
  });

  it('does not pass the last time the stream was found drained: intake paused for 10 s does not move expiry past what the stream holds', () => {
    // Caught up at 100 s, then paused (a checkpoint, back-pressure): events stored from 100 s on wait in the stream.
    assert.equal(streamTickTime({ caughtUp: true, streamClockMs: 99_500, caughtUpAtMs: 100_000 }, 110_000, SLACK), 99_500);
    assert.equal(streamTickTime({ caughtUp: true, streamClockMs: 90_000, caughtUpAtMs: 100_000 }, 110_000, SLACK), 98_000);
  });
});
