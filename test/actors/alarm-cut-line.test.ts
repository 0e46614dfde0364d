// The alarm writer after a JetStream restart whose alarm file ends in a line the crash cut short: lines held behind
// it count as not written (the stats; no checkpoint passes them), and they reach the file whole however the
// cut line ends: completed, ended at a stop, at the bound of held lines, at --max-unwritten-mb, or lost to a
// reopen or a rotation. Real files in temp dirs.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dispatch, start, stop } from 'nact';
import { openForAppend } from '../../actors/alarm-file.js';
import { ALARM_EVENTS_FILE, ALARMS_FILE, AlarmOutput, spawnAlarmWriter } from '../../actors/alarm-writer-actor.js';
import { RegeneratedLines, type HeldLimits } from '../../src/alarm/regenerated-lines.js';
import type { AlarmDocument } from '../../src/alarm/alarm.js';
import type { BacklogEffect } from '../../src/backlog/transitions.js';
import { captureLogger, type Captured } from '../helpers/capture-logger.js';
import { waitFor } from '../helpers/wait.js';

const alarm = (i: number): BacklogEffect => ({ type: 'alarm', alarm: { alarm_id: `a${i}`, title: `t${i}` } as unknown as AlarmDocument, directiveId: 1 });
const line = (i: number) => JSON.stringify({ alarm_id: `a${i}`, title: `t${i}` });
/** Alarm a1 as the crash left it: its line cut short. */
const CUT = '{"alarm_id":"a1","ti';
const BEFORE = line(0);

/** Runs `body` with a writer on a dir whose alarm file holds `a0` and the cut line, all of it past the checkpoint. */
async function recovering(body: (w: Recovering) => Promise<void>, limits?: HeldLimits, tail: Buffer = Buffer.from(`${BEFORE}\n${CUT}`)): Promise<void> {
  let opened: ((file: string) => void) | undefined;
  const dir = await mkdtemp(path.join(tmpdir(), 'dsiem-cutline-'));
  const file = path.join(dir, ALARMS_FILE);
  await writeFile(file, tail);
  const system = start();
  const output = new AlarmOutput();
  output.skipRegenerated(undefined, new RegeneratedLines(tail, limits));
  const { log, lines } = captureLogger();
  const writer = spawnAlarmWriter(system, dir, output, log, async (name) => {
    const handle = await openForAppend(name);
    opened?.(name);
    return handle;
  });
  const ask = (type: 'sync' | 'close') => new Promise<Error | undefined>((resolve) => dispatch(writer, { type, reply: resolve }));
  try {
    await body({
      file,
      output,
      logged: lines,
      sync: async () => assert.equal(await ask('sync'), undefined),
      text: (name = file) => readFile(name, 'utf8'),
      onOpen: (f) => (opened = f),
    });
  } finally {
    await ask('close');
    stop(system);
    await rm(dir, { recursive: true, force: true });
  }
}

interface Recovering {
  readonly file: string;
  readonly output: AlarmOutput;
  readonly logged: readonly Captured[];
  sync(): Promise<void>;
  text(file?: string): Promise<string>;
  /** Called as each file is opened, before the writer looks at it (to make a line at that moment). */
  onOpen(f: (file: string) => void): void;
}

const said = (lines: readonly Captured[], text: string) => lines.find((l) => l.message.includes(text));

/** An alarm whose title has a two-byte character, and its line cut by the crash between that character's bytes. */
const UMLAUT = { alarm: { type: 'alarm', alarm: { alarm_id: 'a9', title: 'für' } as unknown as AlarmDocument, directiveId: 1 } as BacklogEffect, line: JSON.stringify({ alarm_id: 'a9', title: 'für' }) };
const umlautCut = () => {
  const whole = Buffer.from(UMLAUT.line);
  return whole.subarray(0, whole.indexOf(Buffer.from('ü')) + 1);
};

