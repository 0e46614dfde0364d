// A hot-reload scenario: two versions of a config folder and events in two halves, one before and one after the
// reload. Every directive has a plugin id of its own, so that an event reaches exactly one directive.
//
//   v1: A (1001), B (1002), C (1003), D (1004)        assets: 10.0.0.0/8 and 8.8.8.0/24
//   v2: A unchanged (moved to another file), B changed (same name: stage 2 needs 2 events instead of 3, other
//       reliability), C renamed, D removed, E (1005) added      assets: + 172.16.0.0/12 (E's sources only)
//
// First half: hosts 1-3 of A to D, 3 events each (stage 1, then 2 of stage 2). Second half: 3 more events for those
// hosts of A to C, hosts 4-5 of A to C (new backlogs), 3 events of D (no directive takes them any more), and hosts
// 1-3 of E.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type Version = 1 | 2;

const rule = (stage: number, pluginId: number, occurrence: number, reliability: number, reference: boolean) => ({
  name: `stage ${stage}`,
  type: 'PluginRule',
  stage,
  plugin_id: pluginId,
  plugin_sid: [1],
  occurrence,
  from: reference ? ':1' : 'ANY',
  to: reference ? ':1' : 'ANY',
  port_from: 'ANY',
  port_to: 'ANY',
  protocol: 'ANY',
  reliability,
  timeout: stage === 1 ? 0 : 3600,
});

function flood(id: number, name: string, pluginId: number, occurrence2 = 3, reliability2 = 5) {
  return {
    id,
    name,
    priority: 3,
    kingdom: 'Reconnaissance & Probing',
    category: 'Misc Activity',
    rules: [rule(1, pluginId, 1, 3, false), rule(2, pluginId, occurrence2, reliability2, true), rule(3, pluginId, 10, 8, true)],
  };
}

export const NAMES = {
  a: 'A flood from SRC_IP',
  b: 'B flood from SRC_IP',
  c: 'C flood from SRC_IP',
  cRenamed: 'C flood from SRC_IP (renamed)',
  d: 'D flood from SRC_IP',
  e: 'E flood from SRC_IP',
};

const asset = (name: string, cidr: string, value: number) => ({ name, cidr, value });

/** The files of one version, by file name. */
export function configFiles(version: Version): Record<string, unknown> {
  const assets = [asset('ten-net', '10.0.0.0/8', 5), asset('dns', '8.8.8.0/24', 5)];
  if (version === 1) {
    return {
      'assets_main.json': { assets },
      'directives_n1_main.json': {
        directives: [flood(1, NAMES.a, 1001), flood(2, NAMES.b, 1002), flood(3, NAMES.c, 1003), flood(4, NAMES.d, 1004)],
      },
    };
  }
  return {
    'assets_main.json': { assets: [...assets, asset('lab', '172.16.0.0/12', 4)] },
    'directives_n1_a.json': { directives: [flood(1, NAMES.a, 1001)] },
    'directives_n1_main.json': { directives: [flood(2, NAMES.b, 1002, 2, 6), flood(3, NAMES.cRenamed, 1003), flood(5, NAMES.e, 1005)] },
  };
}

/** Replaces the config files of `dir` with those of `version` (other files are left alone). */
export async function writeConfig(dir: string, version: Version): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const old of Object.keys({ ...configFiles(1), ...configFiles(2) })) await rm(path.join(dir, old), { force: true });
  for (const [name, content] of Object.entries(configFiles(version))) await writeFile(path.join(dir, name), JSON.stringify(content, null, 2));
}

const T0 = Date.parse('2025-06-02T08:00:00Z');

interface Burst {
  readonly pluginId: number;
  readonly src: string;
  readonly count: number;
}

function eventsOf(bursts: readonly Burst[], startSec: number, prefix: string): string[] {
  const lines: string[] = [];
  let t = startSec;
  for (const b of bursts) {
    for (let i = 0; i < b.count; i++) {
      lines.push(
        JSON.stringify({
          event_id: `${prefix}-${lines.length + 1}`,
          timestamp: new Date(T0 + t * 1000).toISOString(),
          sensor: 'reload-sensor',
          title: 'flood',
          plugin_id: b.pluginId,
          plugin_sid: 1,
          src_ip: b.src,
          src_port: 40000 + i,
          dst_ip: '8.8.8.8',
          dst_port: 53,
          protocol: 'UDP',
        }),
      );
      t++;
    }
  }
  return lines;
}

const hosts = (pluginId: number, from: number, to: number, count: number, net = '10.0.0'): Burst[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ pluginId, src: `${net}.${(pluginId % 100) * 10 + from + i}`, count }));

/** The event lines of the two halves (JSON, without rcvd_time). */
export function scenarioEvents(): { first: string[]; second: string[] } {
  const first = eventsOf([1001, 1002, 1003, 1004].flatMap((p) => hosts(p, 1, 3, 3)), 0, 'h1');
  const second = eventsOf(
    [
      ...[1001, 1002, 1003].flatMap((p) => [...hosts(p, 1, 3, 3), ...hosts(p, 4, 5, 3)]),
      ...hosts(1004, 1, 1, 3),
      ...hosts(1005, 1, 3, 3, '172.16.0'),
    ],
    first.length,
    'h2',
  );
  return { first, second };
}

/** Directive id of an alarm id made by `perDirectiveIds` (`d{id}-{n}`). */
export function directiveOfAlarm(alarmId: string): number {
  return Number(/^d(\d+)-/.exec(alarmId)?.[1] ?? NaN);
}

/** Alarm ids `d{directiveId}-1`, `d{directiveId}-2`, ... per directive: the same in any run whatever else changes. */
export function perDirectiveIds(): (directiveId: number) => string {
  const next = new Map<number, number>();
  return (id) => {
    const n = (next.get(id) ?? 0) + 1;
    next.set(id, n);
    return `d${id}-${n}`;
  };
}
