// A backlog actor and its intel/vulnerability lookups, with a stand-in lookup source (the source is not what is
// tested): a failed lookup, and results whose handling fails (the actor is restarted), leave the lookup owed, so
// that a save says so and a restart makes it again.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { start, stop } from 'nact';
import { spawnBacklog, type BacklogDeps } from '../../actors/backlog-actor.js';
import { applyNactPatch } from '../../actors/nact-patch.js';
import { stepBatch } from '../../src/backlog/batch.js';
import { startBacklog, type BacklogEffect } from '../../src/backlog/transitions.js';
import type { BacklogAck } from '../../src/correlation/items.js';
import type { Enricher, EnrichmentResult } from '../../src/enrichment/enricher.js';
import { silentLogger } from '../../actors/logger.js';
import { aContext, aDirective, anEvent, at } from '../src/helpers.js';
import { waitFor } from '../helpers/wait.js';

const directive = aDirective(
  [
    { plugin_sid: [1], from: 'ANY', to: 'ANY', reliability: 10 },
    { plugin_sid: [1], from: ':1', to: ':1', occurrence: 3, reliability: 10, timeout: 600 },
  ],
  { name: 'Flood from SRC_IP', priority: 5 },
);
const ctx = aContext();

function source(result: EnrichmentResult): Enricher {
  return { enabled: true, stats: { lookups: 0, cacheHits: 0, errors: 0 }, lookup: () => Promise.resolve(result) };
}

/** Spawns one backlog made with an alarm (so it looks up at once) and collects its answers. */
async function backlogWith(enricher: Enricher, write: (effects: readonly BacklogEffect[]) => void): Promise<BacklogAck[]> {
  applyNactPatch();
  const system = start();
  const acks: BacklogAck[] = [];
  try {
    const made = startBacklog(directive, anEvent({ event_id: 'e1', src_ip: '192.168.0.9', timestamp: at(0) }), ctx, 'b1', 0);
    assert.ok(made.state.risk >= 1, 'made with an alarm');
    const deps: BacklogDeps = {
      ctx,
      stepBatch,
      output: { write } as unknown as BacklogDeps['output'],
      budget: { maxRestarts: 3, windowMs: 60_000 },
      clock: { now: () => 0 },
      log: silentLogger(),
      stats: { backlogRestarts: 0, backlogsStopped: 0 },
      enricher,
    };
    spawnBacklog(system, 'b1', (a) => acks.push(a), made.state, deps, true);
    await waitFor(() => acks.length >= 1 || undefined, { timeoutMs: 5_000, what: 'the answer to the lookup results' });
    return acks;
  } finally {
    stop(system);
  }
}

describe('backlog actor: lookups', () => {
  it('says so when a lookup failed, and not when it answered', async () => {
    const failed = await backlogWith(source({ intel: [], vulns: [], errors: ['Wise: connection refused'] }), () => undefined);
    assert.equal(failed[0]?.lookupFailed, true);
    assert.equal(failed[0]?.enriching, false);
    const answered = await backlogWith(source({ intel: [], vulns: [], errors: [] }), () => undefined);
    assert.equal(answered[0]?.lookupFailed, false);
  });

  it('results whose handling fails leave the lookup owed (the actor restarts from its last good state)', async () => {
    const hit = { provider: 'Wise', term: '192.168.0.9', result: 'known bad' };
    const acks = await backlogWith(source({ intel: [hit], vulns: [], errors: [] }), (effects) => {
      if (effects.length > 0) throw new Error('alarm output failed');
    });
    assert.equal(acks[0]?.failed, true);
    assert.equal(acks[0]?.lookupFailed, true, 'the results were not applied: the lookup is still owed');
    assert.deepEqual(acks[0]?.state.intelHits, []);
  });
});
