/**
 * The correlation flags shared by `serve` and `replay` (names from the seed: dsiem-backend.md 1.3, D8), parsed
 * and checked into plain values for the engine. Errors are messages for the user, naming the flag.
 */

import type { CorrelationOptions } from '../actors/engine.js';

export interface CorrelationFlags {
  minAlarmLifetime: string;
  medRiskMin: string;
  medRiskMax: string;
  status: string;
  tags: string;
}

export const CORRELATION_DEFAULTS: CorrelationFlags = {
  minAlarmLifetime: '0',
  medRiskMin: '3',
  medRiskMax: '6',
  status: 'Open,In-Progress,Closed',
  tags: 'Identified Threat,False Positive,Valid Threat,Security Incident',
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function integer(flag: string, text: string, min: number, max: number): Parsed<number> {
  if (!/^\d+$/.test(text.trim())) return { ok: false, error: `${flag}: "${text}" is not a whole number` };
  const n = Number(text.trim());
  if (n < min || n > max) return { ok: false, error: `${flag}: ${n} is out of range (${min} to ${max})` };
  return { ok: true, value: n };
}

/** Risk bounds as the seed checks them (min >= 2, max <= 9), and min < max so that Medium can occur. */
export function checkRiskBounds(min: number, max: number): string | undefined {
  if (min < 2 || max > 9 || min >= max) {
    return `--med_risk_min ${min} / --med_risk_max ${max}: invalid, need 2 <= med_risk_min < med_risk_max <= 9`;
  }
  return undefined;
}

export function firstOfList(flag: string, text: string): Parsed<string> {
  const first = text.split(',')[0] ?? '';
  if (first === '') return { ok: false, error: `${flag}: the first entry of "${text}" is empty` };
  return { ok: true, value: first };
}

export function parseCorrelationFlags(f: CorrelationFlags): Parsed<CorrelationOptions> {
  const lifetime = integer('--min-alarm-lifetime', f.minAlarmLifetime, 0, Number.MAX_SAFE_INTEGER / 60_000);
  if (!lifetime.ok) return lifetime;
  const min = integer('--med_risk_min', f.medRiskMin, 0, 255);
  if (!min.ok) return min;
  const max = integer('--med_risk_max', f.medRiskMax, 0, 255);
  if (!max.ok) return max;
  const bounds = checkRiskBounds(min.value, max.value);
  if (bounds !== undefined) return { ok: false, error: bounds };
  const status = firstOfList('--status', f.status);
  if (!status.ok) return status;
  const tag = firstOfList('--tags', f.tags);
  if (!tag.ok) return tag;
  return {
    ok: true,
    value: {
      minAlarmLifetimeMinutes: lifetime.value,
      thresholds: { mediumMin: min.value, mediumMax: max.value },
      status: status.value,
      tag: tag.value,
    },
  };
}
