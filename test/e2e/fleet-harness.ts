/**
 * The local SSH fleet for tests (scripts/fleet.js): up with a prefix and a /24 of the test's
 * own, down by that prefix (which also removes what a crashed run left), and commands on a
 * host over the real sshd.
 *
 * One suite at a time per prefix on this machine: `up` starts with a `down` of its prefix, so
 * the same suite started from a second checkout (several engineers' `npm test` at once) would
 * tear down the first one's fleet midway. A lock file per prefix (owner pid) makes the second
 * wait; a lock whose owner is gone is taken over.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pidAlive } from '../../lib/process/supervision';

const ROOT = path.join(__dirname, '..', '..');
const FLEET = path.join(ROOT, 'scripts', 'fleet.js');

export interface FleetHost { name: string; namespace: string; address: string; port: number; user: string; hostKey: string }
export interface Fleet {
  prefix: string; dir: string; privateKeyFile: string; knownHostsFile: string; installDir: string; hosts: FleetHost[];
  /** With `hostCa`: the public key of the CA that signed every host's certificate. */
  hostCertificateAuthority?: string;
}

export function fleetDir(prefix: string): string {
  return `/run/cdktf-alb-fleet/${prefix}`;
}

/** Why the fleet cannot run here (not root, no unshare), or null. */
export function fleetUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the SSH fleet needs root (network namespaces)';
  return null;
}

const LOCKS = '/run/cdktf-alb-fleet-locks';
const LOCK_WAIT_MS = 240000;

function lockFile(prefix: string): string {
  return path.join(LOCKS, prefix);
}

function lockOwner(prefix: string): number | null {
  try {
    const pid = Number(fs.readFileSync(lockFile(prefix), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Waits until no live process of another run holds the prefix, then holds it (this process). */
function acquireFleet(prefix: string): void {
  fs.mkdirSync(LOCKS, { recursive: true });
  // Written first, then linked: the lock never exists without its owner's pid in it.
  const mine = path.join(LOCKS, `.${prefix}.${process.pid}`);
  fs.writeFileSync(mine, String(process.pid));
  const deadline = Date.now() + LOCK_WAIT_MS;
  try {
    for (;;) {
      try {
        fs.linkSync(mine, lockFile(prefix));
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = lockOwner(prefix);
      if (owner === process.pid) return;
      if (owner === null || !pidAlive(owner)) {
        fs.rmSync(lockFile(prefix), { force: true }); // its run ended without releasing it
        continue;
      }
      if (Date.now() > deadline) throw new Error(`fleet ${prefix} is in use by pid ${owner} (another test run on ${os.hostname()}); waited ${LOCK_WAIT_MS / 1000} s`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

function releaseFleet(prefix: string): void {
  if (lockOwner(prefix) === process.pid) fs.rmSync(lockFile(prefix), { force: true });
}

/** A fleet of `count` hosts; `hostCa`: each sshd presents a host certificate signed by a generated CA. */
export function fleetUp(prefix: string, count: number, subnet: string, options: { hostCa?: boolean } = {}): Fleet {
  acquireFleet(prefix);
  removeFleet(prefix); // leftovers of an earlier run that crashed
  execFileSync(process.execPath, [FLEET, 'up', String(count), '--prefix', prefix, '--subnet', subnet, ...(options.hostCa ? ['--host-ca'] : [])], { stdio: 'pipe', timeout: 120000 });
  const doc = JSON.parse(fs.readFileSync(path.join(fleetDir(prefix), 'hosts.json'), 'utf8'));
  return {
    prefix, dir: fleetDir(prefix), privateKeyFile: doc.privateKeyFile, knownHostsFile: doc.knownHostsFile, installDir: doc.installDir, hosts: doc.hosts,
    hostCertificateAuthority: doc.hostCertificateAuthority,
  };
}

function removeFleet(prefix: string): void {
  execFileSync(process.execPath, [FLEET, 'down', '--prefix', prefix], { stdio: 'pipe', timeout: 60000 });
}

/** Takes the fleet down and lets another run have its prefix (a fleet another run now holds is left alone). */
export function fleetDown(prefix: string): void {
  const owner = lockOwner(prefix);
  if (owner !== null && owner !== process.pid && pidAlive(owner)) return;
  try {
    removeFleet(prefix);
  } finally {
    releaseFleet(prefix);
  }
}

/** Namespaces and links the fleet of `prefix` still has (empty after a clean down). */
export function fleetLeftovers(prefix: string): string[] {
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`${prefix}-`));
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n')
    .map((l) => (l.split(': ')[1] ?? '').split('@')[0]).filter((l) => l.startsWith(`${prefix}-`));
  return [...ns.map((n) => `netns ${n}`), ...links.map((l) => `link ${l}`), ...(fs.existsSync(fleetDir(prefix)) ? [fleetDir(prefix)] : [])];
}

export function sshArgs(fleet: Fleet, host: FleetHost, command: string): string[] {
  // The fleet's own known_hosts: the test's ssh checks each host's key as the deploy does.
  return ['-i', fleet.privateKeyFile, '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${fleet.knownHostsFile}`, '-o', 'BatchMode=yes',
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
