/**
 * Checks that involve more than one setting (each value already has its format). A check applies to a command
 * when the command takes every key it reads; its message names the settings as the user set them.
 */

import type { CommandName, SettingKey } from './schema.js';

export interface CrossCheck {
  readonly keys: readonly SettingKey[];
  /** Only for these commands (default: every command that takes the keys). */
  readonly commands?: readonly CommandName[];
  /**
   * `value(k)` reads a setting; `said(k)` is how the user set it (`--med_risk_min 7`, `DSIEM_MEDRISKMAX=6`,
   * `--med_risk_max 6 (default)`) and `named(k)` the flag and its variable (`--node (DSIEM_NODE)`).
   */
  readonly problem: (value: (k: SettingKey) => unknown, said: (k: SettingKey) => string, named: (k: SettingKey) => string) => string | undefined;
}

export const CROSS_CHECKS: readonly CrossCheck[] = [
  {
    keys: ['medRiskMin', 'medRiskMax'],
    problem: (value, said) =>
      Number(value('medRiskMin')) < Number(value('medRiskMax'))
        ? undefined
        : `${said('medRiskMin')} and ${said('medRiskMax')}: the Medium range needs med_risk_min < med_risk_max (both from 2 to 9)`,
  },
  {
    keys: ['configDir', 'frontend'],
    commands: ['serve'],
    problem: (value, _said, named) =>
      value('configDir') === '' && value('frontend') === '' ? `either ${named('frontend')} or ${named('configDir')} is needed` : undefined,
  },
  {
    keys: ['configDir', 'node'],
    commands: ['serve'],
    problem: (value, _said, named) =>
      value('configDir') === '' && value('node') === '' ? `${named('node')} is required when configs come from the frontend` : undefined,
  },
  {
    keys: ['watch', 'configDir'],
    commands: ['serve'],
    problem: (value, said, named) =>
      value('watch') === true && value('configDir') === ''
        ? `${said('watch')} needs ${named('configDir')}: configs from the frontend are reloaded with SIGHUP or a dsiem_backend_reload request`
        : undefined,
  },
  {
    keys: ['port', 'address'],
    commands: ['serve'],
    problem: (value, said, named) => (value('port') !== 0 && String(value('address')).trim() === '' ? `${named('address')} must not be empty while ${said('port')}` : undefined),
  },
  {
    keys: ['jetstream', 'reloadBacklogs'],
    commands: ['serve'],
    problem: (value, said, named) =>
      value('jetstream') === true && value('reloadBacklogs') === false
        ? `${said('reloadBacklogs')} cannot go with ${named('jetstream')}: the checkpoints are how JetStream mode keeps its place in the stream`
        : undefined,
  },
];
