/**
 * `alb-host`: the host half of SshInfrastructure, shipped to every host of the fleet
 * (bundled to dist/hosts/alb-host.js, uploaded content-addressed as
 * <installDir>/bin/alb-host-<sha>.js) and run by Terraform's remote-exec provisioners.
 *
 *   alb-host [--supervisor auto|systemd|daemon] start|stop|status|clean ...   availability-group VMs
 *   alb-host [--supervisor ...] lb-apply --install-dir D --node N --config F --runtime B
 *                                         one LB node to a config/bundle: reload, restart or start; then /healthz
 *   alb-host [--supervisor ...] lb-stop --install-dir D --node N
 *   alb-host uninstall --install-dir D     stop whatever is left, remove every installed file
 *
 * Supervisor `auto`: systemd when the host booted with it (/run/systemd/system), else the
 * daemon mode. Exit codes: 0 ok, 1 failure (message on stderr), 2 usage error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import { readPid, terminateGroup } from '../../lib/process/supervision';
import { UsageError, exits, integer, runProgram } from '../../lib/process/cli-options';
import { DAEMON_VMS, addVmCommands } from '../common/vm-commands';
import { readRecord } from '../common/vm-record';
import { applyNode, stateDir, stopNode } from './lb-node';
import { Supervisor, detectSupervisor, removeUnit } from './supervisor';
import { SYSTEMD_VMS } from './vm-systemd';

const program = new Command('alb-host')
  .description("SshInfrastructure's host agent: LB nodes and availability-group VMs on this host")
  .addOption(new Option('--supervisor <kind>', 'who keeps programs running').choices(['auto', 'systemd', 'daemon']).default('auto'))
  .showHelpAfterError();

function supervisor(): Supervisor {
  return detectSupervisor(program.opts().supervisor as string);
}

/** An SSH host's VMs listen on the host's own address (an IPv4 address or a name). */
function anyHostAddress(address: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9.:-]*$/.test(address)) throw new UsageError(`--address ${JSON.stringify(address)} is not an address (allowed: an IP address or host name)`);
}

function installDir(value: string): string {
  const dir = path.resolve(value);
  // uninstall removes everything under it: refuse what is obviously not an install dir.
  if (dir === '/' || dir.split('/').filter(Boolean).length < 2) throw new UsageError(`--install-dir ${JSON.stringify(value)} is too close to / (allowed: a directory at least two levels deep, e.g. /opt/cdktf-alb)`);
  return dir;
}

addVmCommands(program, anyHostAddress, () => (supervisor() === 'systemd' ? SYSTEMD_VMS : DAEMON_VMS));

program.command('lb-apply')
  .description('bring one LB node to a config and runtime bundle: hot reload, restart on a new bundle, or start; then wait for /healthz')
  .requiredOption('--install-dir <dir>', 'the install dir on this host')
  .requiredOption('--node <name>', 'the node of the config to play')
  .requiredOption('--config <file>', 'the config document')
  .requiredOption('--runtime <file>', 'the runtime bundle')
  .option('--workers <n>', 'worker processes (default: one per core)', integer('--workers', 0, 256))
  .option('--wait-ms <ms>', 'how long the node may take to serve', integer('--wait-ms', 1, 600_000), 30_000)
  .action(exits((o: { installDir: string; node: string; config: string; runtime: string; workers?: number; waitMs: number }) => applyNode({
    installDir: installDir(o.installDir), node: o.node, supervisor: supervisor(), config: path.resolve(o.config),
    runtime: path.resolve(o.runtime), workers: o.workers, waitMs: o.waitMs,
  })));

program.command('lb-stop')
  .description('stop one LB node and remove its state')
  .requiredOption('--install-dir <dir>', 'the install dir on this host')
  .requiredOption('--node <name>', 'node name')
  .action(exits(async (o: { installDir: string; node: string }) => {
    process.stdout.write(`${await stopNode({ installDir: installDir(o.installDir), node: o.node, supervisor: supervisor() })}\n`);
    return 0;
  }));

program.command('uninstall')
  .description('stop every LB node and VM still recorded under the install dir, then remove every file in it')
  .requiredOption('--install-dir <dir>', 'the install dir on this host')
  .action(exits(async (o: { installDir: string }) => {
    const dir = installDir(o.installDir);
    const state = stateDir(dir);
    const stopped: string[] = [];
    for (const name of fs.existsSync(state) ? fs.readdirSync(state) : []) {
      // Systemd units first (whatever mode deployed them), then recorded process groups.
      if (await removeUnitIfAny(name)) stopped.push(name);
      const vm = readRecord(state, name);
      const pid = vm?.pid ?? readPid(path.join(state, name, 'runtime.pid'));
      if (pid !== null && (await terminateGroup(pid, 5000)) !== 'gone') stopped.push(name);
    }
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir) : []) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    try {
      fs.rmdirSync(dir);
    } catch {
      // A mount point (or not ours to remove): left empty.
    }
    process.stdout.write(`${dir}: uninstalled${stopped.length ? ` (stopped leftovers: ${stopped.join(', ')})` : ''}\n`);
    return 0;
  }));

async function removeUnitIfAny(name: string): Promise<boolean> {
  if (!fs.existsSync('/run/systemd/system')) return false;
  return removeUnit(name);
}

runProgram(program);
