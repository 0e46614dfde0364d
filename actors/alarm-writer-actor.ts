/**
 * The alarm writer: the only actor that appends to `siem_alarms.json` and `siem_alarm_events.json`.
 *
 * Backlog actors hand their effects to an `AlarmOutput`, a shared in-memory queue (lines are appended in the
 * order the effects happen, which is the order of the files); the first line after an empty queue asks the
 * writer actor to flush. One flush writes everything queued with one append per file, so the writer costs a
 * few actor messages per batch, not one per line.
 */

import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { dispatch, spawn, type Ref } from 'nact';
import type { BacklogEffect } from '../src/backlog/backlog.js';
import { alarmEventLine, alarmEventLineMaxBytes, writeAlarmEventLine } from '../src/alarm/alarm.js';
import type { AlarmWriterMsg } from './messages.js';
import type { Logger } from './logger.js';
import { resumeAndLog } from './supervision.js';

export const ALARMS_FILE = 'siem_alarms.json';
export const ALARM_EVENTS_FILE = 'siem_alarm_events.json';

export interface AlarmStats {
  alarmLines: number;
  alarmEventLines: number;
  /** Distinct alarm ids written to siem_alarms.json. */
  alarms: number;
  writeErrors: number;
  /** Lines that could not be written (kept in memory and retried on the next flush). */
  unwritten: number;
}

/**
 * Lines waiting for the writer, as UTF-8 bytes in chunks. A line is encoded as soon as it is made, so its string
 * dies young (no string per line lives until the next flush, which would cost the garbage collector copying
 * and promoting it), and a flush appends the chunks as they are (no join, no encoding then).
 */
export class LineQueue {
  private static readonly CHUNK = 256 * 1024;
  private full: Chunk[] = [];
  private current: Buffer | undefined;
  private usedBytes = 0;
  private linesInCurrent = 0;
  /** Lines queued. */
  count = 0;

  add(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the newline is one more.
    const worst = line.length * 3 + 1;
    if (this.current === undefined || this.usedBytes + worst > this.current.length) this.startChunk(worst);
    const buf = this.current as Buffer;
    this.usedBytes += buf.write(line, this.usedBytes, 'utf8');
    buf[this.usedBytes++] = 10;
    this.linesInCurrent++;
    this.count++;
  }

  /**
   * For a writer that encodes a line itself: a buffer with `maxBytes` free from `used` on (see `commit`).
   * The newline is added by `commit`.
   */
  room(maxBytes: number): Buffer {
    if (this.current === undefined || this.usedBytes + maxBytes + 1 > this.current.length) this.startChunk(maxBytes + 1);
    return this.current as Buffer;
  }

  get used(): number {
    return this.usedBytes;
  }

  /** Ends a line written into `room()`'s buffer, which now holds bytes up to `end`. */
  commit(end: number): void {
    const buf = this.current as Buffer;
    buf[end] = 10;
    this.usedBytes = end + 1;
    this.linesInCurrent++;
    this.count++;
  }

  /** Everything queued, oldest first (emptied: later lines start a new chunk). */
  take(): Chunk[] {
    this.seal();
    const taken = this.full;
    this.full = [];
    this.count = 0;
    return taken;
  }

  /** Puts chunks that were taken and not written back in front, so they are written first next time. */
  restore(chunks: readonly Chunk[]): void {
    this.seal();
    this.full = chunks.concat(this.full);
    for (const c of chunks) this.count += c.lines;
  }

  private seal(): void {
    if (this.current !== undefined && this.usedBytes > 0) this.full.push({ bytes: this.current.subarray(0, this.usedBytes), lines: this.linesInCurrent });
    this.current = undefined;
    this.usedBytes = 0;
    this.linesInCurrent = 0;
  }

  private startChunk(atLeast: number): void {
    this.seal();
    this.current = Buffer.allocUnsafe(Math.max(LineQueue.CHUNK, atLeast));
  }
}

/** Whole lines, encoded. */
export interface Chunk {
  readonly bytes: Buffer;
  readonly lines: number;
}

const linesIn = (chunks: readonly Chunk[]) => chunks.reduce((n, c) => n + c.lines, 0);

export class AlarmOutput {
  readonly alarms = new LineQueue();
  readonly events = new LineQueue();
  readonly alarmIds = new Set<string>();
  readonly stats: AlarmStats = { alarmLines: 0, alarmEventLines: 0, alarms: 0, writeErrors: 0, unwritten: 0 };
  private writer: Ref<AlarmWriterMsg> | undefined;
  private flushRequested = false;
  /** Lines taken by the writer and not on disk yet. */
  writing = 0;

