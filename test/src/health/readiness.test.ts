// Readiness (GET /readyz): every reason that holds, or ready.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readiness } from '../../../src/health/readiness.js';

const up = { configLoaded: true, natsConnected: true, queueLength: 0, maxQueue: 100, shuttingDown: false };

describe('readiness', () => {
  it('is ready with NATS connected, the config loaded and the queue below 90% of its bound', () => {
    assert.deepEqual(readiness(up), { ready: true });
    assert.deepEqual(readiness({ ...up, queueLength: 89 }), { ready: true });
  });

  it('gives every reason that holds', () => {
    const r = readiness({ configLoaded: false, natsConnected: false, queueLength: 90, maxQueue: 100, shuttingDown: true });
    assert.equal(r.ready, false);
    assert.deepEqual(r.ready ? [] : r.reasons, [
      'shutting down',
      'configuration not loaded yet',
      'NATS not connected',
      'event queue at 90 of 100 (90% or more of --max_queue)',
    ]);
  });
});
