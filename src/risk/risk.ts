/** Risk of a backlog and its class (go-dsiem.md 3.4, D1: plain integer arithmetic, no 8-bit wrap). */

export type RiskClass = 'Low' | 'Medium' | 'High';

export interface RiskThresholds {
  /** Lowest risk classified Medium (`--med_risk_min`). */
  readonly mediumMin: number;
  /** Highest risk classified Medium (`--med_risk_max`). */
  readonly mediumMax: number;
}

/** priority x reliability of the stage just completed x highest asset value seen / 25, integer division. */
export function riskOf(priority: number, reliability: number, assetValue: number): number {
  return Math.floor((priority * reliability * assetValue) / 25);
}

export function riskClassOf(risk: number, t: RiskThresholds): RiskClass {
  if (risk < t.mediumMin) return 'Low';
  if (risk <= t.mediumMax) return 'Medium';
  return 'High';
}
