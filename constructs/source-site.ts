/**
 * The place in the user's own source responsible for a construct or a call: the first stack
 * frame outside this library (its constructs/, lib/ and index), outside node_modules (cdktf,
 * constructs, jsii's kernel, test runners) and outside Node's internals. A problem reported
 * at synth names this `file:line:col`, so users go straight to the line to fix.
 */
import * as path from 'path';

// Compiled, this file is dist/constructs/source-site.js and the library is dist/; under
// ts-node/ts-jest it is constructs/source-site.ts and the library is constructs/ + lib/.
const LIBRARY_ROOT = path.resolve(__dirname, '..');
const LIBRARY_PREFIXES = ['constructs', 'lib'].map((dir) => path.join(LIBRARY_ROOT, dir) + path.sep);
const LIBRARY_ENTRY = path.join(LIBRARY_ROOT, 'index.');

/** Deep enough to pass this library's own frames (a few) and a test runner's, not more. */
const STACK_DEPTH = 30;

/** `file:line:col` (file relative to the working directory) of the first user frame; undefined when none. */
export function userSourceSite(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_DEPTH;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const frame = /\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (frame === null) continue;
    const file = frame[1];
    if (isLibraryFile(file)) continue;
    return `${path.relative(process.cwd(), file) || file}:${frame[2]}:${frame[3]}`;
  }
  return undefined;
}

function isLibraryFile(file: string): boolean {
  return LIBRARY_PREFIXES.some((prefix) => file.startsWith(prefix))
    || file.startsWith(LIBRARY_ENTRY)
    || file.includes(`${path.sep}node_modules${path.sep}`);
}
