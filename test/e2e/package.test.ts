/**
 * The packages as a user gets them. `scripts/package.js` packs cdktf-alb (for cdktf 0.21)
 * and cdktn-alb (for CDK Terrain 0.24) from this source; each tarball must carry the jsii
 * assembly, the LICENSE, the compiled constructs and the runtime bundles, and nothing of the
 * repository besides. Then, per framework, a fresh user project in a temporary directory
 * installs the tarball with a plain `npm install` (no alias, no --legacy-peer-deps), and that
 * framework's own CLI synthesizes, deploys (terraform, LocalInfrastructure) and destroys the
 * README's example; the listener must serve through the deployed LB nodes, and nothing may
 * be left running after destroy. cdktn runs on the Node of scripts/cdktn-toolchain.js.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listensOn } from '../helpers/listening';
import { ROOT, alive, eventually, freePorts, get, killRecorded, recordedPids } from './harness';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const toolchain = require('../../scripts/cdktn-toolchain.js') as {
  ensure(): { node: string; cli: string; bin: string };
  env(p: { bin: string }, base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
};

jest.setTimeout(300000);

interface Flavour {
  framework: 'cdktf' | 'cdktn';
  packageName: string;
  /** What the user installs beside the library (their framework and constructs). */
  userDependencies: string[];
  /** node binary, CLI entry point and environment the user's CLI runs with. */
  cli(): { node: string; entry: string; env: NodeJS.ProcessEnv };
}

const FLAVOURS: Flavour[] = [
  {
    framework: 'cdktf',
    packageName: 'cdktf-alb',
    userDependencies: ['cdktf@0.21.0', 'constructs@10.4.2'],
    cli: () => ({ node: process.execPath, entry: require.resolve('cdktf-cli/bundle/bin/cdktf'), env: process.env }),
  },
  {
    framework: 'cdktn',
    packageName: 'cdktn-alb',
    userDependencies: ['cdktn@0.24.0', 'constructs@10.6.0'],
    cli: () => {
      const t = toolchain.ensure();
      return { node: t.node, entry: t.cli, env: toolchain.env(t) };
    },
  },
];

/** The README's example ("The API in brief") as a user's CommonJS app, with ports from the environment. */
function userApp(framework: string, packageName: string): string {
  return `const { App, TerraformStack } = require('${framework}');
const {
  Algorithm, AvailabilityGroup, BackendProtocol, HealthCheckProtocol, ListenerProtocol,
  LoadBalancer, LocalInfrastructure, MachineTemplate, Vpc,
} = require('${packageName}');

const port = (name) => Number(process.env[name]);

class AlbStack extends TerraformStack {
  constructor(scope, id) {
    super(scope, id);
    const stack = this;
    const dc = new LocalInfrastructure(stack, 'dc', {
      zones: [{ name: 'az-1', racks: ['r1', 'r2'] }, { name: 'az-2', racks: ['r3', 'r4'] }],
    });
    const vpc = new Vpc(stack, 'vpc', { cidrBlock: '127.0.0.0/8' });
    const lb = new LoadBalancer(stack, 'web', { infrastructure: dc, vpc, adminPort: port('ADMIN_PORT') });
    const app = new AvailabilityGroup(stack, 'app', {
      infrastructure: dc, vpc, instanceCount: 4,
      template: MachineTemplate.command({ command: 'node', args: ['server.js'], port: port('APP_PORT') }),
    });
    const legacy = lb.addServerGroup('legacy');
    legacy.addTarget({ address: '127.0.0.1', port: port('LEGACY_PORT'), weight: 20 });
    const web = lb.addBackendService('web', {
      protocol: BackendProtocol.HTTP, port: port('APP_PORT'), algorithm: Algorithm.WEIGHTED_ROUND_ROBIN,
      sessionPersistence: { cookieTimeoutSeconds: 600 },
      healthCheck: { protocol: HealthCheckProtocol.HTTP, path: '/healthz' },
    });
    web.addAvailabilityGroup(app);
    web.addServerGroup(legacy);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: port('LISTENER_PORT'), backendService: web });
  }
}

const app = new App();
new AlbStack(app, 'alb');
app.synth();
`;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 240000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, '');
      if (error) reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${output.slice(-6000)}`));
      else resolve(output);
    });
  });
}

let out: string;
let tarballs: Record<string, string>;
const timings: string[] = [];

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-packages-'));
  // A fresh jsii build (.jsii and dist/), then both packages; the runtime bundles are pretest's.
  const t0 = Date.now();
  execFileSync('npm', ['run', '--silent', 'build:jsii'], { cwd: ROOT, stdio: 'pipe' });
  tarballs = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'package.js'), '--out', out, '--stage', path.join(out, 'cdktn-alb')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  timings.push(`build and pack both: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true });
  process.stdout.write(`package e2e timings: ${timings.join('; ')}\n`);
});

function tarList(tarball: string): string[] {
  return execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
}

