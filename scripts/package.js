#!/usr/bin/env node
/**
 * `npm run package`: the two npm packages this one source is published as, packed into
 * build/packages/ (or --out DIR):
 *
 *   cdktf-alb   for CDK for Terraform (cdktf 0.21) — this directory as it is, `npm pack`ed.
 *   cdktn-alb   for CDK Terrain (cdktn 0.24, the community fork of cdktf) — the same sources
 *               with their `from 'cdktf'` imports turned into `from 'cdktn'` and the peer
 *               dependencies changed, compiled with jsii of its own in build/cdktn-alb/.
 *
 * Why two packages and not one that loads whichever is installed: DESIGN.md ("One source, two
 * packages"). Needs the jsii build and the runtime bundles (`npm run build`); builds what is
 * missing. `--only cdktf|cdktn` packs one; `--stage DIR` compiles cdktn-alb in DIR instead of
 * build/cdktn-alb (the tests keep their output out of the working tree).
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');

/** What CDK Terrain's package is called and depends on, beside cdktf's (package.json). */
const CDKTN = {
  name: 'cdktn-alb',
  framework: 'cdktn',
  // cdktn 0.24.0 asks for constructs >=10.6.0 <10.8.0.
  peerDependencies: { cdktn: '^0.24.0', constructs: '^10.6.0' },
  description: (text) => text.replace(/^CDK for Terraform constructs/, 'CDK Terrain (cdktn) constructs'),
};

/** The sources jsii compiles (package.json jsii.excludeTypescript leaves out the rest). */
const SOURCES = ['index.ts', 'constructs', 'lib'];
/** Besides the compiled output (package.json `files`), what a packed package carries. */
const DOCS = ['README.md', 'LICENSE', 'API.md'];
/** The bundles of scripts/build-runtime.js (under dist/): the LB node runtime and the targets' host programs. */
const BUNDLES = ['runtime/alb-runtime.js', 'hosts/local-vm.js', 'hosts/alb-host.js'];
/** Files shipped as they are, which the constructs read at synth (package.json `files`). */
const SHIPPED = ['hosts/ssh/no-program-files'];

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function npm(args, cwd) {
  return run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, cwd);
}

/** Builds what `npm pack` needs and is missing: the jsii output (.jsii, dist/) and the runtime bundles. */
function ensureBuilt() {
  if (!fs.existsSync(path.join(ROOT, '.jsii')) || !fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) npm(['run', '--silent', 'build:jsii'], ROOT);
  if (!BUNDLES.every((f) => fs.existsSync(path.join(ROOT, 'dist', f)))) npm(['run', '--silent', 'build:runtime'], ROOT);
}

/** `npm pack` of DIR into OUT without lifecycle scripts (the build is done); returns the tarball path. */
function pack(dir, out) {
  const [info] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', out], dir));
  return path.join(out, info.filename);
}

/** A .ts file's text with every cdktf import turned into the same import from cdktn. */
function toCdktn(text, file) {
  const other = text.match(/\bfrom\s+['"]cdktf\/[^'"]*['"]|\b(?:require|import)\(\s*['"]cdktf(?:\/[^'"]*)?['"]\s*\)/);
  if (other) throw new Error(`${file}: ${other[0]} — only \`from 'cdktf'\` imports can be rewritten for cdktn; import from 'cdktf' itself`);
  return text.replace(/(\bfrom\s+)(['"])cdktf\2/g, '$1$2cdktn$2');
}

function copySources(from, to) {
  const stat = fs.statSync(from);
  if (stat.isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) copySources(path.join(from, name), path.join(to, name));
  } else if (from.endsWith('.ts')) {
    fs.writeFileSync(to, toCdktn(fs.readFileSync(from, 'utf8'), path.relative(ROOT, from)));
  } else if (from.endsWith('.json')) {
    fs.copyFileSync(from, to); // lib/config/schema.json
  }
}

/** `stage` (build/cdktn-alb by default): the sources rewritten for cdktn, its package.json, compiled by jsii. */
function stageCdktn(stage) {
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const source of SOURCES) copySources(path.join(ROOT, source), path.join(stage, source));
  for (const doc of DOCS) fs.copyFileSync(path.join(ROOT, doc), path.join(stage, doc));
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const staged = {
    ...manifest,
    name: CDKTN.name,
    description: CDKTN.description(manifest.description),
    keywords: [CDKTN.framework, 'cdk-terrain', ...(manifest.keywords ?? []).filter((k) => k !== 'cdktf')],
    peerDependencies: CDKTN.peerDependencies,
    scripts: {},
    devDependencies: {},
  };
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
  // jsii finds cdktn and constructs (and itself) in this repository's node_modules.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  run(process.execPath, [require.resolve('jsii/bin/jsii'), '--silence-warnings=reserved-word'], stage);
  for (const bundle of BUNDLES) {
    const to = path.join(stage, 'dist', bundle);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'dist', bundle), to);
    fs.chmodSync(to, 0o755);
  }
  for (const shipped of SHIPPED) fs.cpSync(path.join(ROOT, shipped), path.join(stage, shipped), { recursive: true });
  return stage;
}

function main() {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const out = path.resolve(outIndex >= 0 ? args[outIndex + 1] : path.join(ROOT, 'build', 'packages'));
  const stageIndex = args.indexOf('--stage');
  const stage = path.resolve(stageIndex >= 0 ? args[stageIndex + 1] : path.join(ROOT, 'build', 'cdktn-alb'));
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
  if (only !== undefined && only !== 'cdktf' && only !== 'cdktn') throw new Error(`--only ${only}: allowed: cdktf, cdktn`);
  fs.mkdirSync(out, { recursive: true });
  ensureBuilt();
  const tarballs = {};
  if (only !== 'cdktn') tarballs.cdktf = pack(ROOT, out);
  if (only !== 'cdktf') tarballs.cdktn = pack(stageCdktn(stage), out);
  process.stdout.write(`${JSON.stringify(tarballs)}\n`);
}

module.exports = { toCdktn };
if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`package: ${err.message}\n`);
    process.exit(1);
  }
}
