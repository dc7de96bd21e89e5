/**
 * `local-vm`: LocalInfrastructure's VM launcher and plan viewer (bundled to
 * dist/runtime/local-vm.js; Terraform's provisioners call it).
 *
 *   local-vm start --name N --state-dir DIR --address A --port P --zone Z --rack R
 *                  [--cwd DIR] [--env K=V]... [--ready-timeout-ms MS] [--instance ID [--group G]]
 *                  (-- COMMAND [ARGS...] | --command C [--arg A]...)
 *   local-vm stop --name N --state-dir DIR [--grace-ms MS] [--instance ID]
 *
 * --instance: the deployment instance (Terraform's terraform_data id). `start` by a new
 * instance replaces a running VM in place (one VM of --group at a time; logged to
 * DIR/rollout.log); `stop` by an instance that no longer owns the VM leaves it alone. Together
 * they let Terraform create a replacement before destroying the old instance without a port
 * clash, and without the old instance's destroy stopping the new process.
 *   local-vm status --name N --state-dir DIR          (exit 0 running, 3 not running)
 *   local-vm clean --name N --state-dir DIR           (remove a stopped daemon's state dir)
 *   local-vm plan FILE|DIR                            (placement table + survivability)
 *
 * Exit codes: 0 ok, 1 failure (message on stderr), 2 usage error, 3 not running (status).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LbConfig } from '../lib/config/types';
import { PLAN_FILE, parsePlanDocument } from '../lib/placement/document';
import { renderPlanReport } from '../lib/placement/report';
import { cleanState, startVm, stopVm, vmStatus } from './local-vm/launcher';

class UsageError extends Error {}

const USAGE = `usage:
  local-vm start --name N --state-dir DIR --address A --port P --zone Z --rack R [--cwd DIR] [--env K=V]... [--ready-timeout-ms MS]
                 [--instance ID [--group G]] (-- COMMAND [ARGS...] | --command C [--arg A]...)
  local-vm stop --name N --state-dir DIR [--grace-ms MS] [--instance ID]
  local-vm status --name N --state-dir DIR
  local-vm clean --name N --state-dir DIR
  local-vm plan FILE|DIR   (a plan.json, a stack synth dir, or cdktf.out)`;

interface Parsed {
  options: Map<string, string[]>;
  positional: string[];
  rest: string[];
}

/** --key value pairs (repeatable), positionals, and everything after `--`. */
function parseArgs(argv: string[], allowed: string[]): Parsed {
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split(/=(.*)/s, 2);
      if (!allowed.includes(key)) throw new UsageError(`unknown option --${key} (allowed: ${allowed.map((a) => '--' + a).join(', ')})`);
      const value = inline !== undefined ? inline : argv[++i];
      if (value === undefined) throw new UsageError(`option --${key} needs a value`);
      options.set(key, [...(options.get(key) ?? []), value]);
    } else {
      positional.push(arg);
    }
  }
  return { options, positional, rest: argv.slice(i) };
}

function one(parsed: Parsed, key: string): string {
  const values = parsed.options.get(key);
  if (!values || values.length === 0) throw new UsageError(`missing --${key}`);
  if (values.length > 1) throw new UsageError(`--${key} given ${values.length} times (allowed: once)`);
  return values[0];
}