function tarRead(tarball: string, file: string): string {
  return execFileSync('tar', ['xzf', tarball, '-O', `package/${file}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

describe.each(FLAVOURS)('the $packageName tarball', (flavour) => {
  it('carries the jsii assembly, LICENSE, compiled constructs and runtime bundles, and nothing else of the repository', () => {
    const tarball = tarballs[flavour.framework];
    expect(path.basename(tarball)).toBe(`${flavour.packageName}-0.1.0.tgz`);
    const files = tarList(tarball);
    expect(files).toEqual(expect.arrayContaining([
      '.jsii', 'LICENSE', 'README.md', 'API.md', 'package.json', 'dist/index.js', 'dist/index.d.ts',
      'dist/constructs/load-balancer.js', 'dist/constructs/load-balancer.d.ts', 'dist/runtime/alb-runtime.js',
      'dist/constructs/infrastructure/ssh/ssh-infrastructure.js', 'dist/hosts/local-vm.js', 'dist/hosts/alb-host.js',
      'hosts/ssh/no-program-files/README.txt',
    ]));
    const stray = files.filter((f) => f.endsWith('.map') || /\.ts$/.test(f.replace(/\.d\.ts$/, '')) || /^(test|bench|runtime|scripts|examples|docs|\.ci|lib|constructs|build)\//.test(f) || /^hosts\/(?!ssh\/no-program-files\/)/.test(f) || f.endsWith('.tsbuildinfo'));
    expect(stray).toEqual([]);

    const manifest = JSON.parse(tarRead(tarball, 'package.json'));
    expect(manifest.name).toBe(flavour.packageName);
    expect(manifest.license).toBe('Apache-2.0');
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual([flavour.framework, 'constructs']);
    expect(tarRead(tarball, 'LICENSE')).toContain('Apache License\n                           Version 2.0, January 2004');

    const assembly = JSON.parse(tarRead(tarball, '.jsii'));
    expect(assembly.schema).toBe('jsii/0.10.0');
    expect(assembly.name).toBe(flavour.packageName);
    expect(Object.keys(assembly.dependencies).sort()).toEqual([flavour.framework, 'constructs']);
    expect(Object.keys(assembly.types)).toEqual(expect.arrayContaining([`${flavour.packageName}.LoadBalancer`, `${flavour.packageName}.LocalInfrastructure`, `${flavour.packageName}.AlbTesting`]));

    const other = flavour.framework === 'cdktf' ? 'cdktn' : 'cdktf';
    const compiled = files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/runtime/') && !f.startsWith('dist/hosts/') && f.endsWith('.js'));
    const wrong = compiled.filter((f) => tarRead(tarball, f).includes(`require("${other}")`));
    expect(wrong).toEqual([]);
    expect(tarRead(tarball, 'dist/constructs/load-balancer.js')).toContain(`require("${flavour.framework}")`);
  });
});

describe.each(FLAVOURS)('a $framework user', (flavour) => {
  let project: string;
  let stateDir: string;
  let destroyed = true;

  beforeAll(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), `alb-user-${flavour.framework}-`));
    stateDir = path.join(project, '.alb-state');
  });

  afterAll(() => {
    if (!destroyed) killRecorded(stateDir);
    fs.rmSync(project, { recursive: true, force: true });
  });

  it(`installs ${flavour.packageName} with a plain npm install, and deploys, serves and destroys the README example with the ${flavour.framework} CLI`, async () => {
    const { node, entry, env: cliEnv } = flavour.cli();
    const [listener, admin, app, legacy] = await freePorts(4);
    const terraformrc = path.join(project, 'terraformrc');
    fs.writeFileSync(terraformrc, '');
    const env: NodeJS.ProcessEnv = {
      ...cliEnv, CI: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: terraformrc, TF_IN_AUTOMATION: '1', NO_COLOR: '1',
      LISTENER_PORT: String(listener), ADMIN_PORT: String(admin), APP_PORT: String(app), LEGACY_PORT: String(legacy),
    };
    fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: `alb-user-${flavour.framework}`, version: '1.0.0', private: true }, null, 2)}\n`);
    fs.writeFileSync(path.join(project, 'cdktf.json'), `${JSON.stringify({ language: 'typescript', app: 'node main.js', terraformProviders: [], terraformModules: [], sendCrashReports: 'false' }, null, 2)}\n`);
    fs.writeFileSync(path.join(project, 'main.js'), userApp(flavour.framework, flavour.packageName));
    fs.copyFileSync(path.join(ROOT, 'examples', 'quickstart', 'app.js'), path.join(project, 'server.js'));

    const step = async (name: string, fn: () => Promise<unknown>) => {
      const t0 = Date.now();
      await fn();
      timings.push(`${flavour.framework} ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    };
    await step('npm install', () => run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarballs[flavour.framework], ...flavour.userDependencies], project, env));
    await step('synth', () => run(node, [entry, 'synth'], project, env));
    destroyed = false;
    await step('deploy', () => run(node, [entry, 'deploy', 'alb', '--auto-approve', '--skip-synth'], project, env));

    // Served through an LB node by the availability group's VMs (the legacy target is not running).
    const stackDir = path.join(project, 'cdktf.out', 'stacks', 'alb');
    const outputs = JSON.parse(await run('terraform', ['output', '-json'], stackDir, env));
    const endpoints = Object.values(outputs.web_endpoints.value as Record<string, string[]>).flat();
    expect(endpoints).toHaveLength(4);
    const vms = new Set((outputs.app_vms.value as { name: string }[]).map((v) => v.name));
    for (const endpoint of endpoints) {
      expect(await eventually(async () => vms.has((await get(endpoint)).vm), 60000)).toBe(true);
    }
    const pids = [...recordedPids(stateDir).values()];
    expect(pids.length).toBe(8); // 4 LB nodes, 4 VMs

    await step('destroy', () => run(node, [entry, 'destroy', 'alb', '--auto-approve'], project, env));
    destroyed = true;
    expect(await eventually(async () => pids.every((pid) => !alive(pid)), 10000)).toBe(true);
    for (const endpoint of endpoints) {
      const [host, port] = endpoint.split(':');
      expect(listensOn(host, Number(port))).toBe(false);
    }
  });
});
