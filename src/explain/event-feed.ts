/**
 * The lines of an events file as `replay` takes them in (actors/replay.ts): through the intake `serve` and
 * `replay` use (src/intake), which refuses invalid events with their reason, drops whitelisted sources and
 * stamps the rest with the clock, event time: the latest valid timestamp read so far. Lines are numbered as
 * replay numbers them (physical lines, blank ones counted and passed over).
 */

import type { NetworkAssets } from '../asset/network-assets.js';
import type { TimedEvent } from '../correlation/items.js';
import { decodeEventJson, type NormalizedEvent } from '../event/normalized-event.js';
import { createIntake, type Intake, type InvalidReason } from '../intake/intake.js';
import { isBlankLine } from '../shared/lines.js';

export type FeedItem =
  | { readonly kind: 'invalid'; readonly line: number; readonly reason: InvalidReason; readonly detail: string }
  | { readonly kind: 'whitelisted'; readonly line: number; readonly event: NormalizedEvent | undefined }
  | { readonly kind: 'event'; readonly line: number; readonly timed: TimedEvent };

export class EventFeed {
  private readonly intake: Intake;
  private readonly text = new TextDecoder();
  private readonly bytes = new TextEncoder();
  private lineNo = 0;
  private clockMs = 0;

  constructor(assets: Pick<NetworkAssets, 'isWhitelisted'>) {
    this.intake = createIntake({ assets, clock: 'event-time' });
  }

  /** The clock after the lines read so far (ms). */
  get clock(): number {
    return this.clockMs;
  }

  /** The next line of the file (bytes as the file holds them, or text); undefined for a blank line. */
  next(raw: Uint8Array | string): FeedItem | undefined {
    const line = ++this.lineNo;
    const bytes = typeof raw === 'string' ? this.bytes.encode(raw) : raw;
    if (isBlankLine(bytes)) return undefined;
    const taken = this.intake.take(bytes, this.clockMs);
    if (taken.kind === 'invalid') return { kind: 'invalid', line, reason: taken.reason, detail: taken.detail };
    if (taken.kind === 'whitelisted') {
      // The intake drops whitelisted events without keeping them; decoded again (rare) to name them.
      const decoded = decodeEventJson(this.text.decode(bytes));
      return { kind: 'whitelisted', line, event: decoded.ok ? decoded.value : undefined };
    }
    this.clockMs = taken.now;
    return { kind: 'event', line, timed: taken };
  }
}
