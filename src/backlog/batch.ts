/**
 * One backlog message's worth of inputs, stepped in order. Counting an event copies the whole state (immutable
 * states make a supervised restart exact), which is most of the cost of a counted event; so when more inputs
 * follow, the steps go on a private working copy that counting updates in place: one copy per message instead
 * of one per counted event. The copy is a local value here; the state passed in is never changed.
 */

import type { BacklogContext, BacklogState } from './state.js';
import { draftOf, step, stepDraft, type BacklogEffect, type BacklogInput } from './transitions.js';

export interface BatchResult {
  readonly state: BacklogState;
  /** Per input, in order: did it consume its event. */
  readonly consumed: readonly boolean[];
  readonly effects: readonly BacklogEffect[];
  /** Some step wrote an alarm (not for expiry): the backlog's addresses should be looked up. */
  readonly lookup: boolean;
}

export function stepBatch(state: BacklogState, inputs: readonly BacklogInput[], ctx: BacklogContext): BatchResult {
  let current = state;
  let draft: BacklogState | undefined;
  const consumed = new Array<boolean>(inputs.length);
  const effects: BacklogEffect[] = [];
  let lookup = false;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as BacklogInput;
    if (i < inputs.length - 1 && current !== draft) current = draft = draftOf(current);
    const s = current === draft ? stepDraft(current, input, ctx) : step(current, input, ctx);
    current = s.state;
    consumed[i] = s.consumed;
    const list = s.effects;
    for (let k = 0; k < list.length; k++) {
      const effect = list[k] as BacklogEffect;
      effects.push(effect);
      // An alarm written, not for expiry: the backlog's addresses are to be looked up (see `wantsEnrichment`).
      if (effect.type === 'alarm' && s.state.ended !== 'expired') lookup = true;
    }
  }
  return { state: current, consumed, effects, lookup };
}
