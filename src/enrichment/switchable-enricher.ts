/**
 * An enricher whose sources can be replaced while backlogs hold it (a hot reload of intel_*.json / vuln_*.json):
 * every lookup started after `replace` uses the new sources; lookups already running finish with the old ones.
 */

import type { Enricher, EnrichmentInput, EnrichmentResult, EnrichmentStats } from './enricher.js';

export interface SwitchableEnricher extends Enricher {
  replace(next: Enricher): void;
}

export function switchableEnricher(initial: Enricher): SwitchableEnricher {
  let current = initial;
  // Counters of replaced enrichers, so that the totals never go back.
  let before: EnrichmentStats = { lookups: 0, cacheHits: 0, errors: 0 };
  return {
    get enabled(): boolean {
      return current.enabled;
    },
    get stats(): EnrichmentStats {
      const s = current.stats;
      return { lookups: before.lookups + s.lookups, cacheHits: before.cacheHits + s.cacheHits, errors: before.errors + s.errors };
    },
    lookup: (input: EnrichmentInput): Promise<EnrichmentResult> => current.lookup(input),
    replace(next: Enricher): void {
      const s = current.stats;
      before = { lookups: before.lookups + s.lookups, cacheHits: before.cacheHits + s.cacheHits, errors: before.errors + s.errors };
      current = next;
    },
  };
}
