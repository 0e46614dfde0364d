// An event counts as waiting (engine stats `waiting`, which the stats reply's queue_length and the --max_queue
// bound read) from the moment the engine takes it until every directive it was routed to has handled it, also
// while it sits in a directive's mailbox.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngine } from '../../actors/engine.js';
import { silentLogger } from '../../actors/logger.js';
import { loadConfigDir } from '../../src/config-files/config-dir.js';
import { decodeEventJson } from '../../src/event/normalized-event.js';
import type { TimedEvent } from '../../src/correlation/items.js';
import { sequentialIds } from '../../src/shared/ids.js';
import { correlation, NEVER_EXPIRE } from '../helpers/correlation.js';
import { readFile } from 'node:fs/promises';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'example');

describe('engine: events waiting for correlation', () => {
  it('stay counted until every directive they were routed to has handled them, observed at every event-loop turn', async () => {
    const loaded = await loadConfigDir(example);
    assert.ok(loaded.ok);
    const lines = (await readFile(path.join(example, 'events.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
    const batch: TimedEvent[] = [];
    for (const line of lines) {
      const d = decodeEventJson(line);
      if (d.ok) batch.push({ event: d.value, now: Number.isNaN(d.value.time) ? 0 : d.value.time * 1000 });
    }
    const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-waiting-'));
    const engine = startEngine({
      config: loaded.value,
      correlation: correlation(NEVER_EXPIRE),
      logsDir: logs,
      clock: { now: () => 0 },
      log: silentLogger(),
      newId: sequentialIds('w'),
    });
    try {
      // What the directives have to handle: every (event, candidate directive) pair, counted by a first run.
      engine.ingest(batch);
      await engine.barrier();
      const pairs = engine.stats.handled;
      assert.ok(pairs > batch.length, `the example should route some events to several directives (${pairs} pairs for ${batch.length} events)`);

      const seen: Array<{ waiting: number; handled: number }> = [];
      let polling = true;
      const poll = () => {
        seen.push({ waiting: engine.stats.waiting, handled: engine.stats.handled });
        if (polling) setImmediate(poll);
      };
      for (let round = 0; round < 5; round++) {
        const start = engine.stats.handled;
        engine.ingest(batch);
        setImmediate(poll);
        await engine.barrier();
        const idleTooEarly = seen.filter((s) => s.waiting === 0 && s.handled - start < pairs);
        assert.deepEqual(idleTooEarly, [], `round ${round}: waiting was 0 before every directive had handled its events`);
        assert.ok(seen.some((s) => s.waiting === batch.length), `round ${round}: the batch was never seen waiting`);
        seen.length = 0;
      }
      polling = false;
      assert.equal(engine.stats.waiting, 0);
    } finally {
      await engine.close();
      engine.stop();
      await rm(logs, { recursive: true, force: true });
    }
  });
});
