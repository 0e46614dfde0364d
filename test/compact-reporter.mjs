// A node:test reporter for `npm test`: one line per test file, every failure in full (name, place, error), the
// output the tests wrote, and node's own totals at the end ("# tests N", "# pass N", "# fail N", ...), which CI
// reads. A "closing ... on garbage collection" warning (a file handle left open) fails the run.
import path from 'node:path';
import { inspect } from 'node:util';

const GC_WARNING = /on garbage collection/;

function relative(file) {
  return file === undefined ? '(no file)' : path.relative(process.cwd(), file);
}

function indent(text, by = '    ') {
  return text.replace(/^/gm, by);
}

function failureText(data) {
  const error = data.details?.error;
  const place = data.line !== undefined ? `${relative(data.file)}:${data.line}:${data.column ?? 0}` : relative(data.file);
  if (error?.failureType === 'cancelledByParent') return `CANCELLED ${data.name}  [${place}]\n`;
  const shown = error?.cause ?? error;
  const body = shown instanceof Error || typeof shown === 'object' ? inspect(shown, { depth: 6, colors: false }) : String(shown);
  return `FAIL ${data.name}\n  at ${place}\n${indent(body)}\n`;
}

/** A suite's own failure, not just "some subtests failed". */
function ownFailure(data) {
  return data.details?.type !== 'suite' || !['subtestsFailed'].includes(data.details?.error?.failureType);
}

export default async function* compactReporter(source) {
  const files = new Map();
  const failed = [];
  const totals = [];
  let gcWarnings = 0;
  const fileOf = (data) => {
    const key = relative(data.file);
    if (!files.has(key)) files.set(key, { pass: 0, fail: 0, skip: 0 });
    return files.get(key);
  };
  const isFileItself = (data) => data.nesting === 0 && data.file !== undefined && path.resolve(data.name) === path.resolve(data.file);

  for await (const { type, data } of source) {
    switch (type) {
      case 'test:pass': {
        if (data.details?.type === 'suite' || isFileItself(data)) break;
        const counts = fileOf(data);
        if (data.skip !== undefined || data.todo !== undefined) {
          counts.skip++;
          yield `skip ${data.name}${typeof data.skip === 'string' ? ` (${data.skip})` : ''}  [${relative(data.file)}]\n`;
        } else counts.pass++;
        break;
      }
      case 'test:fail': {
        if (!ownFailure(data)) break;
        fileOf(data).fail++;
        failed.push(`${relative(data.file)}: ${data.name}`);
        yield failureText(data);
        break;
      }
      case 'test:complete': {
        if (!isFileItself(data)) break;
        const counts = fileOf(data);
        const seconds = ((data.details?.duration_ms ?? 0) / 1000).toFixed(1);
        const skipped = counts.skip > 0 ? `, ${counts.skip} skipped` : '';
        yield counts.fail > 0
          ? `FAIL ${relative(data.file)}  ${counts.pass} passed, ${counts.fail} failed${skipped}  ${seconds} s\n`
          : `ok   ${relative(data.file)}  ${counts.pass} test${counts.pass === 1 ? '' : 's'}${skipped}  ${seconds} s\n`;
        break;
      }
      case 'test:stdout':
      case 'test:stderr': {
        const message = String(data.message ?? '');
        if (GC_WARNING.test(message)) gcWarnings++;
        yield indent(message.replace(/\n$/, ''), `  ${relative(data.file)} | `) + '\n';
        break;
      }
      case 'test:diagnostic':
        // The run's totals: kept for the very end.
        if (data.nesting === 0 && data.file === undefined) totals.push(`# ${data.message}\n`);
        break;
      default:
        break;
    }
  }
  if (failed.length > 0) yield `\nfailed tests:\n${failed.map((f) => `  ${f}\n`).join('')}`;
  if (gcWarnings > 0) {
    process.exitCode = 1;
    yield `\n${gcWarnings} warning(s) of a handle closed on garbage collection: some code leaves files open (see the output above)\n`;
  }
  yield* totals;
}