describe('alarm writer: lines held behind a cut line after a restart', () => {
  it('completes a line the crash cut inside a character, byte for byte', () =>
    recovering(
      async (w) => {
        w.output.write([alarm(2), UMLAUT.alarm]);
        await w.sync();
        assert.deepEqual(await readFile(w.file), Buffer.from(`${BEFORE}\n${UMLAUT.line}\n${line(2)}\n`));
      },
      undefined,
      Buffer.concat([Buffer.from(`${BEFORE}\n`), umlautCut()]),
    ));

  it('ends a line the crash cut inside a character with a newline alone, at a stop', () =>
    recovering(
      async (w) => {
        w.output.write([alarm(2)]);
        w.output.endCutLines('stop');
        await w.sync();
        assert.deepEqual(await readFile(w.file), Buffer.concat([Buffer.from(`${BEFORE}\n`), umlautCut(), Buffer.from(`\n${line(2)}\n`)]));
      },
      undefined,
      Buffer.concat([Buffer.from(`${BEFORE}\n`), umlautCut()]),
    ));

  it('counts them as not written and held (not on disk: checkpoints wait, see checkpoint-recovery.test.ts)', () =>
    recovering(async (w) => {
      w.output.write([alarm(0), alarm(2), alarm(3)]);
      await w.sync();
      assert.equal(await w.text(), `${BEFORE}\n${CUT}`, 'nothing appended to the cut line');
      assert.equal(w.output.pending, 2, 'lines_not_written');
      assert.equal(w.output.unwrittenBytes, line(2).length + line(3).length + 2);
      assert.equal(w.output.stats.unwritten, 2);
      assert.equal(w.output.stats.unwrittenBytes, line(2).length + line(3).length + 2);
      assert.equal(w.output.heldLines, 2);
      assert.equal(w.output.onDisk()?.alarms.partial, CUT.length, 'the cut part is on disk');
      // The line that completes it: the rest, then what was held.
      w.output.write([alarm(1)]);
      await w.sync();
      assert.equal(await w.text(), [BEFORE, line(1), line(2), line(3), ''].join('\n'));
      assert.equal(w.output.pending, 0);
      assert.equal(w.output.heldLines, 0);
      assert.equal(w.output.stats.unwritten, 0);
    }));

  it('ends the cut line at a stop and writes the held lines; the line that would have completed it comes whole', () =>
    recovering(async (w) => {
      w.output.write([alarm(2), alarm(3)]);
      assert.equal(w.output.endCutLines('stop'), 1);
      await w.sync();
      assert.equal(await w.text(), [BEFORE, CUT, line(2), line(3), ''].join('\n'));
      const warned = said(w.logged, 'stopping before a line made again completed it');
      assert.ok(warned, 'the stop says it ended the cut line');
      assert.deepEqual([warned.fields['file'], warned.fields['heldLines']], [w.file, 2]);
      w.output.write([alarm(0), alarm(1)]);
      await w.sync();
      assert.equal(await w.text(), [BEFORE, CUT, line(2), line(3), line(1), ''].join('\n'), 'a0 still skipped, a1 whole');
      assert.equal(w.output.pending, 0);
    }));

  it('gives up on a cut line that nothing completes once the held lines reach their bound, saying how many', () =>
    recovering(async (w) => {
      w.output.write([alarm(2), alarm(3)]);
      await w.sync();
      assert.equal(w.output.pending, 2);
      w.output.write([alarm(4), alarm(5)]);
      await w.sync();
      assert.equal(await w.text(), [BEFORE, CUT, line(2), line(3), line(4), line(5), ''].join('\n'));
      assert.equal(w.output.pending, 0);
      assert.equal(w.output.heldLines, 0);
      const warned = said(w.logged, 'reached their limit');
      assert.ok(warned, 'the give-up is logged');
      assert.deepEqual([warned.fields['file'], warned.fields['heldLines'], warned.fields['heldBytes']], [w.file, 3, line(2).length + line(3).length + line(4).length + 3]);
    }, { lines: 3, bytes: 1 << 20 }));

  it('ends the cut line when the held lines reach --max-unwritten-mb, so intake does not wait for ever', () =>
    recovering(async (w) => {
      w.output.maxUnwrittenBytes = line(2).length * 2 + 2;
      w.output.write([alarm(2)]);
      assert.equal(w.output.atBound, false);
      w.output.write([alarm(3)]);
      await w.output.belowBound();
      await w.sync();
      assert.equal(await w.text(), [BEFORE, CUT, line(2), line(3), ''].join('\n'));
      assert.equal(w.output.atBound, false);
      assert.ok(said(w.logged, '--max-unwritten-mb'));
    }));
});

