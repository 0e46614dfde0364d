// Deterministic benchmark workloads (our own generator; same arguments => same files).
//
//   mixed       N directives (default 300), ids 100000 + i, in a cycle of 20: 8 "pair" (ANY->ANY, then :1->:1,
//               occurrences 1/10/10000), 5 "outbound" (HOME_NET->ANY, then :1->ANY, 1/5/1000), 5 "inbound"
//               (ANY->HOME_NET, then ANY->:1, 1/5/1000), each on its own plugin_sid of plugin 1001, and 2 taxonomy
//               directives (two products, a category, a subcategory on stage 1; ANY->HOME_NET, then :1->:1,
//               1/4/500). Events, 10 ms apart: 60% hit a signature directive (Zipf-like weights 1/rank^0.8: a
//               few noisy signatures), each signature talking over 4 fixed address pairs; 10% taxonomy events over
//               5 sources and 5 destinations; 30% noise (sids no directive uses). 200 internal and 400 external
//               hosts. --churn sends 15% of signature hits over random pairs, so new backlogs keep being created.
//   go-configs  Go Dsiem's two sample directives (ping flood from SRC_IP / to DST_IP, plugin 1001/2100384,
//               occurrences 1/3/10000) and its sample assets; 70% pings, 30% other sids, between 20 sources and 40
//               destinations (half of them internal).
//   backlogs    one directive and N distinct source addresses: N live backlogs (memory per backlog).
//   soak        one directive whose backlogs expire 60 s (event time) after their last stage change, sources
//               drawn from 20,000 addresses: backlogs are created and expire all the time, the live set stays
//               around a few thousand.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type Profile = 'mixed' | 'go-configs' | 'backlogs' | 'soak';

export interface WorkloadOptions {
  readonly profile: Profile;
  readonly events: number;
  readonly directives: number;
  readonly churn: boolean;
  readonly seed: number;
}

/** xorshift32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

type Json = Record<string, unknown>;

interface Workload {
  readonly directives: Json[];
  readonly assets: Json[];
  readonly events: string[];
}

/** The draws a generator makes, all from one seeded sequence. */
interface Draw {
  (): number;
  pick<T>(list: readonly T[]): T;
}

function draws(seed: number): Draw {
  const rnd = prng(seed);
  return Object.assign(rnd, { pick: <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T });
}

function rule(stage: number, over: Json): Json {
  return { name: `stage ${stage}`, type: 'PluginRule', stage, occurrence: 1, from: 'ANY', to: 'ANY', port_from: 'ANY', port_to: 'ANY', protocol: 'ANY', reliability: 1, timeout: stage === 1 ? 0 : 3600, ...over };
}

/** Events 10 ms apart from `start`, numbered from 1. */
function timeline(start: string): (n: number) => { event_id: string; timestamp: string } {
  const t0 = Date.parse(start);
  return (n) => ({ event_id: `b-${String(n + 1).padStart(7, '0')}`, timestamp: new Date(t0 + n * 10).toISOString() });
}

// ---- mixed ------------------------------------------------------------------------------------------------------

const MIXED_ASSETS = [
  { name: '10-Net', cidr: '10.0.0.0/8', value: 2 }, { name: '192-168-Net', cidr: '192.168.0.0/16', value: 2 },
  { name: '172-16-Net', cidr: '172.16.0.0/12', value: 2 }, { name: 'Servers', cidr: '10.10.0.0/24', value: 4 },
  { name: 'Firewall', cidr: '192.168.0.1/32', value: 5 }, { name: 'DC-1', cidr: '10.10.0.10/32', value: 5 },
  { name: 'DB-1', cidr: '10.10.0.20/32', value: 4 },
];
const PRODUCTS = ['Intrusion Detection System', 'Web Application Firewall', 'Firewall', 'Antivirus'];
const CATEGORIES = ['Web Attack', 'Malware', 'Packet processing', 'Authentication'];
const SUBCATEGORIES = ['SQL Injection', 'XSS', 'Trojan', 'Dropped', 'Brute Force', 'Scan'];

