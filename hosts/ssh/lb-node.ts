/**
 * An LB node on an SSH host, as the rolling deploy sees it: `apply` brings one node to a
 * config and a runtime bundle — a hot reload when only the config changed (same primary pid,
 * listeners kept), a restart when the bundle changed, a start when it is not running — and
 * returns only once the node's /healthz answers; `stop` stops it and removes its state.
 *
 * The runtime itself does the work (its `start`, `reload`, `stop`, `run` commands); this
 * decides which, and keeps it under the host's supervisor.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { nodeFiles, readAdminAddress, writeFileAtomic } from '../../lib/process/state-dir';
import { httpOk, pidAlive, readPid, terminateGroup, waitUntil } from '../../lib/process/supervision';
import { Supervisor, removeUnit, startUnit, unitPid } from './supervisor';

export interface NodeOptions {
  readonly installDir: string;
  readonly node: string;
  readonly supervisor: Supervisor;
}

export interface ApplyOptions extends NodeOptions {
  /** The config document to serve (uploaded by the deploy). */
  readonly config: string;
  /** The runtime bundle to run (content-addressed under installDir/bin). */
  readonly runtime: string;
  readonly workers?: number;
  /** How long the node may take to serve / to answer /healthz. */
  readonly waitMs: number;
}

const DRAIN_MS = 10_000;

export function stateDir(installDir: string): string {
  return path.join(installDir, 'state');
}

/** Which bundle the node runs (written after each successful apply). */
function bundleRecord(o: NodeOptions): string {
  return path.join(nodeFiles(stateDir(o.installDir), o.node).dir, 'runtime.bundle');
}

function runningPid(o: NodeOptions): number | null {
  if (o.supervisor === 'systemd') return unitPid(o.node);
  const pid = readPid(nodeFiles(stateDir(o.installDir), o.node).pid);
  return pid !== null && pidAlive(pid) ? pid : null;
}

/** Runs the runtime bundle's own CLI with our stdout/stderr; its exit code. */
function runtimeCli(bundle: string, args: string[]): number {
  const r = spawnSync(process.execPath, [bundle, ...args], { stdio: 'inherit' });
  if (r.error) throw new Error(`cannot run ${bundle}: ${r.error.message}`);
  return r.status ?? 1;
}

async function healthy(o: ApplyOptions): Promise<boolean> {
  const files = nodeFiles(stateDir(o.installDir), o.node);
  return waitUntil(async () => {
    const admin = readAdminAddress(files.admin);
    return admin !== null && httpOk(admin.host, admin.port, '/healthz');
  }, o.waitMs);
}

async function start(o: ApplyOptions): Promise<number> {
  const dir = stateDir(o.installDir);
  const files = nodeFiles(dir, o.node);
  if (o.supervisor === 'daemon') {
    const args = ['start', '--config', o.config, '--node', o.node, '--state-dir', dir, '--wait-ms', String(o.waitMs)];
    if (o.workers !== undefined) args.push('--workers', String(o.workers));
    return runtimeCli(o.runtime, args);
  }
  // systemd runs the runtime in the foreground on the node's own copy of the config (which a
  // reload replaces, so a restart by systemd serves the latest applied config).
  if (runtimeCli(o.runtime, ['validate', '--config', o.config, '--node', o.node]) !== 0) return 1;
  writeFileAtomic(files.config, fs.readFileSync(o.config));
  fs.rmSync(files.admin, { force: true });
  const command = [process.execPath, o.runtime, 'run', '--config', files.config, '--node', o.node, '--state-dir', dir,
    '--access-log', files.accessLog, '--drain-ms', String(DRAIN_MS), ...(o.workers !== undefined ? ['--workers', String(o.workers)] : [])];
  startUnit(o.node, {
    description: `cdktf-alb LB node ${o.node}`, command, workingDirectory: files.dir, environment: {},
    stopTimeoutSec: Math.ceil(DRAIN_MS / 1000) + 5, lbNode: true, logFile: files.log,
  });
  if (!(await healthy(o))) {
    process.stderr.write(`node ${o.node}: not serving ${o.waitMs} ms after systemd started it; see ${files.log}\n`);
    return 1;
  }
  process.stdout.write(`node ${o.node} serving under systemd (pid ${unitPid(o.node)})\n`);
  return 0;
}

/** Brings the node to `config` on `runtime`; 0 once it answers /healthz. */
export async function applyNode(o: ApplyOptions): Promise<number> {
  const dir = stateDir(o.installDir);
  const pid = runningPid(o);
  const record = bundleRecord(o);
  const current = fs.existsSync(record) ? fs.readFileSync(record, 'utf8').trim() : null;
  let code: number;
  if (pid !== null && current === o.runtime) {
    // Hot reload: same primary, listeners kept; refused → exit 1 and the old config serves on.
    code = runtimeCli(o.runtime, ['reload', '--config', o.config, '--node', o.node, '--state-dir', dir, '--timeout-ms', String(o.waitMs)]);
  } else {
    if (pid !== null) {
      // A new runtime bundle: this node restarts (the deploy walks nodes one at a time).
      process.stdout.write(`node ${o.node}: runtime bundle changed (${current ?? 'unknown'} → ${path.basename(o.runtime)}); restarting\n`);
      if (runtimeCli(o.runtime, ['validate', '--config', o.config, '--node', o.node]) !== 0) return 1;
      await stopProcess(o, pid);
    }
    code = await start(o);
  }
  if (code !== 0) return code;
  if (!(await healthy(o))) {
    process.stderr.write(`node ${o.node}: /healthz does not answer 200 within ${o.waitMs} ms\n`);
    return 1;
  }
  writeFileAtomic(record, `${o.runtime}\n`);
  return 0;
}

async function stopProcess(o: NodeOptions, pid: number): Promise<void> {
  if (o.supervisor === 'systemd') {
    await removeUnit(o.node);
    return;
  }
  // The runtime drains on SIGTERM; its workers go with the process group.
  await terminateGroup(pid, DRAIN_MS + 5000, { leaderOnly: true });
}

/** Stops the node (if running) and removes its state directory. */
export async function stopNode(o: NodeOptions): Promise<string> {
  const pid = runningPid(o);
  if (o.supervisor === 'systemd') await removeUnit(o.node);
  else if (pid !== null) await stopProcess(o, pid);
  fs.rmSync(nodeFiles(stateDir(o.installDir), o.node).dir, { recursive: true, force: true });
  return pid === null ? `node ${o.node} was not running; state removed` : `node ${o.node} stopped (pid ${pid}); state removed`;
}
