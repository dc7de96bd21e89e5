/**
 * `alb-host`: the host half of SshInfrastructure, shipped to every host of the fleet
 * (bundled to dist/hosts/alb-host.js, uploaded content-addressed as
 * <installDir>/bin/alb-host-<sha>.js) and run by Terraform's remote-exec provisioners.
 *
 *   alb-host [--supervisor auto|systemd|daemon] start|stop|status|clean ...   availability-group VMs
 *   alb-host [--supervisor ...] lb-apply --install-dir D --node N --config F --runtime B
 *                                         one LB node to a config/bundle: reload, restart or start; then /healthz
 *   alb-host vip-apply --install-dir D --node N --vip A --vrid R --priority P ...   keepalived for the LB's VIP
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
import { applyVrrp, interfaceOf, stopVrrp } from './keepalived';

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

program.command('vip-apply')
  .description("run keepalived for one LB node's virtual IP (started, or reloaded with the new config)")
  .requiredOption('--install-dir <dir>', 'the install dir on this host')
  .requiredOption('--node <name>', 'the LB node')
  .requiredOption('--vip <address>', 'the virtual IP')
  .requiredOption('--vrid <id>', 'VRRP virtual router id', integer('--vrid', 1, 255))
  .requiredOption('--priority <n>', 'VRRP priority of this node', integer('--priority', 1, 254))
  .requiredOption('--advert-ms <ms>', 'advertisement interval', integer('--advert-ms', 10, 40950))
  .requiredOption('--node-address <address>', "the node's own address (its admin endpoint; its interface by default)")
  .requiredOption('--admin-port <port>', "the node's admin port", integer('--admin-port', 1, 65535))
  .option('--interface <name>', 'interface for the address (default: the one holding --node-address)')
  .action(exits(async (o: { installDir: string; node: string; vip: string; vrid: number; priority: number; advertMs: number; nodeAddress: string; adminPort: number; interface?: string }) => {
    const iface = o.interface ?? interfaceOf(o.nodeAddress);
    if (iface === undefined) throw new Error(`node ${o.node}: no interface of this host holds ${o.nodeAddress}; set vip.interface`);
    process.stdout.write(`${await applyVrrp(stateDir(installDir(o.installDir)), {
      node: o.node, vip: o.vip, virtualRouterId: o.vrid, priority: o.priority, advertisementIntervalMs: o.advertMs, interface: iface,
    }, o.nodeAddress, o.adminPort)}\n`);
    return 0;
  }));

program.command('lb-stop')
  .description('stop one LB node and remove its state')
  .requiredOption('--install-dir <dir>', 'the install dir on this host')
  .requiredOption('--node <name>', 'node name')
  .action(exits(async (o: { installDir: string; node: string }) => {
    const dir = installDir(o.installDir);
    // The address goes first: a backup takes it before this node stops serving.
    if (await stopVrrp(stateDir(dir), o.node)) process.stdout.write(`node ${o.node}: keepalived stopped\n`);
    process.stdout.write(`${await stopNode({ installDir: dir, node: o.node, supervisor: supervisor() })}\n`);
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
      if (await stopVrrp(state, name)) stopped.push(`${name} keepalived`);
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
