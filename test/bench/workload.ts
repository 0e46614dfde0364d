// Deterministic benchmark workloads (our own generator; same arguments => same files).
//
//   mixed       N directives (default 300): 40% "pair" (ANY->ANY then :1/:1), 25% "outbound" (HOME_NET->ANY then
//               :1->ANY), 25% "inbound" (ANY->HOME_NET then ANY->:1), 10% taxonomy; events: 60% signature hits
//               (a few noisy signatures, each over a handful of fixed address pairs), 10% taxonomy, 30% noise.
//               --churn sends 15% of signature hits over random pairs, so new backlogs keep being created.
//   go-configs  Go Dsiem's two sample directives (ping flood from SRC_IP / to DST_IP) over a small host pool.
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

function rule(stage: number, over: Json): Json {
  return { name: `stage ${stage}`, type: 'PluginRule', stage, occurrence: 1, from: 'ANY', to: 'ANY', port_from: 'ANY', port_to: 'ANY', protocol: 'ANY', reliability: 1, timeout: stage === 1 ? 0 : 3600, ...over };
}

const ASSETS = { assets: [
  { name: 'lan-10', cidr: '10.0.0.0/8', value: 2 }, { name: 'lan-192', cidr: '192.168.0.0/16', value: 2 },
  { name: 'lan-172', cidr: '172.16.0.0/12', value: 2 }, { name: 'servers', cidr: '10.20.0.0/24', value: 4 },
  { name: 'gateway', cidr: '192.168.0.1/32', value: 5 }, { name: 'dc', cidr: '10.20.0.5/32', value: 5 },
] };

