/**
 * The local SSH fleet for tests (scripts/fleet.js): up with a prefix and a /24 of the test's
 * own, down by that prefix (which also removes what a crashed run left), and commands on a
 * host over the real sshd.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const FLEET = path.join(ROOT, 'scripts', 'fleet.js');

export interface FleetHost { name: string; namespace: string; address: string; port: number; user: string }
export interface Fleet { prefix: string; dir: string; privateKeyFile: string; installDir: string; hosts: FleetHost[] }

export function fleetDir(prefix: string): string {
  return `/run/cdktf-alb-fleet/${prefix}`;
}

/** Why the fleet cannot run here (not root, no unshare), or null. */
export function fleetUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the SSH fleet needs root (network namespaces)';
  return null;
}

export function fleetUp(prefix: string, count: number, subnet: string): Fleet {
  fleetDown(prefix); // leftovers of an earlier run that crashed
  execFileSync(process.execPath, [FLEET, 'up', String(count), '--prefix', prefix, '--subnet', subnet], { stdio: 'pipe', timeout: 120000 });
  const doc = JSON.parse(fs.readFileSync(path.join(fleetDir(prefix), 'hosts.json'), 'utf8'));
  return { prefix, dir: fleetDir(prefix), privateKeyFile: doc.privateKeyFile, installDir: doc.installDir, hosts: doc.hosts };
}

export function fleetDown(prefix: string): void {
  execFileSync(process.execPath, [FLEET, 'down', '--prefix', prefix], { stdio: 'pipe', timeout: 60000 });
}

/** Namespaces and links the fleet of `prefix` still has (empty after a clean down). */
export function fleetLeftovers(prefix: string): string[] {
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`${prefix}-`));
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n')
    .map((l) => (l.split(': ')[1] ?? '').split('@')[0]).filter((l) => l.startsWith(`${prefix}-`));
  return [...ns.map((n) => `netns ${n}`), ...links.map((l) => `link ${l}`), ...(fs.existsSync(fleetDir(prefix)) ? [fleetDir(prefix)] : [])];
}

export function sshArgs(fleet: Fleet, host: FleetHost, command: string): string[] {
  return ['-i', fleet.privateKeyFile, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5', '-p', String(host.port), `${host.user}@${host.address}`, command];
}

/** Runs `command` on the host over ssh; resolves with stdout, rejects with stderr. */
export function ssh(fleet: Fleet, host: FleetHost, command: string, timeoutMs = 20000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ssh', sshArgs(fleet, host, command), { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ssh ${host.name} ${command}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** pids of every process inside the host's network namespace. */
export function hostPids(host: FleetHost): number[] {
  return execFileSync('ip', ['netns', 'pids', host.namespace], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
}
