// Shared builders for the unit tests of the pure domain (src/): events, addresses, assets, rules, directives.

import { buildNetworkAssets, type Asset, type NetworkAssets } from '../../src/asset/network-assets.js';
import type { BacklogContext } from '../../src/backlog/state.js';
import { createRuleBook } from '../../src/rule/rule-book.js';
import type { Directive } from '../../src/directive/directive.js';
import type { RuleSpec } from '../../src/directive/rule-spec.js';
import { decodeEventValue, type NormalizedEvent } from '../../src/event/normalized-event.js';
import { parseCidr, parseIp, type Cidr, type IpAddress } from '../../src/net/ip.js';

/** 2025-03-14T09:00:00Z in Unix seconds: the time of the default event. */
export const T0 = 1741942800;

/** RFC 3339 text of T0 + offset seconds. */
export function at(offsetSeconds: number): string {
  return new Date((T0 + offsetSeconds) * 1000).toISOString();
}

/** The wire fields of a valid plugin event; tests override what they care about. */
export const BASE_EVENT: Readonly<Record<string, unknown>> = {
  event_id: 'ev-1',
  timestamp: '2025-03-14T09:00:00Z',
  sensor: 'sensor-1',
  title: 'test event',
  plugin_id: 1001,
  plugin_sid: 1,
  src_ip: '192.168.0.10',
  dst_ip: '8.8.8.8',
  src_port: 31337,
  dst_port: 80,
  protocol: 'TCP',
};

/** A decoded event built from BASE_EVENT plus overrides (a field set to `undefined` is removed); throws if refused. */
export function anEvent(overrides: Readonly<Record<string, unknown>> = {}): NormalizedEvent {
  const wire: Record<string, unknown> = { ...BASE_EVENT, ...overrides };
  for (const [k, v] of Object.entries(wire)) if (v === undefined) delete wire[k];
  const decoded = decodeEventValue(wire);
  if (!decoded.ok) throw new Error(`test event refused: ${decoded.error.reason} (${decoded.error.detail})`);
  return decoded.value;
}

export function ip(text: string): IpAddress {
  const parsed = parseIp(text);
  if (parsed === undefined) throw new Error(`not an IP literal in a test: ${text}`);
  return parsed;
}

export function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`not a CIDR in a test: ${text}: ${parsed.error}`);
  return parsed.value;
}

export function anAsset(name: string, cidrText: string, value: number, whitelisted = false): Asset {
  return { name, cidr: cidr(cidrText), value, whitelisted };
}

/** Assets of the Rust port's rule tests (dsiem-backend.md 8.3) plus the Firewall host of its fixture. */
export function standardAssets(): NetworkAssets {
  return buildNetworkAssets([
    anAsset('Firewall', '192.168.0.1/32', 5),
    anAsset('VulnerabilityScanner', '192.168.0.2/32', 5, true),
    anAsset('192-168-Net', '192.168.0.0/16', 5),
    anAsset('10-Net', '10.0.0.0/8', 5),
    anAsset('172-16-Net', '172.16.0.0/12', 5),
  ]);
}

export function aRule(overrides: Partial<RuleSpec> = {}): RuleSpec {
  return {
    name: 'rule',
    stage: 1,
    occurrence: 1,
    from: 'ANY',
    to: 'ANY',
    port_from: 'ANY',
    port_to: 'ANY',
    type: 'PluginRule',
    protocol: 'ANY',
    reliability: 1,
    timeout: 0,
    plugin_id: 1001,
    plugin_sid: [1],
    product: [],
    category: '',
    subcategory: [],
    sticky_different: '',
    custom_data1: '',
    custom_data2: '',
    custom_data3: '',
    custom_label1: '',
    custom_label2: '',
    custom_label3: '',
    ...overrides,
  };
}

/** A directive whose rules are numbered 1..N in array order. */
export function aDirective(rules: ReadonlyArray<Partial<RuleSpec>>, overrides: Partial<Omit<Directive, 'rules'>> = {}): Directive {
  return {
    id: 1,
    name: 'Test directive',
    priority: 3,
    kingdom: 'Reconnaissance & Probing',
    category: 'Misc Activity',
    allRulesAlwaysActive: false,
    file: 'directives_test.json',
    ...overrides,
    rules: rules.map((r, i) => aRule({ ...r, stage: i + 1 })),
  };
}

export function aContext(assets: NetworkAssets = standardAssets(), overrides: Partial<BacklogContext> = {}): BacklogContext {
  return {
    assets,
    thresholds: { mediumMin: 3, mediumMax: 6 },
    status: 'Open',
    tag: 'Identified Threat',
    minLifetimeSec: 0,
    rules: createRuleBook(),
    ...overrides,
  };
}

/** Freezes an object graph, so that any write to it throws (ES modules run in strict mode). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
