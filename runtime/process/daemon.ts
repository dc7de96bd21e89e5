/**
 * `start`, `stop`, `status`, `reload`: a node as a daemon in a state directory, for the deploy
 * targets. Each returns the process exit code and writes what a user needs to stdout/stderr.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { adminGet, parseHostPort } from '../admin/client';
import { sha256Hex as configHash } from '../../lib/config/hash';
import { bearerHeader, readAdminToken } from '../admin/token';
import { ConfigError, formatIssues } from '../config/issues';
import { loadConfigFile } from '../config/load';
import { SERVING_V8_FLAGS } from './v8-flags';
import { logTail, pidAlive, readPid, sleep, terminateGroup } from '../../lib/process/supervision';
import { AdminAddress, nodeFiles, readAdminAddress, removeQuietly, writeFileAtomic } from '../../lib/process/state-dir';

export interface StartOptions {
  config: string;
  node: string;
  stateDir: string;
  workers?: number;
  accessLog?: string;
  drainMs?: number;
  waitMs: number;
}

const POLL_MS = 100;

export async function startDaemon(o: StartOptions): Promise<number> {
  const files = nodeFiles(o.stateDir, o.node);
  if (!checkConfig(o.config, o.node, true)) return 1;

  const running = runningPid(files.pid, o.node);
  if (running !== null) {
    const admin = readAdminAddress(files.admin);
    if (admin && await answers(admin.host, admin.port, '/healthz')) {
      const serving = (await readStatus(admin))?.configHash;
      const differs = serving !== undefined && serving !== configHash(fs.readFileSync(o.config));
      process.stdout.write(`node ${o.node} already running (pid ${running})` +
        `${differs ? '; it serves a different config: use `alb-runtime reload` to change it' : ''}\n`);
      return 0;
    }
    // Alive but not answering (still starting or wedged): wait for it like a fresh start.
    return waitUntilServing(o.node, running, files, o.waitMs);
  }

  fs.mkdirSync(files.dir, { recursive: true });
  // The node gets its own copy: the caller's file may be a temp file or change later.
  writeFileAtomic(files.config, fs.readFileSync(o.config));
  removeQuietly(files.admin);
  removeQuietly(files.staged);

  // Absolute paths: the daemon must not depend on the caller's working directory for its own files.
  const args = [path.resolve(process.argv[1]), 'run', '--config', path.resolve(files.config), '--node', o.node,
    '--state-dir', path.resolve(o.stateDir), '--access-log', accessLogArg(o.accessLog ?? files.accessLog)];
  if (o.workers !== undefined) args.push('--workers', String(o.workers));
  if (o.drainMs !== undefined) args.push('--drain-ms', String(o.drainMs));
  const log = fs.openSync(files.log, 'a');
  // Detached into its own session with stdio on the log file: whoever started us (Terraform's
  // local-exec waits for every holder of its pipes) is free to return.
  const child = spawn(process.execPath, [...SERVING_V8_FLAGS, ...args], { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  if (child.pid === undefined) {
    process.stderr.write(`node ${o.node}: could not spawn the runtime\n`);
    return 1;
  }
  writeFileAtomic(files.pid, `${child.pid}\n`);
  return waitUntilServing(o.node, child.pid, files, o.waitMs);
}

async function waitUntilServing(node: string, pid: number, files: ReturnType<typeof nodeFiles>, waitMs: number): Promise<number> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) {
      process.stderr.write(`node ${node}: the runtime exited during startup. Last lines of ${files.log}:\n${logTail(files.log)}\n`);
      removeQuietly(files.pid);
      return 1;
    }
    const admin = readAdminAddress(files.admin);
    if (admin && await answers(admin.host, admin.port, '/healthz')) {
      process.stdout.write(`node ${node} serving (pid ${pid}, admin ${admin.host}:${admin.port})\n`);
      return 0;
    }
    await sleep(POLL_MS);
  }
  process.stderr.write(`node ${node}: not serving after ${waitMs} ms; stopping it. Last lines of ${files.log}:\n${logTail(files.log)}\n`);
  await terminate(pid, 5000);
  removeQuietly(files.pid);
  return 1;
}

export async function stopDaemon(o: { node: string; stateDir: string; timeoutMs: number }): Promise<number> {
  const files = nodeFiles(o.stateDir, o.node);
  const pid = runningPid(files.pid, o.node);
  if (pid === null) {
    removeQuietly(files.pid);
    removeQuietly(files.admin);
    process.stdout.write(`node ${o.node} is not running\n`);
    return 0;
  }
  const graceful = await terminate(pid, o.timeoutMs);
  removeQuietly(files.pid);
  removeQuietly(files.admin);
  process.stdout.write(graceful ? `node ${o.node} stopped (pid ${pid})\n`
    : `node ${o.node} did not stop within ${o.timeoutMs} ms; killed (pid ${pid})\n`);
  return 0;
}

export async function showStatus(o: { node?: string; stateDir?: string; admin?: string; tokenFile?: string }): Promise<number> {
  const admin = resolveAdmin(o);
  if (typeof admin === 'string') {
    process.stderr.write(`${admin}\n`);
    return 1;
  }
  try {
    const res = await adminGet(admin.host, admin.port, '/status', 3000, authHeaders(admin));
    process.stdout.write(res.body.endsWith('\n') ? res.body : `${res.body}\n`);
    return res.status === 200 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`not running: ${(err as Error).message}\n`);
    return 1;
  }
}

export async function reloadDaemon(o: { config: string; node: string; stateDir: string; timeoutMs: number }): Promise<number> {
  const files = nodeFiles(o.stateDir, o.node);
  if (!checkConfig(o.config, o.node, true)) return 1;
  const pid = runningPid(files.pid, o.node);
  const admin = readAdminAddress(files.admin);
  if (pid === null || admin === null) {
    process.stderr.write(`node ${o.node} is not running (no live pid in ${files.pid}); nothing to reload\n`);
    return 1;
  }
  const bytes = fs.readFileSync(o.config);
  const hash = configHash(bytes);
  const before = await readStatus(admin);
  const previousAt = before?.lastReload?.at ?? null;

  writeFileAtomic(files.staged, bytes);
  process.kill(pid, 'SIGHUP');

  const deadline = Date.now() + o.timeoutMs;
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    if (!pidAlive(pid)) {
      process.stderr.write(`node ${o.node} exited during the reload. Last lines of ${files.log}:\n${logTail(files.log)}\n`);
      return 1;
    }
    const status = await readStatus(admin);
    if (!status) continue;
    const last = status.lastReload;
    const fresh = last !== null && last !== undefined && last.at !== previousAt && last.hash === hash;
    if (fresh && !last.ok) {
      process.stderr.write(`node ${o.node}: reload refused; the previous config keeps serving.\n${last.error}\n`);
      return 1;
    }
    if (status.configHash === hash && (fresh || before?.configHash === hash)) {
      process.stdout.write(`node ${o.node} reloaded (config ${hash.slice(0, 12)})\n`);
      return 0;
    }
  }
  process.stderr.write(`node ${o.node}: no reload result for config ${hash.slice(0, 12)} within ${o.timeoutMs} ms; see ${files.log}\n`);
  return 1;
}

/** `validate`: prints OK or every issue; true when the document may be served. */
export function checkConfig(file: string, node?: string, quiet = false): boolean {
  try {
    const loaded = loadConfigFile(file, { node });
    const c = loaded.config;
    if (!quiet) process.stdout.write(`OK: ${file} (schemaVersion ${c.schemaVersion}, ${c.listeners.length} listener(s), ` +
      `${c.backendServices.length} backend service(s), ${c.nodes.length} node(s), sha256 ${loaded.hash})\n`);
    return true;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${file}: invalid config (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}):\n${formatIssues(err.issues)}\n`);
    } else {
      process.stderr.write(`${file}: ${(err as Error).message}\n`);
    }
    return false;
  }
}

interface StatusDoc {
  configHash?: string;
  lastReload?: { ok: boolean; hash: string | null; error: string | null; at: string } | null;
}

/** The Authorization header for a node whose admin endpoint asks for a token (read from its file now). */
function authHeaders(admin: AdminAddress): Record<string, string> {
  return admin.tokenFile === null ? {} : bearerHeader(readAdminToken(admin.tokenFile));
}

async function readStatus(admin: AdminAddress): Promise<StatusDoc | null> {
  try {
    const res = await adminGet(admin.host, admin.port, '/status', 3000, authHeaders(admin));
    return res.status === 200 ? JSON.parse(res.body) as StatusDoc : null;
  } catch {
    return null;
  }
}

function resolveAdmin(o: { node?: string; stateDir?: string; admin?: string; tokenFile?: string }): AdminAddress | string {
  if (o.admin) return { ...parseHostPort(o.admin), tokenFile: o.tokenFile ?? null };
  if (!o.node || !o.stateDir) return 'status needs --node NAME --state-dir DIR, or --admin HOST:PORT';
  const files = nodeFiles(o.stateDir, o.node);
  const pid = runningPid(files.pid, o.node);
  const admin = readAdminAddress(files.admin);
  if (pid === null || admin === null) return `node ${o.node} is not running (state dir ${files.dir})`;
  return admin;
}

/** The pid in the file if that process is alive and is this node's runtime (not a reused pid). */
function runningPid(pidFile: string, node: string): number | null {
  const pid = readPid(pidFile);
  if (pid === null || !pidAlive(pid)) return null;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = cmdline.indexOf('--node');
    if (!cmdline.includes('run') || i < 0 || cmdline[i + 1] !== node) return null;
  } catch {
    // No /proc (not Linux): trust the pid file.
  }
  return pid;
}

/** SIGTERM to the primary (it drains), then SIGKILL to its whole process group after timeoutMs. */
async function terminate(pid: number, timeoutMs: number): Promise<boolean> {
  return (await terminateGroup(pid, timeoutMs, { leaderOnly: true })) !== 'killed';
}

async function answers(host: string, port: number, p: string): Promise<boolean> {
  try {
    return (await adminGet(host, port, p, 1000)).status === 200;
  } catch {
    return false;
  }
}

/** Files become absolute; the keywords (off, stdout, -) stay as they are. */
function accessLogArg(value: string): string {
  return value === 'off' || value === 'stdout' || value === '-' ? value : path.resolve(value);
}