  /** Lines queued or being written. */
  get pending(): number {
    return this.alarms.count + this.events.count + this.writing;
  }

  attach(writer: Ref<AlarmWriterMsg>): void {
    this.writer = writer;
  }

  /** Queues the lines of a transition's effects, in order. */
  write(effects: readonly BacklogEffect[]): void {
    for (const effect of effects) {
      if (effect.type === 'alarm-event') {
        const q = this.events;
        const end = writeAlarmEventLine(effect.record, q.room(alarmEventLineMaxBytes(effect.record)), q.used);
        if (end >= 0) q.commit(end);
        else q.add(alarmEventLine(effect.record));
      } else if (effect.type === 'alarm') {
        this.alarms.add(JSON.stringify(effect.alarm));
        this.alarmIds.add(effect.alarm.alarm_id);
      }
    }
    if (!this.flushRequested && (this.alarms.count > 0 || this.events.count > 0) && this.writer !== undefined) {
      this.flushRequested = true;
      dispatch(this.writer, { type: 'flush' });
    }
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
}

interface Taken {
  alarms: Chunk[];
  events: Chunk[];
}

/** Appends the chunks in order, removing each from the list and reporting its lines once it is written. */
async function writeChunks(file: FileHandle, chunks: Chunk[], written: (lines: number) => void): Promise<void> {
  while (chunks.length > 0) {
    const chunk = chunks[0] as Chunk;
    await file.appendFile(chunk.bytes);
    chunks.shift();
    written(chunk.lines);
  }
}

interface Files {
  alarms: FileHandle;
  events: FileHandle;
}

export function spawnAlarmWriter(parent: Ref<unknown>, logsDir: string, output: AlarmOutput, log: Logger): Ref<AlarmWriterMsg> {
  let files: Files | undefined;
  const openFiles = async (): Promise<Files> => {
    if (files !== undefined) return files;
    await mkdir(logsDir, { recursive: true });
    const alarms = await open(path.join(logsDir, ALARMS_FILE), 'a');
    const events = await open(path.join(logsDir, ALARM_EVENTS_FILE), 'a');
    files = { alarms, events };
    return files;
  };
  const flush = async (): Promise<Error | undefined> => {
    const taken = output.take();
    if (taken.alarms.length === 0 && taken.events.length === 0) return undefined;
    output.writing = linesIn(taken.alarms) + linesIn(taken.events);
    try {
      const f = await openFiles();
      // Alarm-event lines first: an alarm line never refers to an event that is not on disk yet. Chunks on disk
      // leave `taken` as they are written, so a failure puts back only what is not written.
      await writeChunks(f.events, taken.events, (n) => {
        output.stats.alarmEventLines += n;
        output.writing -= n;
      });
      await writeChunks(f.alarms, taken.alarms, (n) => {
        output.stats.alarmLines += n;
        output.writing -= n;
      });
      output.stats.alarms = output.alarmIds.size;
      output.stats.unwritten = output.alarms.count + output.events.count;
      output.writing = 0;
      return undefined;
    } catch (err) {
      output.writing = 0;
      output.restore(taken);
      // Reopened on the next attempt: a file replaced or moved meanwhile (rotation, a fixed mount) is written anew.
      const failed = files;
      files = undefined;
      if (failed !== undefined) await Promise.allSettled([failed.alarms.close(), failed.events.close()]);
      output.stats.writeErrors++;
      output.stats.unwritten = output.alarms.count + output.events.count;
      log.error('cannot write alarm files, lines kept in memory for the next attempt', {
        logsDir,
        error: (err as Error).message,
        unwrittenLines: output.stats.unwritten,
      });
      return err as Error;
    }
  };
  const writer = spawn(
    parent,
    async (state: number, msg: AlarmWriterMsg) => {
      const error = await flush();
      if (msg.type === 'close' && files !== undefined) {
        const closing = files;
        files = undefined;
        await Promise.allSettled([closing.alarms.close(), closing.events.close()]);
      }
      if (msg.type !== 'flush') msg.reply(error);
      return state + 1;
    },
    'alarm-writer',
    { initialState: 0, onCrash: resumeAndLog(log, 'alarm writer', { logsDir }) },
  );
  output.attach(writer);
  return writer;
}