export async function writeWorkload(dir: string, o: WorkloadOptions): Promise<void> {
  const rnd = prng(o.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const inside = Array.from({ length: 240 }, (_, i) => (i % 3 === 0 ? `10.20.0.${(i % 250) + 1}` : i % 3 === 1 ? `192.168.${i % 30}.${(i * 7) % 250 + 2}` : `172.16.${i % 12}.${(i * 11) % 250 + 1}`));
  const outside = Array.from({ length: 480 }, (_, i) => `${[198, 203, 45, 91, 185, 23][i % 6]}.${(i * 17) % 250 + 1}.${(i * 29) % 250 + 1}.${(i * 13) % 250 + 1}`);
  const directives: Json[] = [];
  const events: string[] = [];
  const t0 = Date.parse('2025-05-01T00:00:00Z');
  const event = (n: number, fields: Json) =>
    JSON.stringify({ event_id: `w-${n}`, timestamp: new Date(t0 + n * 10).toISOString(), sensor: 'bench', title: 'bench', protocol: 'TCP', src_port: 1024 + (n % 60000), dst_port: 443, ...fields });

  if (o.profile === 'go-configs') {
    const ping = { plugin_id: 1001, plugin_sid: [2100384], protocol: 'ICMP' };
    directives.push({ id: 1, name: 'Ping Flood from SRC_IP', priority: 3, kingdom: 'Reconnaissance & Probing', category: 'Misc Activity', rules: [
      rule(1, { ...ping, from: 'HOME_NET' }), rule(2, { ...ping, occurrence: 3, from: ':1', reliability: 6, timeout: 600 }), rule(3, { ...ping, occurrence: 10000, from: ':1', reliability: 10 })] });
    directives.push({ id: 2, name: 'Ping Flood to DST_IP', priority: 3, kingdom: 'Reconnaissance & Probing', category: 'Misc Activity', rules: [
      rule(1, { ...ping, to: 'HOME_NET' }), rule(2, { ...ping, occurrence: 3, to: ':1', reliability: 6 }), rule(3, { ...ping, occurrence: 10000, to: ':1', reliability: 10 })] });
    const src = inside.slice(0, 20);
    const dst = [...inside.slice(20, 40), ...outside.slice(0, 20)];
    for (let n = 0; n < o.events; n++) {
      const sid = rnd() < 0.7 ? 2100384 : 2100400 + Math.floor(rnd() * 100);
      events.push(event(n, { plugin_id: 1001, plugin_sid: sid, src_ip: pick(src), dst_ip: pick(dst), src_port: 0, dst_port: 0, protocol: 'ICMP' }));
    }
  } else if (o.profile === 'soak') {
    directives.push({ id: 1, name: 'Short-lived from SRC_IP', priority: 3, kingdom: 'Reconnaissance & Probing', category: 'Misc Activity', rules: [
      rule(1, { plugin_id: 8, plugin_sid: [1], to: 'HOME_NET' }), rule(2, { plugin_id: 8, plugin_sid: [1], occurrence: 5, from: ':1', to: ':1', reliability: 5, timeout: 60 })] });
    for (let n = 0; n < o.events; n++) {
      const k = Math.floor(rnd() * 20_000);
      events.push(event(n, { plugin_id: 8, plugin_sid: 1, src_ip: `203.0.${k >> 8}.${k & 255}`, dst_ip: pick(inside.slice(0, 10)) }));
    }
  } else if (o.profile === 'backlogs') {
    directives.push({ id: 1, name: 'Many sources from SRC_IP', priority: 3, kingdom: 'Reconnaissance & Probing', category: 'Misc Activity', rules: [
      rule(1, { plugin_id: 7, plugin_sid: [1] }), rule(2, { plugin_id: 7, plugin_sid: [1], occurrence: 1000, from: ':1', to: ':1' })] });
    for (let n = 0; n < o.events; n++) {
      events.push(event(n, { plugin_id: 7, plugin_sid: 1, src_ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, dst_ip: '192.168.0.1' }));
    }
  } else {
    const signatures: Array<{ sid: number; kind: 'pair' | 'out' | 'in'; pairs: Array<[string, string]> }> = [];
    const taxonomy: Array<{ product: string; category: string; sub: string }> = [];
    const products = ['IDS', 'WAF', 'Firewall', 'EDR'];
    const categories = ['Web Attack', 'Malware', 'Policy', 'Authentication'];
    for (let i = 0; i < o.directives; i++) {
      const id = 200000 + i;
      const slot = i % 20;
      if (slot >= 18) {
        const t = { product: products[i % 4] as string, category: categories[i % 4] as string, sub: `sub-${i % 5}` };
        taxonomy.push(t);
        const tx = (stage: number, over: Json) => rule(stage, { type: 'TaxonomyRule', product: [t.product], category: t.category, ...over });
        directives.push({ id, name: `${t.category} against DST_IP (${i})`, priority: 3, kingdom: 'Delivery & Attack', category: t.category, rules: [
          tx(1, { subcategory: [t.sub], to: 'HOME_NET', reliability: 2 }), tx(2, { occurrence: 4, from: ':1', to: ':1', reliability: 6 }), tx(3, { occurrence: 500, from: ':1', to: ':1', reliability: 9 })] });
        continue;
      }
      const sid = 7000 + i;
      const kind = slot < 8 ? 'pair' : slot < 13 ? 'out' : 'in';
      const sig = { plugin_id: 1001, plugin_sid: [sid] };
      const [f1, t1, f2, t2] = kind === 'pair' ? ['ANY', 'ANY', ':1', ':1'] : kind === 'out' ? ['HOME_NET', 'ANY', ':1', 'ANY'] : ['ANY', 'HOME_NET', 'ANY', ':1'];
      const [o2, o3] = kind === 'pair' ? [10, 10000] : [5, 1000];
      directives.push({ id, name: `Signature ${sid} from SRC_IP to DST_IP`, priority: 3, kingdom: 'Environmental Awareness', category: 'Misc Activity', rules: [
        rule(1, { ...sig, from: f1, to: t1 }), rule(2, { ...sig, occurrence: o2, from: f2, to: t2, reliability: 5 }), rule(3, { ...sig, occurrence: o3, from: f2, to: t2, reliability: 9 })] });
      const pair = (): [string, string] => (kind === 'out' ? [pick(inside), pick(outside)] : kind === 'in' ? [pick(outside), pick(inside)] : rnd() < 0.5 ? [pick(inside), pick(outside)] : [pick(outside), pick(inside)]);
      signatures.push({ sid, kind, pairs: Array.from({ length: 4 }, pair) });
    }
    // a few noisy signatures: weight 1/(rank+1)^0.8
    const weights = signatures.map((_, k) => 1 / Math.pow(k + 1, 0.8));
    const total = weights.reduce((a, b) => a + b, 0);
    const cumulative: number[] = [];
    weights.reduce((acc, w) => (cumulative.push((acc + w) / total), acc + w), 0);
    const pickSignature = () => {
      const r = rnd();
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((cumulative[mid] ?? 1) < r) lo = mid + 1;
        else hi = mid;
      }
      return signatures[lo];
    };
    for (let n = 0; n < o.events; n++) {
      const r = rnd();
      const s = r < 0.6 ? pickSignature() : undefined;
      if (s !== undefined) {
        const [src, dst] = o.churn && rnd() < 0.15 ? [pick(outside), pick(inside)] : pick(s.pairs);
        events.push(event(n, { plugin_id: 1001, plugin_sid: s.sid, src_ip: src, dst_ip: dst }));
      } else if (r < 0.7 && taxonomy.length > 0) {
        const t = pick(taxonomy);
        events.push(event(n, { product: t.product, category: t.category, subcategory: rnd() < 0.7 ? t.sub : 'other', src_ip: pick(outside.slice(0, 6)), dst_ip: pick(inside.slice(0, 6)) }));
      } else {
        events.push(event(n, { plugin_id: 1001, plugin_sid: 90000 + Math.floor(rnd() * 400), src_ip: pick([...inside, ...outside]), dst_ip: pick(outside) }));
      }
    }
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'directives_bench.json'), JSON.stringify({ directives }) + '\n');
  await writeFile(path.join(dir, 'assets_bench.json'), JSON.stringify(ASSETS) + '\n');
  await writeFile(path.join(dir, 'events.jsonl'), events.join('\n') + '\n');
}
