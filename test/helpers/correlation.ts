// The correlation options of `replay` with Dsiem's defaults (risk bounds 3/6, status Open, tag Identified
// Threat), and the minimum alarm lifetime a test or benchmark needs.
import type { CorrelationOptions } from '../../actors/engine.js';

/** Lifetime far beyond any event span: nothing expires. */
export const NEVER_EXPIRE = 1_000_000_000;

export function correlation(minAlarmLifetimeMinutes: number): CorrelationOptions {
  return { minAlarmLifetimeMinutes, thresholds: { mediumMin: 3, mediumMax: 6 }, status: 'Open', tag: 'Identified Threat' };
}