/** 200 internal hosts (four private ranges, some in the server subnet) and 400 external ones. */
function mixedHosts(): { internal: string[]; external: string[] } {
  const internal = Array.from({ length: 200 }, (_, i) => {
    switch (i % 4) {
      case 0: return `10.10.0.${(i % 250) + 1}`;
      case 1: return `10.${1 + (i % 50)}.${i % 200}.${((i * 7) % 250) + 1}`;
      case 2: return `192.168.${i % 20}.${((i * 3) % 250) + 1}`;
      default: return `172.16.${i % 16}.${((i * 5) % 250) + 1}`;
    }
  });
  const firstOctets = [203, 198, 45, 91, 185];
  const external = Array.from({ length: 400 }, (_, i) => `${firstOctets[i % 5]}.${((i * 13) % 250) + 1}.${((i * 31) % 250) + 1}.${((i * 17) % 250) + 1}`);
  return { internal, external };
}

type SignatureKind = 'pair' | 'outbound' | 'inbound';

/** The three stages of a signature directive: from/to of stage 1 and of the later stages, occurrences, reliabilities, timeouts. */
const SIGNATURE_SHAPES: Record<SignatureKind, { name: (sid: number) => string; priority: number; kingdom: string; first: [string, string]; later: [string, string]; occurrences: number[]; reliabilities: number[]; timeouts: number[] }> = {
  pair: { name: (sid) => `Sig ${sid} (SRC_IP to DST_IP)`, priority: 3, kingdom: 'Environmental Awareness', first: ['ANY', 'ANY'], later: [':1', ':1'], occurrences: [1, 10, 10000], reliabilities: [1, 5, 10], timeouts: [0, 3600, 21600] },
  outbound: { name: (sid) => `Outbound ${sid} from SRC_IP`, priority: 4, kingdom: 'Delivery & Attack', first: ['HOME_NET', 'ANY'], later: [':1', 'ANY'], occurrences: [1, 5, 1000], reliabilities: [1, 5, 9], timeouts: [0, 600, 3600] },
  inbound: { name: (sid) => `Inbound ${sid} to DST_IP`, priority: 4, kingdom: 'Reconnaissance & Probing', first: ['ANY', 'HOME_NET'], later: ['ANY', ':1'], occurrences: [1, 5, 1000], reliabilities: [1, 5, 9], timeouts: [0, 600, 3600] },
};

function signatureDirective(id: number, sid: number, kind: SignatureKind): Json {
  const shape = SIGNATURE_SHAPES[kind];
  const rules = [0, 1, 2].map((k) => {
    const [from, to] = k === 0 ? shape.first : shape.later;
    return rule(k + 1, { name: `${kind} ${sid}`, plugin_id: 1001, plugin_sid: [sid], from, to, occurrence: shape.occurrences[k], reliability: shape.reliabilities[k], timeout: shape.timeouts[k] });
  });
  return { id, name: shape.name(sid), priority: shape.priority, kingdom: shape.kingdom, category: 'Misc Activity', rules };
}

function taxonomyDirective(id: number, i: number): { directive: Json; product: string[]; category: string; subcategory: string } {
  const product = [PRODUCTS[i % 4] as string, PRODUCTS[(i + 1) % 4] as string];
  const category = CATEGORIES[i % 4] as string;
  const subcategory = SUBCATEGORIES[i % 6] as string;
  const tx = (stage: number, over: Json) => rule(stage, { name: 'taxonomy', type: 'TaxonomyRule', product, category, ...over });
  const rules = [
    tx(1, { subcategory: [subcategory], to: 'HOME_NET', reliability: 2 }),
    tx(2, { occurrence: 4, from: ':1', to: ':1', reliability: 6, timeout: 600 }),
    tx(3, { occurrence: 500, from: ':1', to: ':1', reliability: 9, timeout: 3600 }),
  ];
  return { directive: { id, name: `${category} ${i} against DST_IP`, priority: 3, kingdom: 'Delivery & Attack', category, rules }, product, category, subcategory };
}

