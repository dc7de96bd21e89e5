/**
 * lib/ is pure TypeScript (DESIGN.md): the public prop structs are declared there and
 * re-exported by constructs/, so an import of cdktf, the constructs package or constructs/
 * from lib/ would turn that one-way dependency into a cycle and pull cdktf into the runtime.
 */
import * as fs from 'fs';
import * as path from 'path';

const LIB = path.join(__dirname, '..', '..', 'lib');

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
