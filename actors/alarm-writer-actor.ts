/**
 * The alarm writer: the only actor that appends to `siem_alarms.json` and `siem_alarm_events.json`.
 *
 * Backlog actors hand their effects to an `AlarmOutput`, a shared in-memory queue (lines are appended in the
 * order the effects happen, which is the order of the files); the first line after an empty queue asks the
 * writer actor to flush. One flush writes everything queued with one append per file, so the writer costs a
 * few actor messages per batch, not one per line. Lines that cannot be written stay queued and are retried on a
 * timer (100 ms doubling to 5 s); their bytes are bounded (`maxUnwrittenBytes`): at the bound the output says so,
 * and intake pauses until a write succeeds.
 */

import path from 'node:path';
import { dispatch, spawn, type Ref } from 'nact';
import type { BacklogEffect } from '../src/backlog/transitions.js';
import { alarmEventLine, alarmEventLineMaxBytes, writeAlarmEventLine } from '../src/alarm/alarm.js';
import { bytesLeftIn, linesIn, LineQueue, type Chunk } from '../src/alarm/line-queue.js';
import { DEFAULT_HELD_LIMITS, type CutEnd, type RegeneratedLines } from '../src/alarm/regenerated-lines.js';
import { DEFAULT_MAX_UNWRITTEN_MB, retryDelayMs } from '../src/alarm/write-retry.js';
import { AlarmFile, openForAppend, type FilePosition, type OpenForAppend, type Prepared } from './alarm-file.js';
import type { AlarmWriterMsg } from './messages.js';
import type { Logger } from './logger.js';
import { resumeAndLog } from './supervision.js';

export { LineQueue, type Chunk } from '../src/alarm/line-queue.js';
export type { AppendFile, FilePosition, OpenForAppend } from './alarm-file.js';

export const ALARMS_FILE = 'siem_alarms.json';
export const ALARM_EVENTS_FILE = 'siem_alarm_events.json';
const MIB = 1024 * 1024;
/** A disk that stays unwritable is reported again at most this often (each attempt is not logged). */
const STILL_FAILING_LOG_MS = 60_000;
const CUT_END_WHY = {
  'held-limit': `no line made again completed it before the lines held behind it reached their limit, ${DEFAULT_HELD_LIMITS.lines} lines or ${DEFAULT_HELD_LIMITS.bytes / (1024 * 1024)} MiB`,
  bound: 'the lines held behind it reached --max-unwritten-mb (DSIEM_MAX_UNWRITTEN_MB)',
  stop: 'stopping before a line made again completed it',
} as const;

export interface AlarmStats {
  alarmLines: number;
  alarmEventLines: number;
  /** Distinct alarm ids written to siem_alarms.json. */
  alarms: number;
  writeErrors: number;
  /** Lines that could not be written (kept in memory and retried). */
  unwritten: number;
  /** Their bytes. */
  unwrittenBytes: number;
  /** Times the kept lines reached `maxUnwrittenBytes` (intake paused). */
  boundReached: number;
}

/** What is on disk of each file (see `FilePosition`). */
export interface OnDisk {
  readonly alarms: FilePosition;
  readonly events: FilePosition;
}

type Stream = 'events' | 'alarms';

/** Why a cut line waiting for its completion was ended (or, `file-changed`, dropped: the file no longer ends in it). */
export type CutEndReason = 'held-limit' | 'bound' | 'stop' | 'caught-up' | 'file-changed';

/** A waiting cut line ended, for the writer to log. */
export interface CutEndNotice {
  readonly stream: Stream;
  readonly reason: CutEndReason;
  readonly heldLines: number;
  readonly heldBytes: number;
}

export class AlarmOutput {
  readonly alarms = new LineQueue();
  readonly events = new LineQueue();
  /** Every alarm id queued so far, with its directive (distinct alarms, and alarms per directive). */
  readonly alarmDirectives = new Map<string, number>();
  readonly stats: AlarmStats = { alarmLines: 0, alarmEventLines: 0, alarms: 0, writeErrors: 0, unwritten: 0, unwrittenBytes: 0, boundReached: 0 };
  /** Bytes of lines not on disk at which the output is at its bound (`--max-unwritten-mb`). */
  maxUnwrittenBytes = DEFAULT_MAX_UNWRITTEN_MB * MIB;
  private writer: Ref<AlarmWriterMsg> | undefined;
  private files: (() => OnDisk) | undefined;
  private flushRequested = false;
  private bound = false;
  private readonly boundListeners = new Set<(atBound: boolean) => void>();
  private reopenWanted = false;
  /** After a crash: the lines each file already holds past the checkpoint, skipped when made again. */
  private regenerated: { events?: RegeneratedLines; alarms?: RegeneratedLines } = {};
  /** Cut lines ended since the writer last looked (it logs them). */
  private cutEnds: CutEndNotice[] = [];
  /** Lines taken by the writer and not on disk yet, and their bytes. */
  writing = 0;
  writingBytes = 0;

