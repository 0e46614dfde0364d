// `npm run bench -- [--workload <dir>] [--mode replay|nats] [--jetstream [--prefill] [--checkpoint-interval s]] [--events N]
//                   [--profile mixed|go-configs|backlogs] [--directives N] [--churn] [--metrics] [--cpu-prof dir]`
//
// Runs the real pipeline on a workload folder (directives_*.json, assets_*.json, events.jsonl) and prints progress,
// then one JSON line: {"mode","events","seconds","eps","rss_peak_mb","backlogs","alarms","directive_events"}.
// - replay: the replay command's pipeline in this process, from the file to the alarm files.
// - nats:   its own nats-server on a free loopback port and `serve` as a child process with the workload as its
//           config folder; all events are published as fast as NATS takes them (rcvd_time = now); the clock runs
//           from the first publish until the backend reports (dsiem_backend_stats) every event received and handled.
//           Without --metrics its HTTP server is off (--port 0); with it, /metrics is on and scraped every second.
// - memory: every event in one in-process engine, then the heap after GC divided by the live backlogs
//           (run with `--profile backlogs`: one backlog per event; needs node --expose-gc, which npm run bench sets).
// - soak:   the replay pipeline with expiry on (`-l 0`) over the soak profile (backlogs created and expiring all
//           the time); prints RSS and heap every 2 s and compares the second half of the run with the first.
// Without --workload a workload is generated first (default: mixed, 100,000 events).

import { readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import type * as ConfigDir from '../../src/config-files/config-dir.js';
import type * as Replay from '../../actors/replay.js';
import type * as EngineModule from '../../actors/engine.js';
import type * as NormalizedEvent from '../../src/event/normalized-event.js';
import type * as LoggerModule from '../../actors/logger.js';
// The pipeline under test is the compiled one in dist/ (what `serve` and `replay` run), not the TypeScript
// sources through tsx: tsx keeps function names with Object.defineProperty, which puts every closure's
// properties in a dictionary (about 1 KB more per backlog) and slows closure creation.
const dist = (module: string) => new URL(`../../dist/${module}`, import.meta.url).href;
const { loadConfigDir } = (await import(dist('src/config-files/config-dir.js'))) as typeof ConfigDir;
const { runReplay } = (await import(dist('actors/replay.js'))) as typeof Replay;
const { startEngine } = (await import(dist('actors/engine.js'))) as typeof EngineModule;
const { decodeEventJson } = (await import(dist('src/event/normalized-event.js'))) as typeof NormalizedEvent;
const { silentLogger } = (await import(dist('actors/logger.js'))) as typeof LoggerModule;
import { startNatsServer } from '../helpers/nats-server.js';
import { spawnCli } from '../helpers/process.js';
import { closedPort as freePort } from '../helpers/run-command.js';
import { writeWorkload, type Profile } from './workload.js';
import { correlation } from '../helpers/correlation.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string' },
    mode: { type: 'string', default: 'replay' },
    events: { type: 'string' },
    profile: { type: 'string', default: 'mixed' },
    directives: { type: 'string', default: '300' },
    churn: { type: 'boolean', default: false },
    jetstream: { type: 'boolean', default: false },
    // JetStream: every event in the stream first, then the backend started and timed while it catches up.
    prefill: { type: 'boolean', default: false },
    'checkpoint-interval': { type: 'string', default: '5' },
    metrics: { type: 'boolean', default: false },
    // nats: a CPU profile of the backend (node --cpu-prof) written into this folder when it stops.
    'cpu-prof': { type: 'string' },
  },
});

const say = (text: string) => process.stderr.write(`${text}\n`);

interface Result {
  mode: string;
  events: number;
  seconds: number;
  eps: number;
  rss_peak_mb: number;
  backlogs: number;
  alarms: number;
  /** Event-directive pairs handled (quick-check candidates): the unit of correlation work. */
  directive_events?: number;
  heap_per_backlog_bytes?: number;
}

async function workloadDir(): Promise<{ dir: string; generated: boolean }> {
  if (values.workload !== undefined) return { dir: values.workload, generated: false };
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-bench-'));
  const events = Number(values.events ?? 100_000);
  say(`generating a ${values.profile} workload (${events} events) in ${dir}`);
  await writeWorkload(dir, { profile: values.profile as Profile, events, directives: Number(values.directives), churn: values.churn === true, seed: 7 });
  return { dir, generated: true };
}

