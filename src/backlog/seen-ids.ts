/**
 * A fast "might this backlog have counted this event id?" filter, shared by every version of one backlog.
 *
 * Backlog states are immutable and each step makes a new one, so an exact id set per state would have to be
 * copied on every event. Instead all versions of a backlog share one append-only set: it holds every id the
 * backlog ever tried to count, so it is a superset of what any version counted. A miss is therefore a sure
 * "no" (the common case, O(1)); a hit is confirmed against the state's own stage lists. The filter is not part
 * of the JSON form of a state (`toJSON` drops it) and is rebuilt from the stage lists when a state is restored.
 */

export class SeenIds {
  private readonly ids: Set<string>;

  constructor(initial: Iterable<string> = []) {
    this.ids = new Set(initial);
  }

  mightContain(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.add(id);
  }

  /** Not serialised: rebuilt from the stages' event ids on restore. */
  toJSON(): undefined {
    return undefined;
  }
}
