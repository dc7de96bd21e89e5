/**
 * Starts and stops availability-group VMs as daemons: a VM is a detached process group (so
 * whoever started it — Terraform's local-exec, an SSH session — is free to return) with its
 * output in `<stateDir>/<name>/vm.log`, listening on its address. Used by the local target's
 * launcher (hosts/local) and by the SSH target's host agent when the host has no systemd
 * (hosts/ssh); which addresses are acceptable is the caller's rule.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  groupMembers, logTail, pidAlive, portAccepts, processStartTicks, sleep, terminateGroup,
} from '../../lib/process/supervision';
import { VmRecord, VmSpec, logFile, readRecord, recordAlive, vmDir, writeRecord } from './vm-record';

export interface StartOptions extends VmSpec {
  stateDir: string;
  /** Extra environment (HOST, PORT, VM_NAME, VM_ZONE, VM_RACK always win). */
  env?: { [key: string]: string };
  /** Working directory of the command. @default process.cwd() */
  cwd?: string;
  /** How long to wait for the port to accept connections. @default 20000 */
  readyTimeoutMs?: number;
  /** The deployment instance starting it (see VmRecord.instance). A VM started by another instance is replaced. */
  instance?: string;
  /** Rollout group: replacements of its VMs are serialised (one VM down at a time). */
  group?: string;
}

export interface StartResult {
  record: VmRecord;
  /** false when the VM was already running (start is idempotent). */
  started: boolean;
  /** The VM belonged to another instance and was stopped and started again. */
  replaced: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new Error(`--name ${JSON.stringify(name)} is not a valid VM name (allowed: letters, digits, ".", "_", "-", starting with a letter or digit)`);
  }
}

/** Starts the VM unless the recorded process is already running; waits until its port accepts. */
export async function startVm(options: StartOptions): Promise<StartResult> {
  checkName(options.name);
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new Error(`--port ${JSON.stringify(options.port)} is not a port (allowed: 1..65535)`);
  }
  const timeoutMs = options.readyTimeoutMs ?? 20000;
  const existing = readRecord(options.stateDir, options.name);
  if (existing !== null && recordAlive(existing)) {
    if (options.instance === undefined || (existing.instance ?? undefined) === options.instance) {
      // Idempotent: a re-run provisioner finds the VM up; still report readiness honestly.
      await waitForPort(existing, timeoutMs, options.stateDir);
      return { record: existing, started: false, replaced: false };
    }
    // Same VM, new instance (Terraform creates the replacement before destroying the old
    // one): swap the process in place, one VM of the group at a time, so the others
    // keep serving while this one restarts.
    const lock = await acquireRolloutLock(options.stateDir, options.group ?? options.name, timeoutMs * 3);
    try {
      const downAt = Date.now();
      await killGroup(existing.pid, 5000);
      const record = await launch(options, timeoutMs);
      appendRollout(options.stateDir, { group: options.group ?? null, vm: options.name, from: existing.instance ?? null, to: options.instance, downAt, upAt: Date.now() });
      return { record, started: true, replaced: true };
    } finally {
      lock.release();
    }
  }
  return { record: await launch(options, timeoutMs), started: true, replaced: false };
}

/** Spawns the VM detached, records it, waits for its port; kills it again if it never gets ready. */
async function launch(options: StartOptions, timeoutMs: number): Promise<VmRecord> {
  fs.mkdirSync(vmDir(options.stateDir, options.name), { recursive: true });
  const log = fs.openSync(logFile(options.stateDir, options.name), 'a');
  let child;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd ?? process.cwd(),
      detached: true, // own process group: stop kills the whole group, local-exec does not wait for it
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        ...(options.env ?? {}),
        HOST: options.address,
        PORT: String(options.port),
        VM_NAME: options.name,
        VM_ZONE: options.zone,
        VM_RACK: options.rack,
      },
    });
  } finally {
    fs.closeSync(log);
  }
  const spawnError = await new Promise<Error | null>((resolve) => {
    child.once('error', (e) => resolve(e));
    child.once('spawn', () => resolve(null));
  });
  if (spawnError !== null || child.pid === undefined) {
    throw new Error(`VM ${options.name}: cannot run ${JSON.stringify(options.command)}: ${spawnError?.message ?? 'no pid'}`);
  }
  const record: VmRecord = {
    name: options.name,
    pid: child.pid,
    startTicks: processStartTicks(child.pid),
    address: options.address,
    port: options.port,
    zone: options.zone,
    rack: options.rack,
    command: options.command,
    args: options.args,
    startedAt: new Date().toISOString(),
    instance: options.instance ?? null,
    group: options.group ?? null,
  };
  writeRecord(options.stateDir, record);
  child.unref();
  try {
    await waitForPort(record, timeoutMs, options.stateDir);
  } catch (e) {
    await killGroup(record.pid, 2000);
    throw e;
  }
  return record;
}

