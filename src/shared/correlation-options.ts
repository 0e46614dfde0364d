/** What the correlation engine takes from the settings: backlog lifetime, risk classes, and the new alarms' status and tag. */

import type { RiskThresholds } from '../risk/risk.js';

export interface CorrelationOptions {
  /** `-l/--min-alarm-lifetime`, minutes. */
  readonly minAlarmLifetimeMinutes: number;
  readonly thresholds: RiskThresholds;
  /** First entries of `--status` and `--tags`. */
  readonly status: string;
  readonly tag: string;
}
