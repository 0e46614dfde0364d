// The spellings of the flags: Go Dsiem's, and -, _ or camelCase between words, all rewritten to the one canonical
// spelling before parsing; values are never rewritten.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalArgs, flagNames, flagParts, spellingsOf, wordsOf } from '../../config/flag-names.js';

describe('flag spellings', () => {
  it('splits a flag into words whatever its style', () => {
    assert.deepEqual(wordsOf('--med_risk_min'), ['med', 'risk', 'min']);
    assert.deepEqual(wordsOf('--min-alarm-lifetime'), ['min', 'alarm', 'lifetime']);
    assert.deepEqual(wordsOf('--maxEPS'), ['max', 'EPS']);
    assert.deepEqual(wordsOf('--intelPrivateIP'), ['intel', 'Private', 'IP']);
  });

  it('accepts -, _ and camelCase between the words of every multi-word flag', () => {
    assert.deepEqual(spellingsOf('--med_risk_min').sort(), ['--med-risk-min', '--medRiskMin', '--med_risk_min'].sort());
    assert.deepEqual(spellingsOf('--reload-backlogs').sort(), ['--reload-backlogs', '--reloadBacklogs', '--reload_backlogs'].sort());
    assert.deepEqual(spellingsOf('--msq'), ['--msq']);
  });

  it("maps Go Dsiem's spellings to our flags", () => {
    const { canonical } = flagNames();
    const go: Record<string, string> = {
      '--medRiskMin': '--med_risk_min',
      '--medRiskMax': '--med_risk_max',
      '--maxQueue': '--max_queue',
      '--maxDelay': '--max_delay',
      '--minAlarmLifetime': '--min-alarm-lifetime',
      '--holdDuration': '--hold_duration',
      '--maxEPS': '--max_eps',
      '--intelPrivateIP': '--intel_private_ip',
      '--cacheDuration': '--cache',
      '--cache-duration': '--cache',
      '--config-dir': '--config',
      '--config_dir': '--config',
      '--max-eps': '--max_eps',
      '--min_alarm_lifetime': '--min-alarm-lifetime',
    };
    for (const [spelling, flag] of Object.entries(go)) assert.equal(canonical.get(spelling), flag, spelling);
  });

  it('refuses a table where two flags claim one spelling', () => {
    const spec = { doc: '', format: 'text', default: '' } as const;
    assert.throws(() => flagNames([{ ...spec, flag: '--max-queue <n>' }, { ...spec, flag: '--max_queue <n>' }]), /claimed by --max-queue and --max_queue/);
    assert.throws(() => flagNames([{ ...spec, flag: '-q, --queue <n>' }, { ...spec, flag: '-q, --quiet' }]), /short flag -q/);
  });

  it('reads the parts of a flag', () => {
    assert.deepEqual(flagParts('-e, --max_eps <n>'), { short: '-e', long: '--max_eps', value: 'required' });
    assert.deepEqual(flagParts('--reload-backlogs [bool]'), { long: '--reload-backlogs', value: 'optional' });
    assert.deepEqual(flagParts('--intel_private_ip'), { long: '--intel_private_ip', value: 'none' });
  });
});

describe('canonicalArgs', () => {
  it('rewrites spellings to the canonical flag and remembers what was typed', () => {
    const { args, typed } = canonicalArgs(['serve', '--maxEPS', '5', '--med-risk-min=4', '-l', '7', '--msq', 'nats://h:1']);
    assert.deepEqual(args, ['serve', '--max_eps', '5', '--med_risk_min=4', '-l', '7', '--msq', 'nats://h:1']);
    assert.deepEqual(Object.fromEntries(typed), { '--max_eps': '--maxEPS', '--med_risk_min': '--med-risk-min', '--min-alarm-lifetime': '-l' });
  });

  it('leaves values alone, even those spelled like a flag, and everything after --', () => {
    const { args } = canonicalArgs(['replay', '--status', '--maxQueue', '-t', '--medRiskMin', '--', '--maxEPS']);
    assert.deepEqual(args, ['replay', '--status', '--maxQueue', '-t', '--medRiskMin', '--', '--maxEPS']);
  });

  it('leaves unknown flags for the parser to refuse', () => {
    assert.deepEqual(canonicalArgs(['serve', '--bogus', '--no-such=1']).args, ['serve', '--bogus', '--no-such=1']);
  });
});