async function eventLines(dir: string): Promise<string[]> {
  const lines = (await readFile(path.join(dir, 'events.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
  return values.events !== undefined && values.workload !== undefined ? lines.slice(0, Number(values.events)) : lines;
}

async function benchReplay(dir: string): Promise<Result> {
  const loaded = await loadConfigDir(dir);
  if (!loaded.ok) throw new Error(loaded.error);
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-bench-out-'));
  // A workload generated in this process leaves garbage behind: collected first, so the peak shows the replay.
  (globalThis as { gc?: () => void }).gc?.();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const progress = setInterval(() => say(`  ... rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`), 2000);
  try {
    say(`replay: ${dir} (this process before the run: rss ${Math.round(process.memoryUsage().rss / 1e6)} MB, the harness included)`);
    const eventsFile = path.join(dir, 'events.jsonl');
    const s = await runReplay({
      config: loaded.value,
      eventsFile,
      logsDir: logs,
      drain: false,
      correlation: correlation(1_000_000_000),
      log: silentLogger(),
    });
    peak = Math.max(peak, process.memoryUsage().rss);
    return { mode: 'replay', events: s.eventsRead, seconds: s.seconds, eps: s.eventsRead / s.seconds, rss_peak_mb: peak / 1e6, backlogs: s.backlogsCreated, alarms: s.alarms, directive_events: s.directiveEvents };
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
    await rm(logs, { recursive: true, force: true });
  }
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1000 : NaN;
}

async function benchNats(dir: string): Promise<Result> {
  const lines = await eventLines(dir);
  const jetstream = values.jetstream === true;
  const store = jetstream ? await mkdtemp(path.join(tmpdir(), 'dsiem-bench-js-')) : undefined;
  const nats = await startNatsServer(store === undefined ? {} : { extraArgs: ['-js', '-sd', store] });
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-bench-out-'));
  // JetStream: the stream holds what the backend has not taken, so the queue bound stays (nothing is dropped).
  const mode = jetstream ? ['--jetstream', '--checkpoint-interval', values['checkpoint-interval'] ?? '5'] : ['--max_queue', '0', '--reload-backlogs', 'false'];
  const port = values.metrics === true ? await freePort() : 0;
  const args = ['serve', '--config-dir', dir, '--msq', nats.url, '--logs', logs, '-l', '1000000000', ...mode, '--port', String(port), '--address', '127.0.0.1'];
  const cli = () => spawnCli(args, values['cpu-prof'] === undefined ? {} : { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] });
  let serve = cli();
  let scrapes = 0;
  const scraper =
    port === 0
      ? undefined
      : setInterval(() => {
          void fetch(`http://127.0.0.1:${port}/metrics`).then(async (r) => {
            await r.text();
            scrapes++;
          }, () => undefined);
        }, 1000);
  try {
    await serve.waitForLine(/listening for new events/, 30_000);
    const nc = await connect({ servers: nats.url });
    const prefill = jetstream && values.prefill === true;
    if (prefill) {
      // The first start made the stream; the backend is stopped while every event goes into it.
      serve.signal('SIGTERM');
      await serve.exited;
    }
    const enc = new TextEncoder();
    const stats = async () => JSON.parse(new TextDecoder().decode((await nc.request('dsiem_backend_stats', enc.encode(''), { timeout: 10_000 })).data)) as Record<string, number>;
    // Payloads are prepared before the clock starts: the benchmark measures the backend, not JSON.stringify here.
    const payloads = lines.map((l) => {
      const e = JSON.parse(l) as Record<string, unknown>;
      e['rcvd_time'] = 0;
      return e;
    });
    // The first fetch loads the HTTP client (undici) into this process: done before the clock starts, so that the
    // publisher does not pay for it while the backend is measured.
    if (port !== 0) await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    say(`nats: publishing ${payloads.length} events to ${nats.url}`);
    const started = process.hrtime.bigint();
    for (let i = 0; i < payloads.length; i++) {
      const e = payloads[i] as Record<string, unknown>;
      e['rcvd_time'] = Date.now() * 1e6;
      nc.publish('dsiem_events', enc.encode(JSON.stringify(e)));
      if (i % 5000 === 4999) await nc.flush();
    }
    await nc.flush();
    say(`  published in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)} s`);
    let clockFrom = started;
    if (prefill) {
      const jsm = await nc.jetstreamManager();
      while ((await jsm.streams.info('DSIEM_EVENTS')).state.messages < payloads.length) await new Promise((r) => setTimeout(r, 20));
      serve = cli();
      await serve.waitForLine(/listening for new events/, 30_000);
      clockFrom = process.hrtime.bigint();
      say('  backend started on the full stream: timing its catch-up');
    }
    let last: Record<string, number> = {};
    for (;;) {
      last = await stats();
      if ((last['received'] ?? 0) >= payloads.length && last['queue_length'] === 0 && last['backlog_items_in_flight'] === 0 && last['lines_not_written'] === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const seconds = Number(process.hrtime.bigint() - clockFrom) / 1e9;
    let js = (last as unknown as { jetstream: Record<string, number> | null }).jetstream;
    if (js !== null && js !== undefined) {
      // The checkpoint that holds every backlog: its time and size are the figures of interest.
      while ((js['last_checkpoint_seq'] ?? 0) < (js['taken_seq'] ?? 0)) {
        await new Promise((r) => setTimeout(r, 200));
        js = (await stats() as unknown as { jetstream: Record<string, number> }).jetstream;
      }
      say(`  jetstream: ${js['checkpoints_written']} checkpoints, the last ${js['last_checkpoint_ms']} ms and ${((js['last_checkpoint_bytes'] ?? 0) / 1e6).toFixed(1)} MB (${last['backlogs']} live backlogs); consumer placed again ${js['consumer_replaced'] ?? 0} times`);
    }
    say(`  mean ingress batch: ${((last['accepted'] ?? 0) / Math.max(1, last['ingress_batches'] ?? 0)).toFixed(0)} events${port === 0 ? '' : `, /metrics scraped ${scrapes} times`}`);
    const rss = peakRssMb(serve.child.pid);
    say(`  serve's CPU time: ${cpuSeconds(serve.child.pid).toFixed(2)} s`);
    await nc.close();
    return { mode: jetstream ? (prefill ? 'nats-jetstream-catch-up' : 'nats-jetstream') : 'nats', events: payloads.length, seconds, eps: payloads.length / seconds, rss_peak_mb: rss, backlogs: last['backlogs_created'] ?? 0, alarms: last['alarms'] ?? 0, directive_events: last['handled'] ?? 0 };
  } finally {
    clearInterval(scraper);
    serve.signal('SIGTERM');
    await serve.exited;
    await nats.stop();
    await rm(logs, { recursive: true, force: true });
    if (store !== undefined) await rm(store, { recursive: true, force: true });
  }
}

async function benchSoak(dir: string): Promise<Result> {
  const loaded = await loadConfigDir(dir);
  if (!loaded.ok) throw new Error(loaded.error);
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-bench-out-'));
  // A generated workload leaves its event lines behind as garbage: collect it so the samples show the backend.
  (globalThis as { gc?: () => void }).gc?.();
  const samples: Array<{ t: number; rss: number; heap: number }> = [];
  const t0 = Date.now();
  const sample = () => {
    const m = process.memoryUsage();
    samples.push({ t: (Date.now() - t0) / 1000, rss: m.rss / 1e6, heap: m.heapUsed / 1e6 });
    say(`  t=${samples.at(-1)?.t.toFixed(0)} s rss ${m.rss / 1e6 | 0} MB heap ${m.heapUsed / 1e6 | 0} MB`);
  };
  const timer = setInterval(sample, 2000);
  try {
    const s = await runReplay({
      config: loaded.value,
      eventsFile: path.join(dir, 'events.jsonl'),
      logsDir: logs,
      drain: false,
      correlation: correlation(0),
      log: silentLogger(),
    });
    sample();
    const half = Math.floor(samples.length / 2);
    const mean = (xs: typeof samples) => xs.reduce((a, x) => a + x.rss, 0) / Math.max(1, xs.length);
    const warm = samples.slice(Math.min(2, half), half);
    say(`  rss mean: first half (after warm-up) ${mean(warm).toFixed(0)} MB, second half ${mean(samples.slice(half)).toFixed(0)} MB`);
    return { mode: 'soak', events: s.eventsRead, seconds: s.seconds, eps: s.eventsRead / s.seconds, rss_peak_mb: Math.max(...samples.map((x) => x.rss)), backlogs: s.backlogsCreated, alarms: s.alarms };
  } finally {
    clearInterval(timer);
    await rm(logs, { recursive: true, force: true });
  }
}

async function benchMemory(dir: string): Promise<Result> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const loaded = await loadConfigDir(dir);
  if (!loaded.ok) throw new Error(loaded.error);
  const logs = await mkdtemp(path.join(tmpdir(), 'dsiem-bench-out-'));
  const engine = startEngine({
    config: loaded.value,
    correlation: correlation(1_000_000_000),
    logsDir: logs,
    clock: { now: () => Date.now() },
    log: silentLogger(),
  });
  try {
    const lines = await eventLines(dir);
    gc();
    const before = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i += 1000) {
      const batch = lines.slice(i, i + 1000).flatMap((l) => {
        const d = decodeEventJson(l);
        return d.ok ? [{ event: d.value, now: Date.now() }] : [];
      });
      engine.ingest(batch);
      await engine.barrier();
    }
    await engine.flush();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    lines.length = 0;
    gc();
    gc();
    const mem = process.memoryUsage();
    const live = engine.stats.activeBacklogs;
    say(`  ${live} live backlogs, heap ${Math.round(mem.heapUsed / 1e6)} MB, rss ${Math.round(mem.rss / 1e6)} MB`);
    return {
      mode: 'memory', events: engine.stats.handled, seconds, eps: engine.stats.handled / seconds, rss_peak_mb: mem.rss / 1e6,
      backlogs: live, alarms: engine.output.stats.alarms, heap_per_backlog_bytes: Math.round((mem.heapUsed - before) / Math.max(1, live)),
    };
  } finally {
    engine.stop();
    await rm(logs, { recursive: true, force: true });
  }
}

const { dir, generated } = await workloadDir();
try {
  const modes: Record<string, (dir: string) => Promise<Result>> = { replay: benchReplay, nats: benchNats, memory: benchMemory, soak: benchSoak };
  const run = modes[values.mode ?? 'replay'];
  if (run === undefined) throw new Error(`unknown mode ${values.mode} (replay, nats, memory, soak)`);
  const result = await run(dir);
  const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
  process.stdout.write(
    `${JSON.stringify({ ...result, seconds: round(result.seconds), eps: Math.round(result.eps), rss_peak_mb: round(result.rss_peak_mb, 1) })}\n`,
  );
} finally {
  if (generated) await rm(dir, { recursive: true, force: true });
}
