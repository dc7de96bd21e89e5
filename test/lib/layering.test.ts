/**
 * lib/ is pure TypeScript (DESIGN.md): the public prop structs are declared there and
 * re-exported by constructs/, so an import of cdktf, the constructs package or constructs/
 * from lib/ would turn that one-way dependency into a cycle and pull cdktf into the runtime.
 *
 * runtime/ is the other user of lib/: it runs the model's rules (lib/model) and the config
 * contract (lib/config) on every document it loads, so that synth and runtime share one home
 * per rule. It may import any lib/ module whose whole import closure stays free of cdktf and
 * constructs (the runtime bundle ships to hosts that have neither), and never constructs/.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const LIB = path.join(ROOT, 'lib');
const RUNTIME = path.join(ROOT, 'runtime');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Module specifiers of static imports/re-exports and require() calls. */
function importedModules(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1]);
  }
  return found;
}

function isForbidden(file: string, specifier: string): boolean {
  if (specifier === 'cdktf' || specifier.startsWith('cdktf/') || specifier === 'constructs') return true;
  if (!specifier.startsWith('.')) return false;
  const target = path.resolve(path.dirname(file), specifier);
  return !target.startsWith(LIB + path.sep);
}

/** The .ts file a relative specifier names, if any. */
function resolveTs(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
}

/** Every package specifier imported by `file` or, transitively, by the .ts files it imports. */
function packageClosure(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  return importedModules(fs.readFileSync(file, 'utf8')).flatMap((specifier) => {
    if (!specifier.startsWith('.')) return [`${path.relative(ROOT, file)} imports ${specifier}`];
    const target = resolveTs(file, specifier);
    return target === undefined ? [] : packageClosure(target, seen);
  });
}

/** What a runtime file may not reach: constructs/, or cdktf/constructs through lib/. */
function runtimeOffences(file: string, source: string): string[] {
  return importedModules(source).flatMap((specifier) => {
    if (specifier === 'cdktf' || specifier.startsWith('cdktf/') || specifier === 'constructs') return [`imports ${specifier}`];
    if (!specifier.startsWith('.')) return [];
    const target = path.resolve(path.dirname(file), specifier);
    if (!target.startsWith(LIB + path.sep)) {
      // package.json: the CLI prints the package's version.
      return target.startsWith(RUNTIME + path.sep) || target === path.join(ROOT, 'package.json') ? [] : [`imports ${specifier} (outside runtime/ and lib/)`];
    }
    const resolved = resolveTs(file, specifier);
    return resolved === undefined ? [] : packageClosure(resolved)
      .filter((line) => /imports (cdktf|constructs)(\/|$)/.test(line))
      .map((line) => `imports ${specifier}, and ${line}`);
  });
}

describe('runtime/ layering', () => {
  const files = tsFiles(RUNTIME);

  it('imports lib/ modules only when their whole closure is free of cdktf and constructs', () => {
    const offending = files.flatMap((file) => runtimeOffences(file, fs.readFileSync(file, 'utf8')).map((o) => `${path.relative(ROOT, file)} ${o}`));
    expect(offending).toEqual([]);
    // The rules the runtime shares with synth really come from lib/model.
    expect(importedModules(fs.readFileSync(path.join(RUNTIME, 'dataplane.ts'), 'utf8'))).toContain('../lib/model/listener');
  });

  it('flags a lib/ module that reaches cdktf, and constructs/ (the check can fail)', () => {
    const file = path.join(RUNTIME, 'example.ts');
    // lib/model/listener.ts is clean; an import of constructs/ or cdktf is not.
    expect(runtimeOffences(file, "import { x } from '../lib/model/listener';")).toEqual([]);
    expect(runtimeOffences(file, "import { Token } from 'cdktf';\nimport { Listener } from '../constructs/listener';"))
      .toEqual(['imports cdktf', 'imports ../constructs/listener (outside runtime/ and lib/)']);
    // index.ts re-exports constructs/, which import cdktf: reaching it through a relative path is caught.
    expect(packageClosure(path.join(ROOT, 'index.ts')).some((line) => /imports cdktf$/.test(line))).toBe(true);
  });
});

describe('lib/ layering', () => {
  const files = tsFiles(LIB);

  it('finds the lib sources and their imports', () => {
    expect(files.length).toBeGreaterThan(10);
    const modelImports = importedModules(fs.readFileSync(path.join(LIB, 'model', 'backend-service.ts'), 'utf8'));
    expect(modelImports).toContain('./health-check');
  });

  it('imports neither cdktf, constructs nor anything outside lib/', () => {
    const offending = files.flatMap((file) => importedModules(fs.readFileSync(file, 'utf8'))
      .filter((specifier) => isForbidden(file, specifier))
      .map((specifier) => `${path.relative(LIB, file)} imports ${specifier}`));
    expect(offending).toEqual([]);
  });

  it('flags an import of constructs/ or cdktf (the check can fail)', () => {
    const file = path.join(LIB, 'model', 'example.ts');
    expect(importedModules("import { Token } from 'cdktf';\nexport { X } from '../../constructs/x';").filter((s) => isForbidden(file, s)))
      .toEqual(['cdktf', '../../constructs/x']);
  });
});
