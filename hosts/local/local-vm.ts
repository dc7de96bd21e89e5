/**
 * `local-vm`: the host half of LocalInfrastructure — its VM launcher and plan viewer
 * (bundled to dist/hosts/local-vm.js; Terraform's local-exec provisioners call it).
 *
 *   local-vm start|stop|status|clean ...   availability-group VMs (hosts/common/vm-commands.ts),
 *                                          each on its own loopback address
 *   local-vm plan FILE|DIR                 placement table + survivability
 *
 * Exit codes: 0 ok, 1 failure (message on stderr), 2 usage error, 3 not running (status).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import type { LbConfig } from '../../lib/config/types';
import { PLAN_FILE, parsePlanDocument } from '../../lib/placement/document';
import { renderPlanReport } from '../../lib/placement/report';
import { UsageError, exits, runProgram } from '../../lib/process/cli-options';
import { addVmCommands } from '../common/vm-commands';

/** Local VMs live on loopback addresses: all of 127.0.0.0/8 routes to `lo` on Linux. */
function loopbackOnly(address: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) {
    throw new UsageError(`--address ${JSON.stringify(address)} is not a loopback address (allowed: 127.0.0.0/8)`);
  }
}

/** plan.json itself, `<stack dir>/alb/plan.json`, or every `stacks/<name>/alb/plan.json` under cdktf.out. */
function findPlanFiles(target: string): string[] {
  if (!fs.existsSync(target)) throw new Error(`${target}: no such file or directory`);
  if (fs.statSync(target).isFile()) return [target];
  const direct = path.join(target, PLAN_FILE);
  if (fs.existsSync(direct)) return [direct];
  const stacks = path.join(target, 'stacks');
  const found = fs.existsSync(stacks)
    ? fs.readdirSync(stacks).map((s) => path.join(stacks, s, PLAN_FILE)).filter((f) => fs.existsSync(f))
    : [];
  if (found.length === 0) throw new Error(`${target}: no ${PLAN_FILE} here nor in ${path.join(target, 'stacks', '*')} (run cdktf synth first)`);
  return found;
}

function plan(target: string): number {
  for (const file of findPlanFiles(path.resolve(target))) {
    const doc = parsePlanDocument(fs.readFileSync(file, 'utf8'), file);
    const stackDir = path.dirname(path.dirname(file)); // <stack>/alb/plan.json
    const configs = new Map<string, LbConfig>();
    for (const lb of doc.loadBalancers) {
      const configPath = path.resolve(stackDir, lb.configFile);
      if (fs.existsSync(configPath)) configs.set(lb.group, JSON.parse(fs.readFileSync(configPath, 'utf8')) as LbConfig);
    }
    process.stdout.write(`# ${file}\n${renderPlanReport(doc, configs)}`);
  }
  return 0;
}

const program = new Command('local-vm')
  .description("LocalInfrastructure's VM launcher and plan viewer")
  .showHelpAfterError();
addVmCommands(program, loopbackOnly);
program.command('plan')
  .description('print the placement table and what survives the loss of each rack / zone')
  .argument('<target>', 'a plan.json, a stack synth dir, or cdktf.out')
  .action(exits(plan));
runProgram(program);
