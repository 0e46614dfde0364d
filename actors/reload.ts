/**
 * Hot reload for `serve`: SIGHUP, a request on `dsiem_backend_reload` and (with `--watch`) a change in
 * `--config-dir` re-read the configuration from where it came at start-up and check all of it with the same
 * loader. An invalid one changes nothing (every error is logged and replied, the failure counted); a valid one is
 * swapped into the engine between two batches. Reloads run one at a time, in the order they were asked for.
 */

import { watch, type FSWatcher } from 'node:fs';
import type { NatsConnection, Subscription } from 'nats';
import { summarizeDiff, type ChangeSummary, type ConfigDiff } from '../src/config-files/config-diff.js';
import type { Clock } from '../src/shared/time.js';
import type { ServeConfig } from '../config/schema.js';
import { readConfig } from './config-source.js';
import type { Engine } from './engine.js';
import type { Logger } from './logger.js';
import { logConfigWarnings } from './validate-command.js';

/** Request/reply subject: any request reloads; the reply is the JSON `ReloadReport`. */
export const RELOAD_SUBJECT = 'dsiem_backend_reload';
/** Quiet time after the last change in `--config-dir` before a `--watch` reload (an editor writes in steps). */
export const WATCH_DEBOUNCE_MS = 500;
/**
 * Names whose change means a reload: the config files, and Kubernetes' `..data` / `..2024_...` entries (a ConfigMap
 * volume swaps a symbolic link to a new folder of files at once). Editors' swap and backup files do not.
 */
const RELOADS_ON = /^(?:(?:assets|directives|intel|vuln)_.*\.json|\.\..*)$/;

export type ReloadTrigger = 'SIGHUP' | 'nats' | 'watch';

/** The JSON reply of a reload request (and what the log says). */
export interface ReloadReport {
  readonly ok: boolean;
  readonly trigger: ReloadTrigger;
  /** Every error of the new configuration, `file:line:column: error: ...` (nothing was changed). */
  readonly errors?: readonly string[];
  readonly changes?: ChangeSummary & {
    readonly directive_ids: { readonly added: number[]; readonly changed: number[]; readonly renamed: number[]; readonly removed: number[] };
    /** Live backlogs of renamed and removed directives, dropped. */
    readonly dropped_backlogs: number;
  };
  /** Directives running after the reload. */
  readonly directives: number;
  readonly seconds: number;
}

export interface ReloadStats {
  readonly ok: number;
  readonly failed: number;
  /** Unix time (s) of the last successful reload, or of the start-up load. */
  readonly lastOkSec: number;
}

export interface Reloader {
  readonly stats: ReloadStats;
  reload(trigger: ReloadTrigger): Promise<ReloadReport>;
  /** Refuses new reloads and waits for the one running. */
  close(): Promise<void>;
}

type Source = Pick<ServeConfig, 'configDir' | 'frontend' | 'node' | 'frontendRetries'>;

function describeChanges(diff: ConfigDiff, dropped: number): NonNullable<ReloadReport['changes']> {
  const d = diff.directives;
  const ids = (list: ReadonlyArray<{ readonly id: number }>) => list.map((x) => x.id);
  return {
    ...summarizeDiff(diff),
    directive_ids: { added: ids(d.added), changed: ids(d.changed), renamed: ids(d.renamed.map((r) => r.after)), removed: ids(d.removed) },
    dropped_backlogs: dropped,
  };
}

export function createReloader(o: {
  readonly source: Source;
  readonly engine: Engine;
  readonly log: Logger;
  readonly clock: Clock;
  /**
   * Runs the swap (JetStream mode: with intake paused and a checkpoint first, so that every event before the swap is
   * in a checkpoint made under the old configuration, and a crash after it correlates again only events after it).
   */
  readonly aroundSwap?: <T>(swap: () => Promise<T>) => Promise<T>;
}): Reloader {
  const stats = { ok: 0, failed: 0, lastOkSec: Math.floor(o.clock.now() / 1000) };
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  const run = async (trigger: ReloadTrigger): Promise<ReloadReport> => {
    const started = o.clock.now();
    const seconds = () => Math.round(o.clock.now() - started) / 1000;
    if (closed) return { ok: false, trigger, errors: ['the backend is shutting down: not reloaded'], directives: o.engine.directives.length, seconds: 0 };
    o.log.info('reloading the configuration', { trigger });
    const read = await readConfig(o.source, o.log);
    if (!read.ok) {
      stats.failed++;
      o.log.error('config reload refused: the running configuration is kept', { trigger, errors: read.error.errors.length });
      for (const error of read.error.errors) o.log.error('config reload error', { trigger, problem: error });
      return { ok: false, trigger, errors: read.error.errors, directives: o.engine.directives.length, seconds: seconds() };
    }
    logConfigWarnings(read.value, o.log);
    const swap = () => o.engine.reload(read.value);
    const swapped = await (o.aroundSwap !== undefined ? o.aroundSwap(swap) : swap());
    stats.ok++;
    stats.lastOkSec = Math.floor(o.clock.now() / 1000);
    const changes = describeChanges(swapped.diff, swapped.droppedBacklogs);
    o.log.info('config reloaded', { trigger, directives: changes.directives, directiveIds: changes.directive_ids, assets: changes.assets, intelVulnSourcesChanged: changes.intel_vuln_sources_changed, droppedBacklogs: changes.dropped_backlogs });
    return { ok: true, trigger, changes, directives: o.engine.directives.length, seconds: seconds() };
  };

  return {
    stats,
    reload: (trigger) => {
      const next = tail.then(() => run(trigger));
      tail = next.catch(() => undefined);
      return next;
    },
    close: async () => {
      closed = true;
      await tail;
    },
  };
}

/**
 * SIGHUP, the `dsiem_backend_reload` subject and, when `watchDir` is given, changes of its config files, all
 * calling `reloader`. Returns the uninstaller.
 */
export function installReloadTriggers(o: { readonly reloader: Reloader; readonly nc: NatsConnection; readonly log: Logger; readonly watchDir?: string }): () => void {
  const fail = (trigger: ReloadTrigger) => (err: unknown) => o.log.error('config reload failed', { trigger, error: (err as Error).message });
  const onHup = () => void o.reloader.reload('SIGHUP').catch(fail('SIGHUP'));
  process.on('SIGHUP', onHup);
  const encoder = new TextEncoder();
  const sub: Subscription = o.nc.subscribe(RELOAD_SUBJECT, {
    callback: (err, m) => {
      if (err !== null) return;
      void o.reloader.reload('nats').then(
        (report) => m.respond(encoder.encode(JSON.stringify(report))),
        (e: unknown) => {
          fail('nats')(e);
          m.respond(encoder.encode(JSON.stringify({ ok: false, trigger: 'nats', errors: [(e as Error).message] })));
        },
      );
    },
  });
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (o.watchDir !== undefined) {
    const dir = o.watchDir;
    watcher = watch(dir, (_event, name) => {
      if (name !== null && !RELOADS_ON.test(name)) return;
      clearTimeout(timer);
      timer = setTimeout(() => void o.reloader.reload('watch').catch(fail('watch')), WATCH_DEBOUNCE_MS);
    });
    watcher.on('error', (err) => o.log.error('cannot watch the config folder any more: reload with SIGHUP', { dir, error: err.message }));
    o.log.info('watching the config folder for changes', { dir, debounceMs: WATCH_DEBOUNCE_MS });
  }
  return () => {
    process.off('SIGHUP', onHup);
    sub.unsubscribe();
    watcher?.close();
    clearTimeout(timer);
  };
}
