/**
 * Where this package's bundles are (built by scripts/build-runtime.js): the LB node runtime,
 * and the host halves of the deploy targets (hosts/). Found from this module's location: the
 * package root is the nearest directory above with a package.json named cdktf-alb or
 * cdktn-alb (this file runs from constructs/infrastructure/ under ts-node and from
 * dist/constructs/infrastructure/ when compiled; scripts/package.js builds the cdktn-alb
 * package from the same source).
 */
import * as fs from 'fs';
import * as path from 'path';

const PACKAGE_NAMES = ['cdktf-alb', 'cdktn-alb'];

function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if (PACKAGE_NAMES.includes(JSON.parse(fs.readFileSync(manifest, 'utf8')).name)) return dir;
      } catch {
        // not our package.json; keep looking
      }
    }
    dir = path.dirname(dir);
  }
  return path.join(__dirname, '..', '..');
}

/** dist/runtime/alb-runtime.js: the LB node runtime every target ships to its nodes. */
export function runtimeBundlePath(): string {
  return path.join(packageRoot(), 'dist', 'runtime', 'alb-runtime.js');
}

/** dist/hosts/<name>.js: a target's host-side program (local-vm.js, alb-host.js). */
export function hostBundlePath(name: string): string {
  return path.join(packageRoot(), 'dist', 'hosts', `${name}.js`);
}

/** A file or directory that ships with this package (e.g. hosts/ssh/no-program-files). */
export function packageFile(...parts: string[]): string {
  return path.join(packageRoot(), ...parts);
}
