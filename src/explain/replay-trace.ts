/**
 * An events file traced the way `replay` correlates it: its lines through the same intake (event-feed.ts), each
 * correlated event through a `ConfigTrace`, and with `--drain` a last tick at the end of time. Explanations,
 * coverage and the backlog table of `replay --explain` are all read off these traces.
 */

import type { BacklogContext } from '../backlog/state.js';
import type { Directive } from '../directive/directive.js';
import { ConfigTrace, type DirectiveExpiry, type EventTrace, type TraceIds } from './config-trace.js';
import { EventFeed, type FeedItem } from './event-feed.js';

export type TracedLine =
  | { readonly item: Exclude<FeedItem, { kind: 'event' }> }
  | { readonly item: Extract<FeedItem, { kind: 'event' }>; readonly trace: EventTrace };

/** `replay --drain` moves the clock here after the last event. */
export const END_OF_TIME_MS = Number.MAX_SAFE_INTEGER;

export class ReplayTrace {
  private readonly feed: EventFeed;
  private readonly trace: ConfigTrace;

  constructor(directives: readonly Directive[], ctx: BacklogContext, newId: TraceIds) {
    this.feed = new EventFeed(ctx.assets);
    this.trace = new ConfigTrace(directives, ctx, newId);
  }

  /** The next line of the file (undefined for a blank line). */
  next(raw: Uint8Array | string): TracedLine | undefined {
    const item = this.feed.next(raw);
    if (item === undefined) return undefined;
    if (item.kind !== 'event') return { item };
    return { item, trace: this.trace.event(item.timed) };
  }

  /** After the last line, with `--drain`: every backlog still open expires. */
  drain(): DirectiveExpiry[] {
    return this.trace.tick(END_OF_TIME_MS);
  }
}
