/**
 * Helpers for the end-to-end deploy tests: synth the e2e app into a temporary directory, run
 * the real `terraform` there, talk HTTP to the deployed nodes, and clean up everything a
 * deployment may have left (terraform destroy, then any pid still recorded in the state dir).
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { pidAlive } from '../../lib/process/supervision';

export const ROOT = path.join(__dirname, '..', '..');

export interface Workspace {
  dir: string;
  outDir: string;
  stackDir: string;
  stateDir: string;
  tfState: string;
  cliConfig: string;
  ports: { listener: number; admin: number; app: number; legacy: number };
}

/** Ports free on every loopback address we use (a 0.0.0.0 or 127.0.0.1 holder makes bind fail). */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const p = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(p));
      });
    });
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

export async function createWorkspace(): Promise<Workspace> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-e2e-'));
  const [listener, admin, app, legacy] = await freePorts(4);
  const cliConfig = path.join(dir, 'terraformrc');
  // An empty CLI config: no warning about a missing ~/.terraformrc, no provider downloads.
  fs.writeFileSync(cliConfig, '');
  return {
    dir,
    outDir: path.join(dir, 'cdktf.out'),
    stackDir: path.join(dir, 'cdktf.out', 'stacks', 'e2e'),
    stateDir: path.join(dir, 'state'),
    tfState: path.join(dir, 'terraform.tfstate'),
    cliConfig,
    ports: { listener, admin, app, legacy },
  };
}

export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${command} ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`));
      } else {
        // Terraform colours its output even when not on a terminal; tests match plain text.
        resolve((stdout + stderr).replace(/\x1b\[[0-9;]*m/g, ''));
      }
    });
  });
}

/** The e2e app's knobs (see test/e2e/app/main.ts). */
export interface Knobs {
  legacyWeight: number;
  appCount: number;
  /** RELEASE in the app VMs' environment: changing it changes what every app VM runs. */
  release: string;
  /** Declare a "canary" availability group before all other groups. */
  canaryFirst?: boolean;
}

/** Under `npm run test:cdktn` the app synthesizes with cdktn in place of cdktf (app/use-cdktn.js). */
function frameworkPreload(): string[] {
  return process.env.ALB_TEST_FRAMEWORK === 'cdktn' ? ['-r', path.join(__dirname, 'app', 'use-cdktn.js')] : [];
}

/** Synthesizes test/e2e/app/main.ts into the workspace with the given knobs. */
export async function synth(ws: Workspace, knobs: Knobs): Promise<void> {
  // The workspace is the project directory, as a user's own project would be: the project
  // secret (.cdktf-alb/secret) is created there, not in this repository's working tree.
  await run(process.execPath, [...frameworkPreload(), require.resolve('ts-node/dist/bin.js'), '--transpile-only', '-P', path.join(ROOT, 'tsconfig.dev.json'), path.join(ROOT, 'test/e2e/app/main.ts')], {
    cwd: ws.dir,
    timeoutMs: 120000,
    env: {
      ...process.env,
      CDKTF_OUTDIR: ws.outDir,
      E2E_STATE_DIR: ws.stateDir,
      E2E_TFSTATE: ws.tfState,
      E2E_LISTENER_PORT: String(ws.ports.listener),
      E2E_ADMIN_PORT: String(ws.ports.admin),
      E2E_APP_PORT: String(ws.ports.app),
      E2E_LEGACY_PORT: String(ws.ports.legacy),
      E2E_LEGACY_WEIGHT: String(knobs.legacyWeight),
      E2E_APP_COUNT: String(knobs.appCount),
      E2E_APP_RELEASE: knobs.release,
      E2E_CANARY_FIRST: knobs.canaryFirst ? '1' : '0',
    },
  });
  checkFramework(ws);
}

/** The framework the synth must have used: its version is in the output's manifest.json. */
function checkFramework(ws: Workspace): void {
  const framework = process.env.ALB_TEST_FRAMEWORK === 'cdktn' ? 'cdktn' : 'cdktf';
  const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', framework, 'package.json'), 'utf8')).version;
  const { version } = JSON.parse(fs.readFileSync(path.join(ws.outDir, 'manifest.json'), 'utf8'));
  if (version !== expected) throw new Error(`the e2e app was synthesized by version ${version}, not by ${framework} ${expected}`);
}

export function terraform(ws: Pick<Workspace, 'stackDir' | 'cliConfig'>, args: string[], timeoutMs = 180000): Promise<string> {
  return run('terraform', args, {
    cwd: ws.stackDir,
    timeoutMs,
    env: { ...process.env, TF_CLI_CONFIG_FILE: ws.cliConfig, TF_IN_AUTOMATION: '1', NO_COLOR: '1', TF_INPUT: '0' },
  });
}

export async function outputs(ws: Pick<Workspace, 'stackDir' | 'cliConfig'>): Promise<any> {
  const json = JSON.parse(await terraform(ws, ['output', '-json']));
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, (v as { value: unknown }).value]));
}

/** pid of every daemon recorded in the state dir, by VM name. */
export function recordedPids(stateDir: string): Map<string, number> {
  const pids = new Map<string, number>();
  if (!fs.existsSync(stateDir)) return pids;
  for (const vm of fs.readdirSync(stateDir)) {
    for (const file of ['runtime.pid', 'vm.pid']) {
      const f = path.join(stateDir, vm, file);
      if (fs.existsSync(f)) pids.set(vm, Number(fs.readFileSync(f, 'utf8').trim()));
    }
  }
  return pids;
}

export const alive = pidAlive;

/** Last resort after a failed test: kill every recorded daemon's process group. */
export function killRecorded(stateDir: string): number[] {
  const killed: number[] = [];
  for (const pid of recordedPids(stateDir).values()) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
        killed.push(pid);
      } catch {
        /* gone */
      }
    }
  }
  return killed;
}

export interface Reply {
  status: number;
  vm: string;
  setCookie: string[];
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** GET / through an LB node; `vm` is the answering VM (or "legacy"). */
export function get(endpoint: string, options: { cookie?: string; keepAlive?: boolean; timeoutMs?: number } = {}): Promise<Reply> {
  const [host, port] = endpoint.split(':');
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host, port: Number(port), path: '/', timeout: options.timeoutMs ?? 5000,
        agent: options.keepAlive ? keepAlive : false,
        headers: options.cookie ? { cookie: options.cookie } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          let vm = '';
          try {
            vm = JSON.parse(body).vm ?? '';
          } catch {
            vm = '';
          }
          const setCookie = res.headers['set-cookie'] ?? [];
          resolve({ status: res.statusCode ?? 0, vm, setCookie });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout on ${endpoint}`)));
    req.on('error', reject);
  });
}

export function closeKeepAlive(): void {
  keepAlive.destroy();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true or the deadline passes; returns the last verdict. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Fresh host bundles (this deploy code); the runtime bundle as `npm test`'s pretest built it,
 * built here only when missing (so running this file alone works too).
 */
export function buildBundles(): void {
  const script = path.join(ROOT, 'scripts', 'build-runtime.js');
  execFileSync(process.execPath, [script, 'local-vm.js', 'alb-host.js'], { stdio: 'pipe' });
  if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'alb-runtime.js'))) execFileSync(process.execPath, [script, 'alb-runtime.js'], { stdio: 'pipe' });
}
