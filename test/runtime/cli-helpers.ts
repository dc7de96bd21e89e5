/**
 * Shared by the process-level runtime tests (cli, daemon, cluster, reload, admin, metrics):
 * the bundled runtime, config documents, real backend servers, spawned nodes that are always
 * killed, and HTTP helpers. Every address is on 127.0.4.0/24.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { BackendServiceConfig, LbConfig, ListenerConfig } from '../../lib/config/types';
import { pidAlive } from '../../lib/process/supervision';
import { backend as baseBackend, lbConfig as baseLbConfig, listener as baseListener, target } from './helpers/config';
import { waitFor, WaitAborted } from './helpers/wait';

export { sleep, waitFor } from './helpers/wait';

export const ROOT = path.join(__dirname, '..', '..');
export const BUNDLE = path.join(ROOT, 'dist', 'runtime', 'alb-runtime.js');

/** Rebuilds the bundle when a runtime or lib source is newer (under a lock: test files run in parallel). */
export function ensureBundle(): void {
  const newest = Math.max(...['runtime', 'lib'].flatMap((d) => sources(path.join(ROOT, d))));
  const stale = () => !fs.existsSync(BUNDLE) || fs.statSync(BUNDLE).mtimeMs < newest;
  if (!stale()) return;
  execFileSync('flock', ['/tmp/alb-runtime-bundle.lock', '-c',
    `node -e "const f=require('fs');const s=${newest};if(!f.existsSync('${BUNDLE}')||f.statSync('${BUNDLE}').mtimeMs<s)require('./scripts/build-runtime.js')"`],
  { cwd: ROOT, stdio: 'inherit' });
}

function sources(dir: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|json)$/.test(e.name)) out.push(fs.statSync(p).mtimeMs);
  }
  return out;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `alb-${prefix}-`));
}

export const SECRET = 'ab'.repeat(32);

/** A backend of the process-level tests: HTTP checks configured but off, forwarded headers on, passive health off. */
export function backend(id: string, targets: Array<{ id: string; port: number; weight?: number; address?: string }>,
  over: Partial<BackendServiceConfig> = {}): BackendServiceConfig {
  return baseBackend(id, targets.map((t) => target(t.id, t.address ?? '127.0.4.200', t.port, t.weight ?? 10, 'stack/lb/sg')), {
    path: `stack/lb/${id}`,
    healthCheck: {
      enabled: false, protocol: 'HTTP', port: 0, intervalMs: 200, timeoutMs: 150, healthyThreshold: 1,
      unhealthyThreshold: 2, httpVersion: 'HTTP1.1', httpDomain: null, httpPath: '/', httpCodes: '2xx,3xx',
    },
    forwardedHeaders: { proto: true, port: true, host: true, lbIp: false, clientPort: false },
    timeouts: { connectTimeoutMs: 1000, responseTimeoutMs: 10_000 },
    passiveHealth: { maxFails: 0, failTimeoutMs: 10_000 },
    ...over,
  });
}

export function listener(id: string, port: number, backendId: string, over: Partial<ListenerConfig> = {}): ListenerConfig {
  return baseListener(id, port, backendId, { path: `stack/lb/${id}`, ...over });
}

/** A document for one node, n1 on `nodeAddress`. */
export function lbConfig(nodeAddress: string, listeners: ListenerConfig[], backends: BackendServiceConfig[],
  over: Partial<LbConfig> = {}): LbConfig {
  return baseLbConfig(listeners, backends, {
    loadBalancer: { id: 'web', path: 'stack/web', vpcCidr: '127.0.0.0/8' },
    cookieSecret: SECRET,
    nodes: [{ name: 'n1', zone: 'az-1', rack: 'r1', address: nodeAddress }],
    ...over,
  });
}

export function writeJson(dir: string, name: string, doc: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

/** A real HTTP backend answering `<name>` (and `/slow?ms=N` after N ms). */
export interface TestBackend {
  name: string;
  port: number;
  hits: number;
  /** Requests to /slow received so far. */
  slowHits: number;
  close(): Promise<void>;
}

export async function startBackend(name: string, address = '127.0.4.200', port = 0): Promise<TestBackend> {
  const b = { name, port: 0, hits: 0, slowHits: 0, close: async () => undefined } as TestBackend;
  const server = http.createServer((req, res) => {
    b.hits++;
    const slow = /^\/slow\?ms=(\d+)/.exec(req.url ?? '');
    const answer = () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(name);
    };
    req.resume();
    if (slow) b.slowHits++;
    if (slow) setTimeout(answer, Number(slow[1]));
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(port, address, r));
  b.port = (server.address() as AddressInfo).port;
  b.close = () => new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  return b;
}

/** A node started with `run`; always kill it (kill()) in afterAll/afterEach. */
export interface RunningNode {
  child: ChildProcess;
  adminPort: number;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
  kill(): void;
}

const started = new Set<ChildProcess>();

export async function startNode(args: string[],
  opts: { waitServing?: boolean; adminHost?: string; env?: Record<string, string> } = {}): Promise<RunningNode> {
  // Own process group, so kill() takes the workers down with the primary.
  const child = spawn(process.execPath, [BUNDLE, ...args], {
    detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ? { ...process.env, ...opts.env } : process.env,
  });
  started.add(child);
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => {
    started.delete(child);
    r(code);
  }));
  const node: RunningNode = {
    child, adminPort: 0, stderr: () => err, stdout: () => out, exited,
    kill: () => killTree(child),
  };
  if (opts.waitServing === false) return node;
  const first = await waitFor('admin port in the first log line', () => {
    if (child.exitCode !== null) throw new WaitAborted(`runtime exited (${child.exitCode}):\n${err}`);
    return /admin listening on [^\s]*:(\d+)/.exec(err);
  }, 20_000, 50);
  node.adminPort = Number(first[1]);
  await waitFor(`node serving:\n${err}`, async () => (await get(opts.adminHost ?? '127.0.4.1', node.adminPort, '/healthz').catch(() => null))?.status === 200, 20_000, 50);
  return node;
}

export function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
}

export function killAllStarted(): void {
  for (const c of started) killTree(c);
}

/** Runs the CLI to completion (start/stop/status/reload/validate). */
export function cli(args: string[], timeoutMs = 60_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, asynchronously (so the test process keeps serving its backends meanwhile). */
export function cliAsync(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface Response {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function get(host: string, port: number, p: string, opts: { agent?: http.Agent; timeoutMs?: number } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: p, agent: opts.agent ?? false, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${host}:${port}${p} timed out`)));
    req.on('error', reject);
  });
}

export async function getJson<T = any>(host: string, port: number, p: string): Promise<T> {
  const r = await get(host, port, p);
  if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}

/** Alive and not a zombie (an exited daemon whose parent is gone may wait unreaped here). */
export const processAlive = pidAlive;

