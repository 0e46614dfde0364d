/**
 * What a run wrote, read back from its two alarm files: per alarm id, the events counted in each stage (from
 * `siem_alarm_events.json`: every backlog has lines there, from its first event on) and the last alarm snapshot
 * (from `siem_alarms.json`: only backlogs whose risk reached 1). The writer keeps each alarm's lines in the order
 * they happened (D6), so the last snapshot of an id is its latest.
 */

export interface WrittenBacklog {
  readonly id: string;
  /** Event ids per stage (index 0 is stage 1), in the order they were counted. */
  readonly stages: string[][];
  /** The last alarm snapshot written for it, if any. */
  alarm?: Record<string, unknown>;
}

export interface WrittenRun {
  /** In the order their first line was written. */
  readonly backlogs: Map<string, WrittenBacklog>;
  /** Lines that are not JSON objects of the expected shape (a line cut by a full disk, for example). */
  readonly unreadable: number;
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function nonBlank(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** `keep`: only the ids this run made (the files may hold earlier runs' lines). */
export function readWrittenRun(alarmsText: string, eventsText: string, keep: (id: string) => boolean = () => true): WrittenRun {
  const backlogs = new Map<string, WrittenBacklog>();
  let unreadable = 0;
  const entry = (id: string) => {
    let b = backlogs.get(id);
    if (b === undefined) backlogs.set(id, (b = { id, stages: [] }));
    return b;
  };
  for (const line of nonBlank(eventsText)) {
    const o = parseObject(line);
    const id = o?.['alarm_id'];
    const stage = o?.['stage'];
    const eventId = o?.['event_id'];
    if (typeof id !== 'string' || typeof stage !== 'number' || !Number.isSafeInteger(stage) || stage < 1 || typeof eventId !== 'string') {
      unreadable++;
      continue;
    }
    if (!keep(id)) continue;
    const b = entry(id);
    while (b.stages.length < stage) b.stages.push([]);
    b.stages[stage - 1]?.push(eventId);
  }
  for (const line of nonBlank(alarmsText)) {
    const o = parseObject(line);
    const id = o?.['alarm_id'];
    if (o === undefined || typeof id !== 'string') {
      unreadable++;
      continue;
    }
    if (keep(id)) entry(id).alarm = o;
  }
  return { backlogs, unreadable };
}

/** A backlog's counted events as one comparable text: stage by stage, empty stages left out. */
export function stagesKey(stages: readonly (readonly string[])[]): string {
  return JSON.stringify(stages.flatMap((ids, i) => (ids.length === 0 ? [] : [[i + 1, ids]])));
}