describe('alarm writer: a cut line waiting while the output is at its bound', () => {
  it('ends it once the disk takes lines again, when the lines held since would keep the output at its bound', () =>
    recovering(async (w) => {
      const events = path.join(path.dirname(w.file), ALARM_EVENTS_FILE);
      await symlink('/dev/full', events);
      w.output.maxUnwrittenBytes = 400;
      w.output.write(Array.from({ length: 10 }, (_, i): BacklogEffect => ({ type: 'alarm-event', record: { alarm_id: `a${i}`, stage: 1, event_id: `e${i}` } })));
      assert.equal(w.output.atBound, true, 'at the bound with no line held');
      await waitFor(() => w.logged.some((l) => l.message.includes('cannot write alarm files')) || undefined, { what: 'the failed write' });
      w.output.write(Array.from({ length: 20 }, (_, i) => alarm(i + 2)));
      assert.ok(w.output.heldBytes >= 400, 'the held lines alone are over the bound');
      await unlink(events);
      await waitFor(() => !w.output.atBound || undefined, { what: 'the output below its bound, the held lines written' });
      await w.sync();
      assert.equal(await w.text(), [BEFORE, CUT, ...Array.from({ length: 20 }, (_, i) => line(i + 2)), ''].join('\n'));
      assert.equal(w.output.pending, 0);
    }));
});

describe('alarm writer: a cut line waiting for its completion across a reopen', () => {
  it('keeps it on a reopen onto the same file (SIGHUP without rotation): completed whole, no junk line', () =>
    recovering(async (w) => {
      w.output.write([alarm(2)]);
      w.output.reopen();
      await w.sync();
      assert.equal(await w.text(), `${BEFORE}\n${CUT}`);
      w.output.write([alarm(1)]);
      await w.sync();
      assert.equal(await w.text(), [BEFORE, line(1), line(2), ''].join('\n'));
    }));

  it('after a rotation and a reopen, writes the held lines whole to the new file, and later the completing line whole', () =>
    recovering(async (w) => {
      w.output.write([alarm(2)]);
      await w.sync();
      await rename(w.file, `${w.file}.1`);
      w.output.reopen();
      await waitFor(() => w.output.pending === 0, { what: 'the held line written after the reopen' });
      await w.sync();
      assert.equal(await w.text(), `${line(2)}\n`);
      assert.ok(said(w.logged, 'does not end in the cut line'));
      w.output.write([alarm(1), alarm(3)]);
      await w.sync();
      assert.equal(await w.text(), [line(2), line(1), line(3), ''].join('\n'), 'no rest of a cut line alone');
      assert.equal(await w.text(`${w.file}.1`), `${BEFORE}\n${CUT}`, 'the rotated file as it was');
    }));

  it('a completing line made before a rotation is noticed goes whole to the new file', () =>
    recovering(async (w) => {
      w.output.write([alarm(2)]);
      await w.sync();
      await rename(w.file, `${w.file}.1`);
      w.output.write([alarm(1)]);
      await w.sync();
      assert.equal(await w.text(), [line(1), line(2), ''].join('\n'));
    }));

  it('a completing line made while the writer reopens onto a rotated file goes whole to the new file', () =>
    recovering(async (w) => {
      w.output.write([alarm(2)]);
      await w.sync();
      await rename(w.file, `${w.file}.1`);
      let made = false;
      w.onOpen((name) => {
        if (name !== w.file || made) return;
        made = true;
        w.output.write([alarm(1)]);
      });
      w.output.reopen();
      await w.sync();
      assert.ok(made);
      await w.sync();
      assert.equal(await w.text(), [line(1), line(2), ''].join('\n'));
    }));

  it('a stop after a rotation writes the held lines to the new file and no empty line', () =>
    recovering(async (w) => {
      w.output.write([alarm(2)]);
      await w.sync();
      await rename(w.file, `${w.file}.1`);
      w.output.endCutLines('stop');
      await w.sync();
      assert.equal(await w.text(), `${line(2)}\n`);
      assert.equal(await w.text(`${w.file}.1`), `${BEFORE}\n${CUT}`);
    }));
});
