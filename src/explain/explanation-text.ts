/**
 * The readable form of explanation records (explanation.ts): a header per line of the events file, then the
 * expiries its clock caused, the quick check, and per directive one line per backlog met and the outcome.
 */

import type { BacklogAnswer } from './backlog-answer.js';
import type { ExplainSummary } from './explain-session.js';
import type { DirectiveRecord, EventKeys, EventRecord, ExpiredRecord, NewBacklog } from './explanation.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function keysText(k: EventKeys): string {
  const parts: string[] = [];
  if (k.plugin_id !== undefined) parts.push(`plugin ${k.plugin_id}/${k.plugin_sid ?? 0}`);
  if (k.category !== undefined) parts.push(`taxonomy ${JSON.stringify(k.product ?? '')}/${JSON.stringify(k.category)}/${JSON.stringify(k.subcategory ?? '')}`);
  parts.push(`${k.src_ip}:${k.src_port} -> ${k.dst_ip}:${k.dst_port}`);
  return parts.join(', ');
}

function alarmText(a: { risk: number; risk_class: string } | undefined, verb = 'alarm written'): string {
  return a === undefined ? '' : `; ${verb}: risk ${a.risk} (${a.risk_class})`;
}

export function expiredText(x: ExpiredRecord): string {
  return `backlog ${x.backlog_id} (directive ${x.directive_id}) expired in stage ${x.stage} (started ${x.started}, timeout ${x.timeout} s${x.min_alarm_lifetime === undefined ? '' : ` + ${x.min_alarm_lifetime} s minimum alarm lifetime`})${alarmText(x.alarm, 'alarm re-written')}`;
}

function answerText(a: BacklogAnswer): string {
  const head = `backlog ${a.backlog_id} stage ${a.stage}`;
  switch (a.result) {
    case 'counted': {
      const where = a.miss === undefined ? 'matched: counted' : `${a.miss.why}; all_rules_always_active: counted in stage ${a.counted_stage}`;
      const done = a.completed ? `; stage ${a.counted_stage} done: backlog complete` : a.stage_done ? `; stage ${a.counted_stage} done: now stage ${a.now_stage ?? a.counted_stage + 1}` : '';
      return `${head}: ${where} (${a.count} of ${a.occurrence})${done}${alarmText(a.alarm)}`;
    }
    case 'consumed':
      return `${head}: matched, consumed but not counted: ${a.why}`;
    case 'not-matched':
      return `${head}: ${a.miss.why}${a.sticky_recorded === undefined ? '' : ` (its sticky_different value ${JSON.stringify(a.sticky_recorded)} is recorded as seen all the same)`}`;
    case 'expired':
      return `${head}: expired before taking the event${alarmText(a.alarm, 'alarm re-written')}`;
  }
}

function createdText(n: NewBacklog): string {
  const progress = n.completed ? 'stage 1 done: backlog complete' : `stage 1 done, now stage ${n.stage}`;
  return `new backlog ${n.backlog_id} ${JSON.stringify(n.title)}: ${progress}${alarmText(n.alarm)}`;
}

function outcomeText(d: DirectiveRecord): string {
  switch (d.outcome) {
    case 'counted': {
      const list = d.backlogs.flatMap((b) => (b.result === 'counted' ? [`${b.backlog_id} stage ${b.counted_stage}`] : []));
      return `counted in backlog${list.length === 1 ? '' : 's'} ${list.join(', ')}`;
    }
    case 'consumed': {
      const list = d.backlogs.flatMap((b) => (b.result === 'consumed' ? [b.backlog_id] : []));
      return `consumed by backlog${list.length === 1 ? '' : 's'} ${list.join(', ')} but not counted; it starts no new backlog`;
    }
    case 'new-backlog':
      return `stage 1 matched: ${d.new_backlog === undefined ? 'new backlog' : createdText(d.new_backlog)}`;
    case 'ignored': {
      const s = d.stage1;
      if (s === undefined || s.matched) return 'ignored: stage 1 matches but the timestamp is unusable (not RFC 3339), so no backlog starts';
      return `ignored: no backlog took it, and stage 1 does not match: ${s.miss.why}`;
    }
  }
}

function directiveLines(d: DirectiveRecord): string[] {
  return [`  directive ${d.directive_id} ${JSON.stringify(d.directive)}:`, ...d.backlogs.map((b) => `    ${answerText(b)}`), `    => ${outcomeText(d)}`];
}

export function formatEventRecord(r: EventRecord): string[] {
  if ('skipped' in r) return [`line ${r.line}: skipped: invalid event (${r.skipped}: ${r.detail})`];
  if ('whitelisted' in r) return [`line ${r.line}: event ${r.event_id} from ${r.src_ip}: whitelisted source, dropped before correlation`];
  const lines = [`line ${r.line}: event ${r.event_id} at ${r.timestamp}: ${keysText(r.event)}`];
  for (const x of r.expired) lines.push(`  clock ${r.clock}: ${expiredText(x)}`);
  if (r.not_reached !== undefined) lines.push(`  quick check: does not reach directive ${r.not_reached.directive_id}: ${r.not_reached.why}`);
  else if (r.reached.length === 0) lines.push('  quick check: reaches no directive');
  else lines.push(`  quick check: reaches directive${r.reached.length === 1 ? '' : 's'} ${r.reached.join(', ')}`);
  for (const d of r.directives) lines.push(...directiveLines(d));
  return lines;
}

export function formatDrained(expired: readonly ExpiredRecord[]): string[] {
  return expired.map((x) => `end of events (--drain): ${expiredText(x)}`);
}

export function formatExplainSummary(s: ExplainSummary): string {
  return (
    `explained ${plural(s.lines, 'line')}: ${plural(s.events, 'event')} correlated, ${s.invalid} invalid, ${s.whitelisted} whitelisted; ` +
    `${plural(s.backlogs_created, 'backlog')} created, ${plural(s.counted, 'event')} counted, ${plural(s.alarms, 'alarm')}, ${s.expired} expired`
  );
}
