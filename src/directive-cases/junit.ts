/**
 * The JUnit XML report of `dsiem-backend test --junit <file>`, in the form CI servers read (GitLab, Jenkins,
 * GitHub test reporters): one testsuite, one testcase per case, a failure holding the diff, an error when the
 * case could not run (an invalid config, a missing file).
 */

export interface CaseResult {
  /** The case folder as given. */
  readonly name: string;
  readonly seconds: number;
  readonly outcome: 'pass' | 'fail' | 'error';
  /** The diff (fail) or what went wrong (error). */
  readonly details: readonly string[];
}

/** XML 1.0 has no way to write most control characters: they are dropped. */
function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

const seconds = (s: number) => s.toFixed(3);

function testcase(r: CaseResult): string {
  const open = `    <testcase classname="dsiem-backend.directive-cases" name="${escapeXml(r.name)}" time="${seconds(r.seconds)}"`;
  if (r.outcome === 'pass') return `${open}/>`;
  const tag = r.outcome === 'fail' ? 'failure' : 'error';
  const message = r.outcome === 'fail' ? 'the alarms differ from expected.json' : (r.details[0] ?? 'error');
  return `${open}>\n      <${tag} message="${escapeXml(message)}" type="${r.outcome === 'fail' ? 'AlarmMismatch' : 'CaseError'}">${escapeXml(r.details.join('\n'))}</${tag}>\n    </testcase>`;
}

export function junitReport(results: readonly CaseResult[], suite = 'dsiem-backend test'): string {
  const failures = results.filter((r) => r.outcome === 'fail').length;
  const errors = results.filter((r) => r.outcome === 'error').length;
  const time = seconds(results.reduce((t, r) => t + r.seconds, 0));
  const counts = `tests="${results.length}" failures="${failures}" errors="${errors}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(suite)}" ${counts} time="${time}">`,
    `  <testsuite name="${escapeXml(suite)}" ${counts} skipped="0" time="${time}">`,
    ...results.map(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
