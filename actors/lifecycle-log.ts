/**
 * `--debug` lines about a backlog's life, one per change: created, stage advanced, alarm written (with its
 * risk), completed or expired; and `--trace` lines, one per event and directive, with the routing decision.
 * Callers check the level first (once per actor), so with them off this costs one test per message.
 */

import type { BacklogState } from '../src/backlog/state.js';
import type { BacklogEffect } from '../src/backlog/transitions.js';
import type { Decision } from '../src/correlation/directive-runtime.js';
import type { Logger } from './logger.js';

export function describeCreated(log: Logger, state: BacklogState, firstEventId: string): void {
  log.debug('backlog created', { directiveId: state.directiveId, backlogId: state.id, title: state.title, firstEventId, stage: state.currentStage });
}

export function describeEffects(log: Logger, before: BacklogState, after: BacklogState, effects: readonly BacklogEffect[]): void {
  const ids = { directiveId: after.directiveId, backlogId: after.id };
  if (after.currentStage !== before.currentStage) log.debug('backlog stage advanced', { ...ids, from: before.currentStage, to: after.currentStage });
  for (const effect of effects) {
    if (effect.type === 'alarm') log.debug('alarm written', { ...ids, risk: effect.alarm.risk, riskClass: effect.alarm.risk_class, stage: after.currentStage });
    else if (effect.type === 'ended') log.debug(effect.reason === 'expired' ? 'backlog expired' : 'backlog completed', { ...ids, stage: after.currentStage, risk: after.risk });
  }
}

export function describeDecision(log: Logger, d: Decision): void {
  log.silly('event routed', { directiveId: d.directiveId, eventId: d.eventId, outcome: d.outcome, sentToBacklogs: d.sentTo, checkedAllForId: d.byId });
}
