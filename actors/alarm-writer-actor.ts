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
import { alarmEventLine } from '../src/alarm/alarm.js';
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

export class AlarmOutput {
  alarms: string[] = [];
  events: string[] = [];
  readonly alarmIds = new Set<string>();
  readonly stats: AlarmStats = { alarmLines: 0, alarmEventLines: 0, alarms: 0, writeErrors: 0, unwritten: 0 };
  private writer: Ref<AlarmWriterMsg> | undefined;
  private flushRequested = false;
  /** Lines taken by the writer and not on disk yet. */
  writing = 0;

  /** Lines queued or being written. */
  get pending(): number {
    return this.alarms.length + this.events.length + this.writing;
  }

  attach(writer: Ref<AlarmWriterMsg>): void {
    this.writer = writer;
  }

  /** Queues the lines of a transition's effects, in order. */
  write(effects: readonly BacklogEffect[]): void {
    for (const effect of effects) {
      if (effect.type === 'alarm-event') this.events.push(alarmEventLine(effect.record));
      else if (effect.type === 'alarm') {
        this.alarms.push(JSON.stringify(effect.alarm));
        this.alarmIds.add(effect.alarm.alarm_id);
      }
    }
    if (!this.flushRequested && (this.alarms.length > 0 || this.events.length > 0) && this.writer !== undefined) {
      this.flushRequested = true;
      dispatch(this.writer, { type: 'flush' });
    }
  }

  /** Takes everything queued (the writer calls this). */
  take(): { alarms: string[]; events: string[] } {
    const taken = { alarms: this.alarms, events: this.events };
    this.alarms = [];
    this.events = [];
    this.flushRequested = false;
    return taken;
  }

  /** Puts lines back in front of the queue after a failed write, so they are not lost. */
  restore(taken: { alarms: string[]; events: string[] }): void {
    this.alarms = taken.alarms.concat(this.alarms);
    this.events = taken.events.concat(this.events);
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
    output.writing = taken.alarms.length + taken.events.length;
    try {
      const f = await openFiles();
      // Alarm-event lines first: an alarm line never refers to an event that is not on disk yet.
      if (taken.events.length > 0) await f.events.appendFile(taken.events.join('\n') + '\n');
      if (taken.alarms.length > 0) await f.alarms.appendFile(taken.alarms.join('\n') + '\n');
      output.stats.alarmEventLines += taken.events.length;
      output.stats.alarmLines += taken.alarms.length;
      output.stats.alarms = output.alarmIds.size;
      output.stats.unwritten = output.alarms.length + output.events.length;
      output.writing = 0;
      return undefined;
    } catch (err) {
      output.writing = 0;
      output.restore(taken);
      output.stats.writeErrors++;
      output.stats.unwritten = output.alarms.length + output.events.length;
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
