#!/usr/bin/env node
/**
 * The CDK Terrain toolchain the tests run cdktn-alb with: the cdktn CLI (cdktn-cli, which
 * needs Node >= 22.19) and a Node 24 binary from the `node` npm package for machines whose
 * Node is older. Installed once, pinned, into node_modules/.cache/cdktf-alb/ (`npm ci` starts
 * it afresh), outside the project's own dependency tree: cdktn-cli's peers (jsii 5.9,
 * jsii-pacmak) conflict with this repository's jsii 5.8.
 *
 *   node scripts/cdktn-toolchain.js            install if missing, print {"node": …, "cli": …}
 *   node scripts/cdktn-toolchain.js exec ARGS  run ARGS with that Node first on PATH
 */
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const VERSIONS = { node: '24.11.1', 'cdktn-cli': '0.24.0' };
const DIR = path.join(ROOT, 'node_modules', '.cache', 'cdktf-alb', `cdktn-toolchain-node${VERSIONS.node}-cli${VERSIONS['cdktn-cli']}`);

function paths(dir = DIR) {
  return {
    dir,
    bin: path.join(dir, 'node_modules', 'node', 'bin'),
    node: path.join(dir, 'node_modules', 'node', 'bin', 'node'),
    cli: path.join(dir, 'node_modules', 'cdktn-cli', 'bin', 'cdktn'),
  };
}

function works(p) {
  if (!fs.existsSync(p.node) || !fs.existsSync(p.cli)) return false;
  const r = spawnSync(p.node, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === `v${VERSIONS.node}`;
}

/** Installs the toolchain if it is not there yet (into a temporary directory, renamed into place). */
function ensure() {
  const p = paths();
  if (works(p)) return p;
  const staging = `${DIR}.${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(path.join(staging, 'package.json'), `${JSON.stringify({ private: true, description: 'cdktn toolchain for the tests (scripts/cdktn-toolchain.js)' })}\n`);
  const specs = Object.entries(VERSIONS).map(([name, version]) => `${name}@${version}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', '--loglevel=error', ...specs], { cwd: staging, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!works(paths(staging))) throw new Error(`cdktn toolchain: ${specs.join(' ')} installed into ${staging}, but its node does not run`);
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.renameSync(staging, DIR);
  return paths();
}

/** The environment that puts the toolchain's Node first on PATH. */
function env(p, base = process.env) {
  return { ...base, PATH: `${p.bin}${path.delimiter}${base.PATH ?? ''}` };
}

module.exports = { VERSIONS, ensure, env };

if (require.main === module) {
  const p = ensure();
  const [command, ...args] = process.argv.slice(2);
  if (command === undefined) {
    process.stdout.write(`${JSON.stringify({ node: p.node, cli: p.cli })}\n`);
  } else if (command === 'exec' && args.length > 0) {
    const r = spawnSync(args[0], args.slice(1), { stdio: 'inherit', env: env(p) });
    process.exit(r.status ?? 1);
  } else {
    process.stderr.write('usage: node scripts/cdktn-toolchain.js [exec COMMAND ARGS...]\n');
    process.exit(2);
  }
}
