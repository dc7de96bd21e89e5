/**
 * Every process the harness starts is registered here, so that one call (on success, on error,
 * on Ctrl-C / SIGTERM) kills them all. Children are started in their own process group
 * (detached) so a kill reaches their workers too (nginx workers, node cluster workers).
 */
import { spawn, ChildProcess, SpawnOptions } from 'child_process';
import * as fs from 'fs';

export interface Started {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<string>;
  logFile: string;
}

const running = new Set<Started>();

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  /** CPU list for taskset (e.g. "0" or "0-1"); undefined = no pinning. */
  cpus?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function startProcess(opts: StartOptions): Started {
  const out = fs.openSync(opts.logFile, 'a');
  let command = opts.command;
  let args = opts.args;
  if (opts.cpus !== undefined) {
    args = ['-c', opts.cpus, command, ...args];
    command = 'taskset';
  }
  const spawnOpts: SpawnOptions = {
    stdio: ['ignore', out, out],
    detached: true,
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  };
  const child = spawn(command, args, spawnOpts);
  fs.closeSync(out);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? String(code)));
    child.once('error', (err) => resolve(`spawn error: ${err.message}`));
  });
  const started: Started = { name: opts.name, child, exited, logFile: opts.logFile };
  running.add(started);
  void exited.then(() => running.delete(started));
  return started;
}

/** SIGTERM to the process group, then SIGKILL after graceMs if it is still there. */
export async function stopProcess(p: Started, graceMs = 3000): Promise<string> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  signalGroup(p, 'SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  const result = await Promise.race([p.exited, timer]);
  if (result === 'timeout') {
    signalGroup(p, 'SIGKILL');
    return p.exited;
  }
  // The group leader is gone; make sure no orphaned worker of its group stays behind.
  signalGroup(p, 'SIGKILL');
  return result;
}

function signalGroup(p: Started, sig: NodeJS.Signals): void {
  const pid = p.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    try { process.kill(pid, sig); } catch { /* already gone */ }
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => stopProcess(p, 2000)));
}

/** Synchronous variant for process 'exit' handlers, where nothing async can run. */
export function killAllNow(): void {
  for (const p of running) signalGroup(p, 'SIGKILL');
}

let hooked = false;
/** Kill everything on Ctrl-C, SIGTERM, an uncaught error and on normal exit. */
export function installCleanupHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig} received, stopping every process it started\n`);
      killAllNow();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: uncaught ${err.stack ?? err}\n`);
    killAllNow();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: unhandled rejection ${(err as Error)?.stack ?? err}\n`);
    killAllNow();
    process.exit(1);
  });
}

/** Runs a command to completion with a hard timeout; returns stdout/stderr/code. */
export function runToCompletion(command: string, args: string[], timeoutMs: number,
  opts: { cpus?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  let cmd = command;
  let a = args;
  if (opts.cpus !== undefined) {
    a = ['-c', opts.cpus, cmd, ...a];
    cmd = 'taskset';
  }
  return new Promise((resolve) => {
    const child = spawn(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: opts.env ?? process.env });
    const holder: Started = {
      name: command, child, logFile: '',
      exited: new Promise((r) => child.once('exit', (c, s) => r(s ?? String(c)))),
    };
    running.add(holder);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; signalGroup(holder, 'SIGKILL'); }, timeoutMs);
    child.once('error', (err) => { stderr += err.message; });
    child.once('close', (code) => {
      clearTimeout(timer);
      running.delete(holder);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