  /** Lines queued, being written, or held back behind a cut line. */
  get pending(): number {
    return this.alarms.count + this.events.count + this.writing + this.heldLines;
  }

  /** Bytes of the lines queued, being written, or held back. */
  get unwrittenBytes(): number {
    return this.alarms.bytes + this.events.bytes + this.writingBytes + this.heldBytes;
  }

  /** Lines held back behind a cut line until a line made again completes it (JetStream recovery). */
  get heldLines(): number {
    return (this.regenerated.events?.heldLines ?? 0) + (this.regenerated.alarms?.heldLines ?? 0);
  }

  get heldBytes(): number {
    return (this.regenerated.events?.heldBytes ?? 0) + (this.regenerated.alarms?.heldBytes ?? 0);
  }

  /** True from the moment the lines not on disk reach `maxUnwrittenBytes` until a write brings them below. */
  get atBound(): boolean {
    return this.bound;
  }

  /** Calls `listener` when the output reaches its bound (true) and when it is below it again (false). */
  onBound(listener: (atBound: boolean) => void): () => void {
    this.boundListeners.add(listener);
    return () => this.boundListeners.delete(listener);
  }

  /** Resolves at once below the bound, else once a write has brought the output below it. */
  belowBound(): Promise<void> {
    if (!this.bound) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onBound((at) => {
        if (at) return;
        off();
        resolve();
      });
    });
  }

  /** What is on disk of each file, exactly (whole lines, bytes, a cut line's bytes). */
  onDisk(): OnDisk | undefined {
    return this.files?.();
  }

  attach(writer: Ref<AlarmWriterMsg>, files: () => OnDisk): void {
    this.writer = writer;
    this.files = files;
  }

  /**
   * JetStream recovery: lines made again that the files already hold are skipped, and a cut last line is
   * completed (see regenerated-lines.ts) until `finishRegenerated`. Set before anything is written.
   */
  skipRegenerated(events: RegeneratedLines | undefined, alarms: RegeneratedLines | undefined): void {
    this.regenerated = { ...(events !== undefined ? { events } : {}), ...(alarms !== undefined ? { alarms } : {}) };
  }

  /** Correlation caught up: stops skipping; a cut line never completed is ended. Says what happened. */
  finishRegenerated(): { skipped: number; endedCutLines: number; neverMadeAgain: number } {
    const out = { skipped: 0, endedCutLines: 0, neverMadeAgain: 0 };
    for (const stream of ['events', 'alarms'] as const) {
      const guard = this.regenerated[stream];
      if (guard === undefined) continue;
      const done = guard.finish();
      out.skipped += guard.skipped;
      out.neverMadeAgain += done.neverMadeAgain;
      if (done.end !== undefined) {
        out.endedCutLines++;
        this.queueCutEnd(stream, done.end, 'caught-up');
      }
    }
    this.regenerated = {};
    this.requestFlush();
    return out;
  }

  /**
   * Ends every cut line still waiting (SIGTERM, before the last flush; the output at its bound), so the lines held
   * behind it are written; lines on disk are still skipped. Returns how many were ended.
   */
  endCutLines(reason: 'stop' | 'bound'): number {
    let ended = 0;
    for (const stream of ['events', 'alarms'] as const) {
      const end = this.regenerated[stream]?.endCut();
      if (end === undefined) continue;
      ended++;
      this.queueCutEnd(stream, end, reason);
    }
    if (ended > 0) this.requestFlush();
    return ended;
  }

  /** The writer reopened onto a file that does not end in the waiting cut line: held lines are written whole. */
  cutLineGone(stream: Stream): void {
    const end = this.regenerated[stream]?.endCut();
    if (end === undefined) return;
    this.queueCutEnd(stream, end, 'file-changed');
    this.requestFlush();
  }

  /** The cut lines ended since the last call (the writer logs them). */
  takeCutEnds(): CutEndNotice[] {
    const ends = this.cutEnds;
    this.cutEnds = [];
    return ends;
  }

  /** Bytes of the cut line that lines made again are to complete in `stream`'s file (0: none). */
  regeneratedCutBytes(stream: Stream): number {
    return this.regenerated[stream]?.cutLineBytes ?? 0;
  }

  /** Which files end in a cut line that lines made again are to complete. */
  get regeneratedCutLines(): { events: boolean; alarms: boolean } {
    return { events: this.regenerated.events?.cutLine !== undefined, alarms: this.regenerated.alarms?.cutLine !== undefined };
  }

  /** The lines still expected to be made again (0: nothing to skip any more). */
  get regeneratedPending(): number {
    return (this.regenerated.events?.pending ?? 0) + (this.regenerated.alarms?.pending ?? 0);
  }

  /** The newline that ends a cut line (not written to a file that does not end in it), then the lines held. */
  private queueCutEnd(stream: Stream, end: CutEnd, reason: CutEndReason): void {
    const queue = this[stream];
    if (reason !== 'file-changed') queue.addContinuation(end.raw, end.raw.length, true);
    for (const line of end.held) queue.add(line);
    this.cutEnds.push({ stream, reason, heldLines: end.held.length, heldBytes: end.heldBytes });
  }

  /** A line made again goes through its file's guard (the slow path: recovery only). */
  private addGuarded(stream: Stream, guard: RegeneratedLines, line: string): void {
    const queue = this[stream];
    const decision = guard.decide(line);
    if (decision.kind === 'write') queue.add(line);
    else if (decision.kind === 'complete') {
      queue.addContinuation(line, decision.cutBytes, false);
      for (const l of decision.held) queue.add(l);
    } else if (decision.kind === 'give-up') this.queueCutEnd(stream, decision.end, 'held-limit');
  }

  /** Queues the lines of a transition's effects, in order. */
  write(effects: readonly BacklogEffect[]): void {
    const guards = this.regenerated;
    for (const effect of effects) {
      if (guards.events !== undefined && effect.type === 'alarm-event') {
        this.addGuarded('events', guards.events, alarmEventLine(effect.record));
      } else if (guards.alarms !== undefined && effect.type === 'alarm') {
        this.addGuarded('alarms', guards.alarms, JSON.stringify(effect.alarm));
        this.alarmDirectives.set(effect.alarm.alarm_id, effect.directiveId);
      } else if (effect.type === 'alarm-event') {
        const q = this.events;
        const end = writeAlarmEventLine(effect.record, q.room(alarmEventLineMaxBytes(effect.record)), q.used);
        if (end >= 0) q.commit(end);
        else q.add(alarmEventLine(effect.record));
      } else if (effect.type === 'alarm') {
        this.alarms.add(JSON.stringify(effect.alarm));
        this.alarmDirectives.set(effect.alarm.alarm_id, effect.directiveId);
      }
    }
    if (!this.bound && this.unwrittenBytes >= this.maxUnwrittenBytes) {
      // Held lines are written only once their cut line ends: at the bound it must end, or intake would wait for ever.
      if (this.heldLines > 0) this.endCutLines('bound');
      this.setBound(true);
    }
    this.requestFlush();
  }

  private requestFlush(): void {
    if (!this.flushRequested && (this.alarms.count > 0 || this.events.count > 0) && this.writer !== undefined) {
      this.flushRequested = true;
      dispatch(this.writer, { type: 'flush' });
    }
  }

  /** Distinct alarms per directive id (of every alarm line queued so far). */
  alarmsByDirective(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const directiveId of this.alarmDirectives.values()) counts.set(directiveId, (counts.get(directiveId) ?? 0) + 1);
    return counts;
  }

  /** Closes both files and opens their paths again (SIGHUP/SIGUSR1 after a log rotation). */
  reopen(): void {
    this.reopenWanted = true;
    if (this.writer !== undefined) dispatch(this.writer, { type: 'flush' });
  }

  /** The writer takes a reopen request (once). */
  takeReopen(): boolean {
    const wanted = this.reopenWanted;
    this.reopenWanted = false;
    return wanted;
  }

  /** Takes everything queued (the writer calls this). */
  take(): Taken {
    const taken = { alarms: this.alarms.take(), events: this.events.take() };
    this.flushRequested = false;
    return taken;
  }

  /** Puts lines back in front of the queue after a failed write, so they are not lost. */
  restore(taken: Taken): void {
    this.alarms.restore(taken.alarms);
    this.events.restore(taken.events);
  }

  /** New lines do not ask for a flush until the writer's retry timer does (the writer calls this after a failure). */
  holdFlushes(): void {
    this.flushRequested = true;
  }

  /** The writer wrote everything it had taken: below the bound again if what came meanwhile is. */
  wrote(): void {
    // Lines held while at the bound would keep it there: their cut line ends, and they are written next.
    if (this.bound && this.heldLines > 0 && this.unwrittenBytes >= this.maxUnwrittenBytes) this.endCutLines('bound');
    if (this.bound && this.unwrittenBytes < this.maxUnwrittenBytes) this.setBound(false);
  }

  private setBound(at: boolean): void {
    this.bound = at;
    if (at) this.stats.boundReached++;
    for (const listener of [...this.boundListeners]) listener(at);
  }
}