function optionalInt(parsed: Parsed, key: string): number | undefined {
  const values = parsed.options.get(key);
  if (!values) return undefined;
  const n = Number(values[values.length - 1]);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${key} ${JSON.stringify(values[0])} is not a non-negative integer`);
  return n;
}

async function start(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, ['name', 'state-dir', 'address', 'port', 'zone', 'rack', 'cwd', 'env', 'ready-timeout-ms', 'instance', 'group', 'command', 'arg']);
  // The program: `-- COMMAND ARGS...`, or `--command C --arg A...` (which leaves the end of the
  // option list free for options appended later, as Terraform's provisioner does with --instance).
  let program: string[];
  if (parsed.options.has('command')) {
    if (parsed.rest.length > 0) throw new UsageError('give the program either as --command/--arg or after `--`, not both');
    program = [one(parsed, 'command'), ...(parsed.options.get('arg') ?? [])];
  } else {
    if (parsed.options.has('arg')) throw new UsageError('--arg needs --command');
    program = parsed.rest;
  }
  if (program.length === 0) throw new UsageError('missing the command (after `--`, or --command)');
  const env: { [key: string]: string } = {};
  for (const pair of parsed.options.get('env') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env ${JSON.stringify(pair)} is not KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const portText = one(parsed, 'port');
  const result = await startVm({
    name: one(parsed, 'name'),
    stateDir: path.resolve(one(parsed, 'state-dir')),
    address: one(parsed, 'address'),
    port: /^\d+$/.test(portText) ? Number(portText) : NaN,
    zone: one(parsed, 'zone'),
    rack: one(parsed, 'rack'),
    cwd: parsed.options.has('cwd') ? path.resolve(one(parsed, 'cwd')) : undefined,
    env,
    command: program[0],
    args: program.slice(1),
    readyTimeoutMs: optionalInt(parsed, 'ready-timeout-ms'),
    instance: parsed.options.has('instance') ? one(parsed, 'instance') : undefined,
    group: parsed.options.has('group') ? one(parsed, 'group') : undefined,
  });
  const r = result.record;
  const what = result.replaced ? 'replaced in place (new instance)' : result.started ? 'started' : 'already running';
  process.stdout.write(`VM ${r.name} ${what}: pid ${r.pid}, ${r.address}:${r.port} (zone ${r.zone}, rack ${r.rack})\n`);
  return 0;
}

async function stop(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, ['name', 'state-dir', 'grace-ms', 'instance']);
  const instance = parsed.options.has('instance') ? one(parsed, 'instance') : undefined;
  const result = await stopVm(path.resolve(one(parsed, 'state-dir')), one(parsed, 'name'), optionalInt(parsed, 'grace-ms'), instance);
  const words = {
    absent: 'was not running (no state)', gone: 'was no longer running; state removed', terminated: 'stopped (SIGTERM)',
    killed: 'killed (SIGKILL after the grace period)', superseded: 'left running: a newer instance replaced it in place',
  };
  process.stdout.write(`VM ${result.name} ${words[result.outcome]}\n`);
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, ['name', 'state-dir']);
  const s = await vmStatus(path.resolve(one(parsed, 'state-dir')), one(parsed, 'name'));
  process.stdout.write(JSON.stringify({ name: s.name, running: s.running, accepting: s.accepting, pid: s.record?.pid ?? null, address: s.record?.address ?? null, port: s.record?.port ?? null }) + '\n');
  return s.running ? 0 : 3;
}

function clean(argv: string[]): number {
  const parsed = parseArgs(argv, ['name', 'state-dir']);
  const name = one(parsed, 'name');
  const { removed } = cleanState(path.resolve(one(parsed, 'state-dir')), name);
  process.stdout.write(`${name}: ${removed ? 'state removed' : 'no state'}\n`);
  return 0;
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

function plan(argv: string[]): number {
  const parsed = parseArgs(argv, []);
  if (parsed.positional.length !== 1) throw new UsageError('plan takes one FILE or DIR');
  for (const file of findPlanFiles(path.resolve(parsed.positional[0]))) {
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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': return start(rest);
    case 'stop': return stop(rest);
    case 'status': return status(rest);
    case 'clean': return clean(rest);
    case 'plan': return plan(rest);
    case undefined: case '-h': case '--help': case 'help':
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (allowed: start, stop, status, clean, plan)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    if (err instanceof UsageError) {
      process.stderr.write(`local-vm: ${err.message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`local-vm: ${err.message}\n`);
    process.exit(1);
  },
);