/** A cumulative-weight picker: index k drawn with weight 1 / (k + 1)^0.8 (a few noisy signatures, a long tail). */
function zipfPicker(n: number, draw: Draw): () => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / Math.pow(k + 1, 0.8));
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  const cumulative = weights.map((w) => (sum += w / total));
  return () => {
    const r = draw();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 1) < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function mixed(o: WorkloadOptions, draw: Draw): Workload {
  const { internal, external } = mixedHosts();
  const directives: Json[] = [];
  const signatures: Array<{ sid: number; kind: SignatureKind; talkers?: Array<[string, string]> }> = [];
  const taxonomies: Array<{ product: string[]; category: string; subcategory: string }> = [];
  for (let i = 0; i < o.directives; i++) {
    const slot = i % 20;
    if (slot >= 18) {
      const t = taxonomyDirective(100000 + i, i);
      directives.push(t.directive);
      taxonomies.push(t);
      continue;
    }
    const kind: SignatureKind = slot < 8 ? 'pair' : slot < 13 ? 'outbound' : 'inbound';
    directives.push(signatureDirective(100000 + i, 5000 + i, kind));
    signatures.push({ sid: 5000 + i, kind });
  }
  const randomPair = (kind: SignatureKind): [string, string] => {
    if (kind === 'outbound') return [draw.pick(internal), draw.pick(external)];
    if (kind === 'inbound') return [draw.pick(external), draw.pick(internal)];
    return draw() < 0.5 ? [draw.pick(internal), draw.pick(external)] : [draw.pick(external), draw.pick(internal)];
  };
  const signatureIndex = zipfPicker(signatures.length, draw);
  const taxonomySources = external.slice(0, 5);
  const taxonomyTargets = internal.slice(0, 5);
  const at = timeline('2025-03-01T00:00:00Z');
  const events: string[] = [];
  for (let n = 0; n < o.events; n++) {
    const r = draw();
    let fields: Json;
    if (r < 0.6 && signatures.length > 0) {
      const s = signatures[signatureIndex()] as (typeof signatures)[number];
      s.talkers ??= Array.from({ length: 4 }, () => randomPair(s.kind));
      const [src, dst] = o.churn && draw() < 0.15 ? randomPair(s.kind) : draw.pick(s.talkers);
      fields = { title: `signature ${s.sid}`, plugin_id: 1001, plugin_sid: s.sid, src_ip: src, dst_ip: dst };
    } else if (r < 0.7 && taxonomies.length > 0) {
      const t = draw.pick(taxonomies);
      fields = {
        title: `${t.category} event`, product: t.product[0], category: t.category, subcategory: draw() < 0.7 ? t.subcategory : draw.pick(SUBCATEGORIES),
        src_ip: draw.pick(taxonomySources), dst_ip: draw.pick(taxonomyTargets),
      };
    } else {
      const src = draw() < 0.5 ? draw.pick(internal) : draw.pick(external);
      const dst = draw() < 0.5 ? draw.pick(internal) : draw.pick(external);
      fields = { title: 'noise', plugin_id: 1001, plugin_sid: 90000 + Math.floor(draw() * 500), src_ip: src, dst_ip: dst };
    }
    const ports = { src_port: 1024 + Math.floor(draw() * 60000), dst_port: draw.pick([22, 53, 80, 443, 445, 3389, 8080]), protocol: draw.pick(['TCP', 'UDP']) };
    events.push(JSON.stringify({ ...at(n), sensor: 'bench-sensor', ...fields, ...ports }));
  }
  return { directives, assets: MIXED_ASSETS, events };
}

// ---- go-configs -------------------------------------------------------------------------------------------------

function goConfigs(o: WorkloadOptions, draw: Draw): Workload {
  // Go Dsiem's configs/directives_dsiem-backend-{0,1}_testing1.json and configs/assets_testing.json.
  const ping = (stage: number, occurrence: number, from: string, to: string, reliability: number, timeout: number) =>
    rule(stage, { name: 'ICMP Ping', plugin_id: 1001, plugin_sid: [2100384], occurrence, from, to, protocol: 'ICMP', reliability, timeout });
  const flood = { kingdom: 'Reconnaissance & Probing', category: 'Misc Activity', priority: 3 };
  const directives = [
    { id: 1, name: 'Ping Flood from SRC_IP', ...flood, rules: [ping(1, 1, 'HOME_NET', 'ANY', 1, 0), ping(2, 3, ':1', 'ANY', 6, 600), ping(3, 10000, ':1', 'ANY', 10, 3600)] },
    { id: 2, name: 'Ping Flood to DST_IP', ...flood, rules: [ping(1, 1, 'ANY', 'HOME_NET', 1, 0), ping(2, 3, 'ANY', ':1', 6, 3600), ping(3, 10000, 'ANY', ':1', 10, 3600)] },
  ];
  const assets = [
    { name: 'Firewall', cidr: '192.168.0.1/32', value: 5 },
    { name: 'VulnerabilityScanner', cidr: '192.168.0.2/32', value: 5, whitelisted: true },
    { name: '192-168-Net', cidr: '192.168.0.0/16', value: 2 },
    { name: '10-Net', cidr: '10.0.0.0/8', value: 2 },
    { name: '172-16-Net', cidr: '172.16.0.0/12', value: 2 },
  ];
  // 20 internal sources; 40 destinations, every other one internal.
  const sources = Array.from({ length: 20 }, (_, i) => (i < 12 ? `10.0.${i}.${i + 10}` : `192.168.1.${i}`));
  const targets = Array.from({ length: 40 }, (_, i) => (i % 2 === 1 ? `192.168.${i}.1` : `203.0.113.${i + 1}`));
  const at = timeline('2025-03-01T00:00:00Z');
  const events: string[] = [];
  for (let n = 0; n < o.events; n++) {
    const isPing = draw() < 0.7;
    const [src, dst] = [draw.pick(sources), draw.pick(targets)];
    const signature = isPing ? { title: 'ICMP Ping', plugin_sid: 2100384 } : { title: 'other', plugin_sid: 2100400 + Math.floor(draw() * 100) };
    events.push(JSON.stringify({ ...at(n), sensor: 'bench-sensor', ...signature, plugin_id: 1001, src_ip: src, src_port: 0, dst_ip: dst, dst_port: 0, protocol: 'ICMP' }));
  }
  return { directives, assets, events };
}

