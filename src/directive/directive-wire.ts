/**
 * The wire format of `directives_*.json`, field by field, as Go Dsiem defines it (internal/pkg/dsiem/siem
 * Directive and rule.DirectiveRule). Every field Go knows is known here, also those we do not use: the runtime
 * fields of a rule (start_time, end_time, rcvd_time, status, events) are accepted, type-checked and ignored.
 */

import * as t from 'io-ts';

import { WholeNumber } from '../shared/decode.js';

export const RULE_REQUIRED = {
  name: t.string,
  stage: WholeNumber,
  occurrence: WholeNumber,
  from: t.string,
  to: t.string,
  port_from: t.string,
  port_to: t.string,
  type: t.string,
  protocol: t.string,
  reliability: WholeNumber,
  timeout: WholeNumber,
};

export const RULE_OPTIONAL = {
  plugin_id: WholeNumber,
  plugin_sid: t.array(WholeNumber),
  product: t.array(t.string),
  category: t.string,
  subcategory: t.array(t.string),
  sticky_different: t.string,
  custom_data1: t.string,
  custom_data2: t.string,
  custom_data3: t.string,
  custom_label1: t.string,
  custom_label2: t.string,
  custom_label3: t.string,
};

/** Go's runtime state of a rule, found in files saved from alarms: accepted and ignored. */
export const RULE_RUNTIME = {
  start_time: WholeNumber,
  end_time: WholeNumber,
  rcvd_time: WholeNumber,
  status: t.string,
  events: t.array(t.string),
};

export const RuleWire = t.intersection([t.type(RULE_REQUIRED), t.partial({ ...RULE_OPTIONAL, ...RULE_RUNTIME })]);
export type RuleWire = t.TypeOf<typeof RuleWire>;

export const DIRECTIVE_REQUIRED = {
  id: WholeNumber,
  name: t.string,
  priority: WholeNumber,
  kingdom: t.string,
  category: t.string,
  rules: t.array(t.unknown),
};

export const DIRECTIVE_OPTIONAL = { disabled: t.boolean, all_rules_always_active: t.boolean };

export const DirectiveWire = t.intersection([t.type(DIRECTIVE_REQUIRED), t.partial(DIRECTIVE_OPTIONAL)]);
export type DirectiveWire = t.TypeOf<typeof DirectiveWire>;

export const DirectiveFileWire = t.type({ directives: t.array(t.unknown) });

export const RULE_FIELDS: readonly string[] = [...Object.keys(RULE_REQUIRED), ...Object.keys(RULE_OPTIONAL), ...Object.keys(RULE_RUNTIME)];
export const DIRECTIVE_FIELDS: readonly string[] = [...Object.keys(DIRECTIVE_REQUIRED), ...Object.keys(DIRECTIVE_OPTIONAL)];
export const DIRECTIVE_FILE_FIELDS: readonly string[] = ['directives'];
