/**
 * The two commands that keep `<stateDir>/placement.json` (the placement of the last applied
 * deploy, read back by the next synth) in step with what Terraform really created:
 *
 *  - record: copies the synthesized `alb/placement.json` of this deploy into the state dir,
 *    atomically, after checking it is the document whose hash Terraform planned with (a
 *    re-synth between plan and apply must not record a placement that was never applied);
 *  - forget: removes the record once the last VM is gone, and the state dir if no VM
 *    directory is left in it.
 *
 * Both are `node -e` one-liners so they need nothing but the node running synth (no bundle
 * of their own); shellCommand quotes them for the shell and escapes Terraform templates.
 */
import { shellCommand } from '../shell';

const RECORD_SCRIPT = [
  'const fs = require("fs"), path = require("path"), crypto = require("crypto");',
  'const [source, target, expected] = process.argv.slice(1);',
  'const text = fs.readFileSync(source, "utf8");',
  'const actual = crypto.createHash("sha256").update(text).digest("hex");',
  'if (actual !== expected) {',
  '  console.error(`placement record: ${path.resolve(source)} has sha256 ${actual}, but this deploy planned ${expected}; it was re-synthesized after the plan: run the deploy again`);',
  '  process.exit(1);',
  '}',
  'fs.mkdirSync(path.dirname(target), { recursive: true });',
  'const temporary = target + "." + process.pid + ".tmp";',
  'fs.writeFileSync(temporary, text);',
  'fs.renameSync(temporary, target);',
  'console.log("placement recorded in " + target);',
].join('\n');

const FORGET_SCRIPT = [
  'const fs = require("fs"), path = require("path");',
  'const target = process.argv[1];',
  'fs.rmSync(target, { force: true });',
  // This runs after the last VM is destroyed; the state dir goes if no VM directory is left
  // (with the launcher's rollout log, which belongs to no VM), else it stays as it is.
  'const dir = path.dirname(target);',
  'let vmDirs = 1;',
  'try { vmDirs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).length; } catch (e) { vmDirs = -1; }',
  'if (vmDirs === 0) { fs.rmSync(path.join(dir, "rollout.log"), { force: true }); try { fs.rmdirSync(dir); } catch (e) { /* something else is in it */ } }',
  'console.log("placement record " + target + " removed");',
].join('\n');

/** Copies `source` (relative to Terraform's working directory) to `target` if its SHA-256 is `sha256`. */
export function recordPlacementCommand(node: string, source: string, target: string, sha256: string): string {
  return shellCommand([node, '-e', RECORD_SCRIPT, source, target, sha256]);
}

/** Removes the record `target`, then its directory if it holds no VM directory. */
export function forgetPlacementCommand(node: string, target: string): string {
  return shellCommand([node, '-e', FORGET_SCRIPT, target]);
}
