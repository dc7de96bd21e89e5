/**
 * Availability-group VMs under systemd (hosts that booted with it): one unit per VM, restarted
 * on failure, with the same environment, readiness wait and instance rules as the daemon mode
 * (hosts/common/vm-launcher.ts): a start by a new deployment instance replaces the VM, a stop
 * by an instance that no longer owns it leaves it alone.
 */
import * as fs from 'fs';
import * as path from 'path';
import { logTail, portAccepts, waitUntil } from '../../lib/process/supervision';
import { VmSupervision } from '../common/vm-commands';
import { StartOptions, StartResult, StopResult } from '../common/vm-launcher';
import { VmRecord, logFile, vmDir } from '../common/vm-record';
import { removeUnit, startUnit, unitPid } from './supervisor';

function instanceFile(stateDir: string, name: string): string {
  return path.join(vmDir(stateDir, name), 'instance');
}

function readInstance(stateDir: string, name: string): string | null {
  try {
    return fs.readFileSync(instanceFile(stateDir, name), 'utf8').trim();
  } catch {
    return null;
  }
}

export const SYSTEMD_VMS: VmSupervision = {
  async start(o: StartOptions): Promise<StartResult> {
    fs.mkdirSync(vmDir(o.stateDir, o.name), { recursive: true });
    const before = readInstance(o.stateDir, o.name);
    const wasRunning = unitPid(o.name) !== null;
    const { changed } = startUnit(o.name, {
      description: `cdktf-alb VM ${o.name}`,
      command: [o.command, ...o.args],
      workingDirectory: o.cwd ?? vmDir(o.stateDir, o.name),
      environment: { ...(o.env ?? {}), HOST: o.address, PORT: String(o.port), VM_NAME: o.name, VM_ZONE: o.zone, VM_RACK: o.rack },
      stopTimeoutSec: 10,
      lbNode: false,
      logFile: logFile(o.stateDir, o.name),
    });
    if (o.instance !== undefined) fs.writeFileSync(instanceFile(o.stateDir, o.name), `${o.instance}\n`);
    const timeoutMs = o.readyTimeoutMs ?? 20000;
    if (!(await waitUntil(() => portAccepts(o.address, o.port), timeoutMs))) {
      await removeUnit(o.name);
      throw new Error(`VM ${o.name} did not accept connections on ${o.address}:${o.port} within ${timeoutMs} ms; last lines of its log:\n${logTail(logFile(o.stateDir, o.name))}`);
    }
    const record: VmRecord = {
      name: o.name, pid: unitPid(o.name) ?? 0, startTicks: null, address: o.address, port: o.port, zone: o.zone, rack: o.rack,
      command: o.command, args: o.args, startedAt: new Date().toISOString(), instance: o.instance ?? null, group: o.group ?? null,
    };
    const replaced = before !== null && o.instance !== undefined && before !== o.instance;
    return { record, started: changed || !wasRunning, replaced };
  },

  async stop(stateDir: string, name: string, _graceMs: number | undefined, instance: string | undefined): Promise<StopResult> {
    const owner = readInstance(stateDir, name);
    if (instance !== undefined && owner !== null && owner !== instance && unitPid(name) !== null) return { name, outcome: 'superseded' };
    const removed = await removeUnit(name);
    fs.rmSync(vmDir(stateDir, name), { recursive: true, force: true });
    return { name, outcome: removed ? 'terminated' : 'absent' };
  },
};
