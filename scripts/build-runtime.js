#!/usr/bin/env node
// Bundles the runtime, and the host halves of the deploy targets, each into one JavaScript
// file that needs only Node.js on a host.
const esbuild = require('esbuild');
const path = require('path');

const root = path.join(__dirname, '..');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
};
const bundles = [
  // The LB node runtime.
  { entry: 'runtime/cli.ts', out: 'dist/runtime/alb-runtime.js' },
  // LocalInfrastructure's host half: VM launcher and plan viewer (called by Terraform provisioners).
  { entry: 'hosts/local/local-vm.ts', out: 'dist/hosts/local-vm.js' },
  // SshInfrastructure's host half: the agent shipped to every host (called over SSH by remote-exec).
  { entry: 'hosts/ssh/alb-host.ts', out: 'dist/hosts/alb-host.js' },
];
// `node scripts/build-runtime.js local-vm.js` builds only the named outputs.
const only = process.argv.slice(2);
let failed = 0;
for (const bundle of bundles) {
  if (only.length > 0 && !only.includes(path.basename(bundle.out))) continue;
  try {
    // Each bundle on its own, so one that does not build does not block the others.
    esbuild.buildSync({ ...common, entryPoints: [path.join(root, bundle.entry)], outfile: path.join(root, bundle.out) });
  } catch (e) {
    failed++;
    console.error(`build-runtime: ${bundle.out} failed: ${e.message.split('\n')[0]}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
