/**
 * The lines of an events file as `replay` takes them in (actors/replay.ts): blank lines are passed over, invalid
 * events skipped with their reason, events from a whitelisted source dropped before correlation, and every other
 * event stamped with the clock, which is event time: the latest valid timestamp read so far (an older or
 * unusable timestamp does not move it).
 */

import type { NetworkAssets } from '../asset/network-assets.js';
import type { TimedEvent } from '../correlation/items.js';
import { decodeEventJson, type EventRejection, type NormalizedEvent } from '../event/normalized-event.js';

export type FeedItem =
  | { readonly kind: 'invalid'; readonly line: number; readonly reason: EventRejection; readonly detail: string }
  | { readonly kind: 'whitelisted'; readonly line: number; readonly event: NormalizedEvent }
  | { readonly kind: 'event'; readonly line: number; readonly timed: TimedEvent };

export class EventFeed {
  private lineNo = 0;
  private clockMs = 0;

  constructor(private readonly assets: NetworkAssets) {}

  /** The clock after the lines read so far (ms). */
  get clock(): number {
    return this.clockMs;
  }

  /** The next line of the file; undefined for a blank line. */
  next(text: string): FeedItem | undefined {
    const line = ++this.lineNo;
    if (text.trim() === '') return undefined;
    const decoded = decodeEventJson(text);
    if (!decoded.ok) return { kind: 'invalid', line, reason: decoded.reason, detail: decoded.detail };
    const event = decoded.event;
    if (this.assets.isWhitelisted(event.srcAddr)) return { kind: 'whitelisted', line, event };
    if (!Number.isNaN(event.time)) this.clockMs = Math.max(this.clockMs, event.time * 1000);
    return { kind: 'event', line, timed: { event, now: this.clockMs } };
  }
}
