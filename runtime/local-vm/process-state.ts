/**
 * The on-disk state of one local VM (`<stateDir>/<name>/`): its pid file, log and metadata,
 * and the checks that tell whether the recorded process is still the one we started.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

export interface VmRecord {
  name: string;
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22), or null off Linux. */
  startTicks: number | null;
  address: string;
  port: number;
  zone: string;
  rack: string;
  command: string;
  args: string[];
  startedAt: string;
  /**
   * Which deployment instance started this VM (Terraform's id of the terraform_data
   * instance). A start by another instance replaces the VM in place; a stop by an instance
   * that is not the current one leaves the VM alone (create-before-destroy replacements).
   */
  instance?: string | null;
  /** Rollout group (e.g. the availability group): replacements within it happen one at a time. */
  group?: string | null;
}

export function vmDir(stateDir: string, name: string): string {
  return path.join(stateDir, name);
}
export function pidFile(stateDir: string, name: string): string {
  return path.join(vmDir(stateDir, name), 'vm.pid');
}
export function logFile(stateDir: string, name: string): string {
  return path.join(vmDir(stateDir, name), 'vm.log');
}
export function recordFile(stateDir: string, name: string): string {
  return path.join(vmDir(stateDir, name), 'vm.json');
}

/** Start time of a process, used to tell a recycled pid from the process we started. */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]); // field 22 overall; fields[0] is field 3
  } catch {
    return null;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** True when `pid` exists (and is not a zombie). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * Live (non-zombie) members of process group `pgid`. A VM's program may fork helpers that
 * outlive it on SIGTERM; stop must wait for the whole group, not only the leader.
 */
export function groupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    // No /proc (not Linux): ask the kernel whether the group has any member.
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] = state (field 3), fields[2] = process group (field 5)
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return members;
}

/** True when the recorded process is alive and is still the one we started. */
export function recordAlive(record: VmRecord): boolean {
  if (!pidAlive(record.pid)) return false;
  if (record.startTicks === null) return true;
  const now = processStartTicks(record.pid);
  return now === null || now === record.startTicks;
}

export function readRecord(stateDir: string, name: string): VmRecord | null {
  try {
    return JSON.parse(fs.readFileSync(recordFile(stateDir, name), 'utf8')) as VmRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${recordFile(stateDir, name)}: unreadable VM record: ${(e as Error).message}`);
  }
}

export function writeRecord(stateDir: string, record: VmRecord): void {
  fs.writeFileSync(pidFile(stateDir, record.name), `${record.pid}\n`);
  const file = recordFile(stateDir, record.name);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

/** Resolves true when a TCP connection to address:port succeeds within timeoutMs. */
export function portAccepts(address: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last `lines` lines of a file, for error messages ('' when missing). */
export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n').trim();
  } catch {
    return '';
  }
}