interface Taken {
  alarms: Chunk[];
  events: Chunk[];
}

interface Retry {
  /** Failed attempts in a row. */
  failures: number;
  since: number;
  lastLogged: number;
  timer: NodeJS.Timeout | undefined;
}

export function spawnAlarmWriter(
  parent: Ref<unknown>,
  logsDir: string,
  output: AlarmOutput,
  log: Logger,
  openFile: OpenForAppend = openForAppend,
): Ref<AlarmWriterMsg> {
  const events = new AlarmFile(path.join(logsDir, ALARM_EVENTS_FILE), openFile);
  const alarms = new AlarmFile(path.join(logsDir, ALARMS_FILE), openFile);
  // A cut last line that lines made again will complete (JetStream recovery) is not ended at open.
  events.expectCutLine(output.regeneratedCutBytes('events'));
  alarms.expectCutLine(output.regeneratedCutBytes('alarms'));
  const fileOf = { events, alarms };
  const retry: Retry = { failures: 0, since: 0, lastLogged: 0, timer: undefined };

  const report = (file: AlarmFile, p: Prepared) => {
    if (p.endedCutLine !== undefined) {
      log.warn('alarm file ended in a cut line (a write stopped part-way, as on a full disk): ended it with a newline, so readers skip that line alone', {
        file: file.file,
        cutLineAt: p.endedCutLine.at ?? 'more than 1 MiB before the end',
        cutLineBytes: p.endedCutLine.bytes,
      });
    }
    if (p.reopened === 'signal') {
      log.info('alarm file reopened', { file: file.file });
    } else if (p.reopened !== undefined && p.reopened !== 'first' && p.reopened !== 'after-failure') {
      log.warn('alarm file changed on disk (rotated, moved, deleted, truncated or written by another process): writing to its path again', { file: file.file, change: p.reopened });
    }
  };

  const reportCutEnds = () => {
    for (const end of output.takeCutEnds()) {
      const fields = { file: fileOf[end.stream].file, heldLines: end.heldLines, heldBytes: end.heldBytes };
      if (end.reason === 'caught-up') continue; // said by the caller, with what was skipped
      if (end.reason === 'file-changed') {
        log.warn('alarm file reopened onto a file that does not end in the cut line a restart was completing: the lines held behind it are written whole', fields);
      } else {
        log.warn(`alarm file: ended the cut line a restart was completing (${CUT_END_WHY[end.reason]}), so readers skip that line alone; the lines held behind it are written`, fields);
      }
    }
  };

  /** A waiting cut line is kept only while the file written to still ends in it (not after a rotation). */
  const dropLostCutLines = (): boolean => {
    let dropped = false;
    for (const stream of ['events', 'alarms'] as const) {
      const at = fileOf[stream].position();
      if (output.regeneratedCutBytes(stream) === 0 || at.identity === '' || at.partial > 0) continue;
      output.cutLineGone(stream);
      dropped = true;
    }
    return dropped;
  };

  const failed = (err: Error) => {
    output.stats.writeErrors++;
    if (output.pending === 0) {
      log.error('cannot open alarm files (tried again when there is a line to write)', { logsDir, error: err.message });
      return;
    }
    retry.failures++;
    const now = Date.now();
    const fields = { logsDir, error: err.message, unwrittenLines: output.stats.unwritten, unwrittenBytes: output.stats.unwrittenBytes };
    if (retry.failures === 1) {
      retry.since = now;
      retry.lastLogged = now;
      log.error('cannot write alarm files, lines kept in memory and retried', { ...fields, retryInMs: retryDelayMs(1) });
    } else if (now - retry.lastLogged >= STILL_FAILING_LOG_MS) {
      retry.lastLogged = now;
      log.error('still cannot write alarm files, lines kept in memory and retried', { ...fields, attempts: retry.failures, failingForMs: now - retry.since });
    } else {
      log.debug('alarm files still not writable', { ...fields, attempts: retry.failures, retryInMs: retryDelayMs(retry.failures) });
    }
    // Retried on a timer, not on each new line: freed space is used within 5 s even if no alarm comes.
    output.holdFlushes();
    if (retry.timer === undefined) {
      retry.timer = setTimeout(() => {
        retry.timer = undefined;
        dispatch(writer, { type: 'flush' });
      }, retryDelayMs(retry.failures));
    }
  };

  const succeeded = (lines: number) => {
    clearTimeout(retry.timer);
    retry.timer = undefined;
    if (retry.failures > 0) {
      log.info('alarm files written again: kept lines are on disk', { logsDir, lines, failedAttempts: retry.failures, failingForMs: Date.now() - retry.since });
      retry.failures = 0;
    }
    output.wrote();
  };

  const flush = async (): Promise<Error | undefined> => {
    if (output.takeReopen()) {
      events.reopen('signal');
      alarms.reopen('signal');
    }
    const taken = output.take();
    if (taken.alarms.length === 0 && taken.events.length === 0 && !events.wantsOpen && !alarms.wantsOpen) return undefined;
    const lines = linesIn(taken.alarms) + linesIn(taken.events);
    output.writing = lines;
    output.writingBytes = bytesLeftIn(taken.alarms) + bytesLeftIn(taken.events);
    const wrote = (n: number, bytes: number) => {
      output.writing -= n;
      output.writingBytes -= bytes;
    };
    try {
      report(events, await events.prepare(taken.events));
      report(alarms, await alarms.prepare(taken.alarms));
      // A cut line restarted from its start in a new file has more bytes to write.
      output.writingBytes = bytesLeftIn(taken.alarms) + bytesLeftIn(taken.events);
      // Alarm-event lines first: an alarm line never refers to an event that is not on disk yet. Chunks on disk
      // leave `taken` as they are written, so a failure puts back only what is not written.
      await events.write(taken.events, (n, bytes) => {
        output.stats.alarmEventLines += n;
        wrote(n, bytes);
      });
      await alarms.write(taken.alarms, (n, bytes) => {
        output.stats.alarmLines += n;
        wrote(n, bytes);
      });
      output.stats.alarms = output.alarmDirectives.size;
      output.writing = 0;
      output.writingBytes = 0;
      countUnwritten(output);
      succeeded(lines);
      return undefined;
    } catch (err) {
      output.writing = 0;
      output.writingBytes = 0;
      output.restore(taken);
      // Reopened on the next attempt: a file replaced or moved meanwhile (rotation, a fixed mount) is written anew.
      events.reopen('after-failure');
      alarms.reopen('after-failure');
      await Promise.all([events.close(), alarms.close()]);
      countUnwritten(output);
      failed(err as Error);
      return err as Error;
    }
  };

  const writer = spawn(
    parent,
    async (state: number, msg: AlarmWriterMsg) => {
      let error = await flush();
      // Lines released from behind a lost cut line are written before a sync answers (a checkpoint follows it).
      if (error === undefined && dropLostCutLines()) error = await flush();
      reportCutEnds();
      if (msg.type === 'sync' && error === undefined) {
        // What a checkpoint records as on disk must survive a crash of the machine too.
        error = await Promise.all([events.sync(), alarms.sync()]).then(
          () => undefined,
          (err: Error) => err,
        );
      }
      if (msg.type === 'close') {
        clearTimeout(retry.timer);
        retry.timer = undefined;
        await Promise.all([events.close(), alarms.close()]);
      }
      if (msg.type !== 'flush') msg.reply(error);
      return state + 1;
    },
    'alarm-writer',
    { initialState: 0, onCrash: resumeAndLog(log, 'alarm writer', { logsDir }) },
  );
  output.attach(writer, () => ({ alarms: alarms.position(), events: events.position() }));
  // Open (and repair) the files at start, not at the first alarm: a cut line left by the last run is ended before
  // anything else can be appended to it.
  dispatch(writer, { type: 'flush' });
  return writer;
}

function countUnwritten(output: AlarmOutput): void {
  output.stats.unwritten = output.alarms.count + output.events.count + output.heldLines;
  output.stats.unwrittenBytes = output.alarms.bytes + output.events.bytes + output.heldBytes;
}
