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

/**
 * The call stack at one moment, read only when a problem needs its place. Capturing is cheap
 * (V8 records the frames); formatting is not (source maps under ts-node or jest), so it is
 * done once, for the sites a reported problem names, and not for every construct or call.
 */
export class SourceSite {
  private readonly captured: Error;
  private resolved: string | null | undefined;

  constructor() {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = STACK_DEPTH;
    this.captured = new Error();
    Error.stackTraceLimit = limit;
  }

  /** `file:line:col` (file relative to the working directory) of the first user frame; undefined when none. */
  public get location(): string | undefined {
    if (this.resolved === undefined) this.resolved = firstUserFrame(this.captured.stack ?? '') ?? null;
    return this.resolved ?? undefined;
  }
}

/** The place in the user's source of the current call. */
export function userSourceSite(): SourceSite {
  return new SourceSite();
}

function firstUserFrame(stack: string): string | undefined {
  for (const line of stack.split('\n').slice(1)) {
    const frame = /\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (frame === null) continue;
    const file = frame[1];
    if (isLibraryFile(file)) continue;
    // Relative to the project directory when inside it (short, clickable), else absolute.
    const relative = path.relative(process.cwd(), file);
    return `${relative === '' || relative.startsWith('..') ? file : relative}:${frame[2]}:${frame[3]}`;
  }
  return undefined;
}

function isLibraryFile(file: string): boolean {
  return LIBRARY_PREFIXES.some((prefix) => file.startsWith(prefix))
    || file.startsWith(LIBRARY_ENTRY)
    || file.includes(`${path.sep}node_modules${path.sep}`);
}
