/**
 * The alarm writer: the only actor that appends to `siem_alarms.json` and `siem_alarm_events.json`.
 *
 * Backlog actors hand their effects to an `AlarmOutput`, a shared in-memory queue (lines are appended in the
 * order the effects happen, which is the order of the files); the first line after an empty queue asks the
 * writer actor to flush. One flush writes everything queued with one append per file, so the writer costs a
 * few actor messages per batch, not one per line.
 */

import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { dispatch, spawn, type Ref } from 'nact';
import type { BacklogEffect } from '../src/backlog/transitions.js';
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
    if (this.current !== undefined && this.usedBytes > 0) this.full.push({ bytes: this.current.subarray(0, this.usedBytes), lines: this.linesInCurrent, written: 0 });
    this.current = undefined;
    this.usedBytes = 0;
    this.linesInCurrent = 0;
  }

  private startChunk(atLeast: number): void {
    this.seal();
    this.current = Buffer.allocUnsafe(Math.max(LineQueue.CHUNK, atLeast));
  }
}

/** Whole lines, encoded; the first `written` bytes are on disk already (a write that stopped part-way). */
export interface Chunk {
  readonly bytes: Buffer;
  readonly lines: number;
  written: number;
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

/** What the writer needs of an open file (a `FileHandle` opened for appending; tests may give another). */
export interface AppendFile {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  stat(): Promise<{ dev: number; ino: number }>;
  close(): Promise<void>;
}

export type OpenForAppend = (file: string) => Promise<AppendFile>;

const openForAppend: OpenForAppend = (file) => open(file, 'a');

/**
 * Appends the chunks in order, removing each from the list and reporting its lines once it is all on disk. A write
 * that stops part-way (a disk filling up) leaves the chunk first in the list with the bytes written counted, so
 * the next attempt goes on from there: no line twice, and no line cut when it goes to the same file.
 */
async function writeChunks(file: AppendFile, chunks: Chunk[], written: (lines: number) => void): Promise<void> {
  while (chunks.length > 0) {
    const chunk = chunks[0] as Chunk;
    while (chunk.written < chunk.bytes.length) {
      const { bytesWritten } = await file.write(chunk.bytes, chunk.written, chunk.bytes.length - chunk.written);
      if (bytesWritten <= 0) throw new Error('the file took no bytes');
      chunk.written += bytesWritten;
    }
    chunks.shift();
    written(chunk.lines);
  }
}

/**
 * The file a chunk was being written to was replaced (rotated, recreated) before the rest could follow: the new
 * file gets the chunk from the start of the line that was cut, so it holds only whole lines.
 */
function restartCutLine(chunks: readonly Chunk[]): void {
  const first = chunks[0];
  if (first !== undefined && first.written > 0) first.written = first.bytes.lastIndexOf(10, first.written - 1) + 1;
}

interface Opened {
  readonly handle: AppendFile;
  /** Device and inode: the same path may be another file after a failure. */
  readonly identity: string;
}

interface Files {
  alarms: Opened;
  events: Opened;
}

async function closeFiles(f: Files): Promise<void> {
  await Promise.allSettled([f.alarms.handle.close(), f.events.handle.close()]);
}

export function spawnAlarmWriter(
  parent: Ref<unknown>,
  logsDir: string,
  output: AlarmOutput,
  log: Logger,
  openFile: OpenForAppend = openForAppend,
): Ref<AlarmWriterMsg> {
  let files: Files | undefined;
  /** The files of the last open, kept across a failure to tell whether a reopened path is still the same file. */
  let last: Files | undefined;
  const openOne = async (name: string): Promise<Opened> => {
    const handle = await openFile(path.join(logsDir, name));
    try {
      const st = await handle.stat();
      return { handle, identity: `${st.dev}:${st.ino}` };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  };
  const openFiles = async (taken: Taken): Promise<Files> => {
    if (files !== undefined) return files;
    await mkdir(logsDir, { recursive: true });
    const alarms = await openOne(ALARMS_FILE);
    const events = await openOne(ALARM_EVENTS_FILE).catch(async (err: unknown) => {
      await alarms.handle.close().catch(() => undefined);
      throw err;
    });
    if (last !== undefined && last.events.identity !== events.identity) restartCutLine(taken.events);
    if (last !== undefined && last.alarms.identity !== alarms.identity) restartCutLine(taken.alarms);
    files = { alarms, events };
    last = files;
    return files;
  };
  const flush = async (): Promise<Error | undefined> => {
    const taken = output.take();
    if (taken.alarms.length === 0 && taken.events.length === 0) return undefined;
    output.writing = linesIn(taken.alarms) + linesIn(taken.events);
    try {
      const f = await openFiles(taken);
      // Alarm-event lines first: an alarm line never refers to an event that is not on disk yet. Chunks on disk
      // leave `taken` as they are written, so a failure puts back only what is not written.
      await writeChunks(f.events.handle, taken.events, (n) => {
        output.stats.alarmEventLines += n;
        output.writing -= n;
      });
      await writeChunks(f.alarms.handle, taken.alarms, (n) => {
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
      if (failed !== undefined) await closeFiles(failed);
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
        await closeFiles(closing);
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
