/**
 * One rule of a directive in the form correlation uses it (every field present, lists as lists), defined once
 * as a codec: the type is derived from it, saved backlogs decode their rules with it, and the directive loader
 * builds values of it from the file format (directive-wire.ts) after its checks.
 */

import * as t from 'io-ts';

export const STICKY_FIELDS = [
  'PLUGIN_SID', 'SRC_IP', 'DST_IP', 'SRC_PORT', 'DST_PORT', 'CUSTOM_DATA1', 'CUSTOM_DATA2', 'CUSTOM_DATA3',
] as const;
export type StickyField = (typeof STICKY_FIELDS)[number];

const keysOf = <K extends string>(keys: readonly K[]) => t.keyof(Object.fromEntries(keys.map((k) => [k, null])) as Record<K, null>);

export const RULE_TYPES = ['PluginRule', 'TaxonomyRule'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

const Strings = t.readonlyArray(t.string);

export const RuleSpec = t.readonly(
  t.type({
    name: t.string,
    stage: t.number,
    occurrence: t.number,
    from: t.string,
    to: t.string,
    port_from: t.string,
    port_to: t.string,
    type: keysOf(RULE_TYPES),
    protocol: t.string,
    reliability: t.number,
    timeout: t.number,
    plugin_id: t.number,
    plugin_sid: t.readonlyArray(t.number),
    product: Strings,
    category: t.string,
    subcategory: Strings,
    sticky_different: keysOf(['', ...STICKY_FIELDS] as const),
    custom_data1: t.string,
    custom_data2: t.string,
    custom_data3: t.string,
    custom_label1: t.string,
    custom_label2: t.string,
    custom_label3: t.string,
  }),
  'a rule',
);
export type RuleSpec = t.TypeOf<typeof RuleSpec>;
