/**
 * The correlation settings shared by `serve` and `replay` (`-l`, `--med_risk_min`, `--med_risk_max`, `-s`, `-t`),
 * turned into the engine's options. Their flags, defaults and checks are the schema's (config/schema.ts).
 */

import type { CorrelationOptions } from '../src/shared/correlation-options.js';
import type { ServeConfig } from './schema.js';

export type CorrelationSettings = Pick<ServeConfig, 'minAlarmLifetime' | 'medRiskMin' | 'medRiskMax' | 'status' | 'tags'>;

/** The first entry of a comma list (the `list` format guarantees one). */
function firstOf(list: string): string {
  return list.split(',')[0] ?? list;
}

export function correlationOf(s: CorrelationSettings): CorrelationOptions {
  return {
    minAlarmLifetimeMinutes: s.minAlarmLifetime,
    thresholds: { mediumMin: s.medRiskMin, mediumMax: s.medRiskMax },
    status: firstOf(s.status),
    tag: firstOf(s.tags),
  };
}
