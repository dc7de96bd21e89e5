/**
 * The VM subcommands (start, stop, status, clean) of every host-side CLI: the local target's
 * `local-vm` and the SSH target's `alb-host` supervise availability-group VMs the same way
 * (hosts/common/vm-launcher.ts); only the addresses a VM may listen on differ per target.
 */
import * as path from 'path';
import { Command, Option } from 'commander';
import { UsageError, exits, integer, repeatable } from '../../lib/process/cli-options';
import { StartOptions, StartResult, StopResult, cleanState, startVm, stopVm, vmStatus } from './vm-launcher';

/** Throws a UsageError when `address` is not one this target's VMs may listen on. */
export type AddressRule = (address: string) => void;

/** Who keeps a VM running: the detached daemon of vm-launcher, or a host's init system. */
export interface VmSupervision {
  start(options: StartOptions): Promise<StartResult>;
  stop(stateDir: string, name: string, graceMs: number | undefined, instance: string | undefined): Promise<StopResult>;
}

/** The daemon mode (vm-launcher): no init system involved. */
export const DAEMON_VMS: VmSupervision = { start: startVm, stop: stopVm };

interface StartFlags {
  name: string; stateDir: string; address: string; port: number; zone: string; rack: string; cwd?: string; env?: string[];
  readyTimeoutMs?: number; instance?: string; group?: string; command?: string; arg?: string[];
}

/**
 * Adds start/stop/status/clean to `program`. `supervision` is asked at run time (a host CLI
 * may choose it from its own options).
 */
export function addVmCommands(program: Command, addressRule: AddressRule, supervision: () => VmSupervision = () => DAEMON_VMS): void {
  program.command('start')
    .description('start a VM detached (idempotent; a new --instance replaces it in place, one VM of --group at a time)')
    .requiredOption('--name <name>', 'VM name (its directory under the state dir)')
    .requiredOption('--state-dir <dir>', 'state directory')
    .requiredOption('--address <addr>', 'the address the VM serves on (HOST in its environment)')
    .requiredOption('--port <port>', 'the port it serves on (PORT)', integer('--port', 1, 65535))
    .requiredOption('--zone <zone>', 'its zone (VM_ZONE)')
    .requiredOption('--rack <rack>', 'its rack (VM_RACK)')
    .option('--cwd <dir>', 'working directory of the command')
    .option('--env <K=V>', 'extra environment variable (repeatable)', repeatable)
    .option('--ready-timeout-ms <ms>', 'how long to wait for the port to accept', integer('--ready-timeout-ms', 0, 3_600_000))
    .option('--instance <id>', 'the deployment instance starting it')
    .option('--group <group>', 'rollout group')
    .option('--command <program>', 'the program (or give it after `--`)')
    .option('--arg <arg>', 'an argument of --command (repeatable)', repeatable)
    .argument('[program...]', 'the program and its arguments, after `--`')
    .action(exits(async (rest: string[], o: StartFlags) => {
      addressRule(o.address);
      // `--command C --arg A...` leaves the end of the option list free for options appended
      // later, as Terraform's provisioner does with --instance.
      let program: string[];
      if (o.command !== undefined) {
        if (rest.length > 0) throw new UsageError('give the program either as --command/--arg or after `--`, not both');
        program = [o.command, ...(o.arg ?? [])];
      } else {
        if (o.arg !== undefined) throw new UsageError('--arg needs --command');
        program = rest;
      }
      if (program.length === 0) throw new UsageError('missing the command (after `--`, or --command)');
      const env: { [key: string]: string } = {};
      for (const pair of o.env ?? []) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError(`--env ${JSON.stringify(pair)} is not KEY=VALUE`);
        env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      const result = await supervision().start({
        name: o.name, stateDir: path.resolve(o.stateDir), address: o.address, port: o.port, zone: o.zone, rack: o.rack,
        cwd: o.cwd === undefined ? undefined : path.resolve(o.cwd), env, command: program[0], args: program.slice(1),
        readyTimeoutMs: o.readyTimeoutMs, instance: o.instance, group: o.group,
      });
      const r = result.record;
      const what = result.replaced ? 'replaced in place (new instance)' : result.started ? 'started' : 'already running';
      process.stdout.write(`VM ${r.name} ${what}: pid ${r.pid}, ${r.address}:${r.port} (zone ${r.zone}, rack ${r.rack})\n`);
      return 0;
    }));

  program.command('stop')
    .description('stop a VM (SIGTERM to its process group, SIGKILL after the grace period) and remove its state')
    .requiredOption('--name <name>', 'VM name')
    .requiredOption('--state-dir <dir>', 'state directory')
    .addOption(new Option('--grace-ms <ms>', 'wait this long before SIGKILL').argParser(integer('--grace-ms', 0, 3_600_000)))
    .option('--instance <id>', 'only if this instance still owns the VM')
    .action(exits(async (o: { name: string; stateDir: string; graceMs?: number; instance?: string }) => {
      const result = await supervision().stop(path.resolve(o.stateDir), o.name, o.graceMs, o.instance);
      const words = {
        absent: 'was not running (no state)', gone: 'was no longer running; state removed', terminated: 'stopped (SIGTERM)',
        killed: 'killed (SIGKILL after the grace period)', superseded: 'left running: a newer instance replaced it in place',
      };
      process.stdout.write(`VM ${result.name} ${words[result.outcome]}\n`);
      return 0;
    }));

  program.command('status')
    .description('print a VM\'s state as JSON (exit 0 running, 3 not running)')
    .requiredOption('--name <name>', 'VM name')
    .requiredOption('--state-dir <dir>', 'state directory')
    .action(exits(async (o: { name: string; stateDir: string }) => {
      const s = await vmStatus(path.resolve(o.stateDir), o.name);
      process.stdout.write(JSON.stringify({ name: s.name, running: s.running, accepting: s.accepting, pid: s.record?.pid ?? null, address: s.record?.address ?? null, port: s.record?.port ?? null }) + '\n');
      return s.running ? 0 : 3;
    }));

  program.command('clean')
    .description('remove a stopped daemon\'s state directory (refused while a pid file in it names a live process)')
    .requiredOption('--name <name>', 'VM or node name')
    .requiredOption('--state-dir <dir>', 'state directory')
    .action(exits((o: { name: string; stateDir: string }) => {
      const { removed } = cleanState(path.resolve(o.stateDir), o.name);
      process.stdout.write(`${o.name}: ${removed ? 'state removed' : 'no state'}\n`);
      return 0;
    }));
}