/** `<stateDir>/rollout.log`: one JSON line per in-place replacement (when each VM was down). */
export function rolloutLogFile(stateDir: string): string {
  return path.join(stateDir, 'rollout.log');
}

function appendRollout(stateDir: string, entry: object): void {
  fs.appendFileSync(rolloutLogFile(stateDir), JSON.stringify(entry) + '\n');
}

/**
 * A lock file per rollout group (`<stateDir>/.rollout-<group>.lock`, holding the holder's pid).
 * Created with O_EXCL; a lock whose holder died is taken over.
 */
async function acquireRolloutLock(stateDir: string, group: string, timeoutMs: number): Promise<{ release(): void }> {
  const file = path.join(stateDir, `.rollout-${group}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => fs.rmSync(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(fs.readFileSync(file, 'utf8').trim() || '0');
    if (!(holder > 0 && pidAlive(holder))) {
      fs.rmSync(file, { force: true }); // stale: its holder is gone
      continue;
    }
    if (Date.now() > deadline) throw new Error(`rollout lock ${file} still held by pid ${holder} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function waitForPort(record: VmRecord, timeoutMs: number, stateDir: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await portAccepts(record.address, record.port)) return;
    if (!pidAlive(record.pid)) {
      throw new Error(`VM ${record.name} exited before ${record.address}:${record.port} accepted connections; last lines of ${logFile(stateDir, record.name)}:\n${logTail(logFile(stateDir, record.name))}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`VM ${record.name} (pid ${record.pid}) did not accept connections on ${record.address}:${record.port} within ${timeoutMs} ms; last lines of its log:\n${logTail(logFile(stateDir, record.name))}`);
    }
    await sleep(100);
  }
}

/** SIGTERM to the VM's process group, SIGKILL after graceMs. */
export const killGroup = terminateGroup;

export interface StopResult {
  name: string;
  /**
   * What happened to the process. 'absent' = no record (already stopped: stop is idempotent);
   * 'superseded' = left alone, a newer instance than the one asking to stop runs it.
   */
  outcome: 'absent' | 'gone' | 'terminated' | 'killed' | 'superseded';
}

/** Stops the VM (if running) and removes its state directory; also the state dir when empty. */
export async function stopVm(stateDir: string, name: string, graceMs = 5000, instance?: string): Promise<StopResult> {
  checkName(name);
  const record = readRecord(stateDir, name);
  let outcome: StopResult['outcome'] = 'absent';
  if (record !== null && instance !== undefined && (record.instance ?? undefined) !== instance && recordAlive(record)) {
    // The destroy of an instance that was already replaced in place: a newer instance runs it now.
    return { name, outcome: 'superseded' };
  }
  if (record !== null) {
    // Only signal the group if it is still ours: the leader is the process we started, or
    // the leader is gone but members of its group remain (Linux does not hand out a pid
    // while a process group of that id exists, so they can only be our VM's children).
    const ours = recordAlive(record) || (!pidAlive(record.pid) && groupMembers(record.pid).length > 0);
    outcome = ours ? await killGroup(record.pid, graceMs) : 'gone';
  }
  fs.rmSync(vmDir(stateDir, name), { recursive: true, force: true });
  removeStateDirIfEmpty(stateDir);
  return { name, outcome };
}

/**
 * The last VM out removes the state dir, with the rollout log that belongs to no VM; while any
 * VM directory remains (or on a race with a starting VM) it is left alone.
 */
function removeStateDirIfEmpty(stateDir: string): void {
  try {
    const entries = fs.readdirSync(stateDir, { withFileTypes: true });
    if (entries.some((e) => e.isDirectory())) return;
    fs.rmSync(rolloutLogFile(stateDir), { force: true });
    fs.rmdirSync(stateDir); // fails harmlessly if something appeared meanwhile
  } catch {
    /* not empty or already gone */
  }
}

export interface VmStatus {
  name: string;
  running: boolean;
  accepting: boolean;
  record: VmRecord | null;
}

export async function vmStatus(stateDir: string, name: string): Promise<VmStatus> {
  checkName(name);
  const record = readRecord(stateDir, name);
  const running = record !== null && recordAlive(record);
  const accepting = running && (await portAccepts((record as VmRecord).address, (record as VmRecord).port));
  return { name, running, accepting, record };
}

/**
 * Removes `<stateDir>/<name>` left by another daemon (the LB runtime's stop keeps its log),
 * refusing while any pid file in it names a live process; removes the state dir when empty.
 */
export function cleanState(stateDir: string, name: string): { removed: boolean } {
  checkName(name);
  const dir = vmDir(stateDir, name);
  if (!fs.existsSync(dir)) return { removed: false };
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
    const pid = Number(fs.readFileSync(`${dir}/${file}`, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
      throw new Error(`${dir}/${file}: process ${pid} is still running; stop it first`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  removeStateDirIfEmpty(stateDir);
  return { removed: true };
}
