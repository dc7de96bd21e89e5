/**
 * The on-disk state of one VM (`<stateDir>/<name>/`): its pid file, log and metadata, and
 * whether the recorded process is still the one that was started. The same layout on this
 * machine (LocalInfrastructure) and on an SSH host (under its installDir).
 */
import * as fs from 'fs';
import * as path from 'path';
import { sameProcess } from '../../lib/process/supervision';

/** What a VM is: its name, where it listens, where it is placed and what it runs. */
export interface VmSpec {
  name: string;
  address: string;
  port: number;
  zone: string;
  rack: string;
  command: string;
  args: string[];
}

export interface VmRecord extends VmSpec {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22), or null off Linux. */
  startTicks: number | null;
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

/** True when the recorded process is alive and is still the one we started. */
export function recordAlive(record: VmRecord): boolean {
  return sameProcess(record.pid, record.startTicks);
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