// ---- backlogs and soak ------------------------------------------------------------------------------------------

const SMALL_ASSETS = [
  { name: 'lan-10', cidr: '10.0.0.0/8', value: 2 }, { name: 'lan-192', cidr: '192.168.0.0/16', value: 2 },
  { name: 'lan-172', cidr: '172.16.0.0/12', value: 2 }, { name: 'servers', cidr: '10.20.0.0/24', value: 4 },
  { name: 'gateway', cidr: '192.168.0.1/32', value: 5 }, { name: 'dc', cidr: '10.20.0.5/32', value: 5 },
];

function plainEvent(n: number, fields: Json): string {
  const at = new Date(Date.parse('2025-05-01T00:00:00Z') + n * 10).toISOString();
  return JSON.stringify({ event_id: `w-${n}`, timestamp: at, sensor: 'bench', title: 'bench', protocol: 'TCP', src_port: 1024 + (n % 60000), dst_port: 443, ...fields });
}

function soak(o: WorkloadOptions, draw: Draw): Workload {
  const directives = [{ id: 1, name: 'Short-lived from SRC_IP', priority: 3, kingdom: 'Reconnaissance & Probing', category: 'Misc Activity', rules: [
    rule(1, { plugin_id: 8, plugin_sid: [1], to: 'HOME_NET' }), rule(2, { plugin_id: 8, plugin_sid: [1], occurrence: 5, from: ':1', to: ':1', reliability: 5, timeout: 60 })] }];
  // Ten internal hosts from the three private ranges.
  const targets = Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? `10.20.0.${i + 1}` : i % 3 === 1 ? `192.168.${i}.${((i * 7) % 250) + 2}` : `172.16.${i}.${((i * 11) % 250) + 1}`));
  const events = Array.from({ length: o.events }, (_, n) => {
    const k = Math.floor(draw() * 20_000);
    return plainEvent(n, { plugin_id: 8, plugin_sid: 1, src_ip: `203.0.${k >> 8}.${k & 255}`, dst_ip: draw.pick(targets) });
  });
  return { directives, assets: SMALL_ASSETS, events };
}

function backlogs(o: WorkloadOptions): Workload {
  const directives = [{ id: 1, name: 'Many sources from SRC_IP', priority: 3, kingdom: 'Reconnaissance & Probing', category: 'Misc Activity', rules: [
    rule(1, { plugin_id: 7, plugin_sid: [1] }), rule(2, { plugin_id: 7, plugin_sid: [1], occurrence: 1000, from: ':1', to: ':1' })] }];
  const events = Array.from({ length: o.events }, (_, n) => plainEvent(n, { plugin_id: 7, plugin_sid: 1, src_ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, dst_ip: '192.168.0.1' }));
  return { directives, assets: SMALL_ASSETS, events };
}

export async function writeWorkload(dir: string, o: WorkloadOptions): Promise<void> {
  const draw = draws(o.seed);
  const w = o.profile === 'mixed' ? mixed(o, draw) : o.profile === 'go-configs' ? goConfigs(o, draw) : o.profile === 'soak' ? soak(o, draw) : backlogs(o);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'directives_bench.json'), JSON.stringify({ directives: w.directives }) + '\n');
  await writeFile(path.join(dir, 'assets_bench.json'), JSON.stringify({ assets: w.assets }) + '\n');
  await writeFile(path.join(dir, 'events.jsonl'), w.events.join('\n') + '\n');
}
