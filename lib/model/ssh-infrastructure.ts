/**
 * SshInfrastructure's props and their rules: the fleet of existing hosts the LB nodes and
 * availability-group VMs are deployed onto over SSH. The zones and racks come from the hosts.
 */
import { ZoneSpec } from '../placement/types';
import { checkIntRange, isIpv4 } from './check';
import { IntRange, PORT } from './limits';
import { Issue, MISSING, issue } from './messages';
import { checkHostKey, parseHostKey } from './ssh-host-key';
import { validateTopology } from './topology';

/** Who keeps the LB runtime and the VMs' programs running on a host. */
export enum HostSupervisor {
  /** systemd when the host booted with it (/run/systemd/system exists), else DAEMON. */
  AUTO = 'auto',
  /** A generated systemd unit per LB node / VM, restarted on failure. */
  SYSTEMD = 'systemd',
  /** The project's own daemon mode: a detached process group with a pid record; not restarted when killed. */
  DAEMON = 'daemon',
}

/** One existing host of the fleet. */
export interface SshHost {
  /** Unique name of the host (used in messages, outputs and the placement record), e.g. `h1`. */
  readonly name: string;
  /** Its IPv4 address: where Terraform connects, and where its LB node or VM serves. */
  readonly address: string;
  /** The zone it stands in. */
  readonly zone: string;
  /** The rack it stands in (rack names are unique across zones). */
  readonly rack: string;
  /**
   * SSH port.
   * @default - the infrastructure's port
   */
  readonly port?: number;
  /**
   * SSH user.
   * @default - the infrastructure's user
   */
  readonly user?: string;
  /**
   * The host's SSH public key, as in its `/etc/ssh/ssh_host_ed25519_key.pub` or a known_hosts
   * line (`ssh-ed25519 AAAA… [comment]`; ecdsa-sha2-nistp256/384/521 and ssh-rsa too). Every
   * SSH connection Terraform makes to this host (`host_key` of each connection block) checks
   * that the host proves it holds this key, so the deploy — configs, cookie secret, admin
   * token — never goes to another machine answering on the address. Get it out of band (from
   * the host's console or image build), or with `ssh-keyscan -t ed25519 <address>` and then
   * compare its fingerprint (`ssh-keygen -lf`) with one obtained out of band. A host whose
   * sshd presents a host certificate is verified only through hostCertificateAuthority.
   * @default - the infrastructure's hostCertificateAuthority; without one, synth fails unless
   * insecureSkipHostKeyVerification is set
   */
  readonly hostKey?: string;
}

/**
 * The plain fields of SshInfrastructureProps.
 * @jsii ignore
 */
export interface SshInfrastructureSettings {
  /** The hosts. Zones and racks are taken from them, in the order they first appear. */
  readonly hosts: SshHost[];
  /**
   * Path of the SSH private key on the machine that runs Terraform. Terraform reads it at
   * apply time (`file()` in the connection blocks); the key itself is never written into
   * the synthesized files nor into the Terraform state — only this path is.
   */
  readonly privateKeyFile: string;
  /**
   * SSH user on every host (a host's own `user` wins). It must be able to write installDir
   * and, on systemd hosts, /etc/systemd/system.
   * @default 'root'
   */
  readonly user?: string;
  /**
   * SSH port on every host (a host's own `port` wins).
   * @default 22
   */
  readonly port?: number;
  /**
   * Where everything is installed on each host (bundles, configs, program files, state);
   * destroy empties it.
   * @default '/opt/cdktf-alb'
   */
  readonly installDir?: string;
  /**
   * The Node.js (>= 20) each host runs the runtime and its agent with: a name on the
   * host's PATH or an absolute path.
   * @default 'node'
   */
  readonly nodeCommand?: string;
  /**
   * How many VMs (LB nodes and availability-group VMs together) one host may run. Two VMs
   * of one group (two nodes of one LB, two instances of one availability group) never share
   * a host, whatever this says.
   * @default 1
   */
  readonly vmsPerHost?: number;
  /**
   * Who keeps programs running on the hosts.
   * @default HostSupervisor.AUTO
   */
  readonly supervisor?: HostSupervisor;
  /**
   * How long Terraform keeps trying to connect to a host before the deploy fails (an
   * unreachable host, a wrong key).
   * @default 20
   */
  readonly connectTimeoutSeconds?: number;
  /**
   * The placement record: which host each VM ran on at the last applied deploy, read back
   * by the next synth so that VMs stay on their hosts. Relative to the project directory
   * (where synth runs). Commit it with the code, like a lock file: a teammate or a CI
   * machine deploying the same stack then places every VM where it already runs.
   * @default 'alb-placement/<stack>-<id>.json'
   */
  readonly placementFile?: string;
  /**
   * Worker processes of each LB node's runtime.
   * @default - one per core of the host
   */
  readonly workers?: number;
  /**
   * The public key of the SSH certificate authority that signed the hosts' host certificates
   * (`ssh-keygen -s ca_key -h -n <address> ...`; sshd's `HostCertificate`). A host without its
   * own hostKey is accepted when it presents a certificate signed by this CA that names its
   * address as a principal (Terraform connects by address). A host's own hostKey wins.
   * @default - none: every host needs its hostKey
   */
  readonly hostCertificateAuthority?: string;
  /**
   * Connect to hosts that have neither a hostKey nor a hostCertificateAuthority without
   * checking who answers. Whoever answers on such a host's address (a reused address, a
   * spoofed route, a man in the middle) receives the configs, the cookie secret and the admin
   * token, and runs what the deploy sends. For throwaway labs only; synth warns
   * (cdktf-alb:unverified-host-keys) naming the hosts. Hosts with a key are still verified.
   * @default false
   */
  readonly insecureSkipHostKeyVerification?: boolean;
}

export const VMS_PER_HOST: IntRange = { min: 1, max: 64 };
export const CONNECT_TIMEOUT_SECONDS: IntRange = { min: 1, max: 600 };
export const WORKERS: IntRange = { min: 0, max: 256 };

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/** The zones and racks of the hosts, in the order they first appear. */
export function zonesOfHosts(hosts: readonly SshHost[]): ZoneSpec[] {
  const zones: { name: string; racks: string[] }[] = [];
  for (const h of hosts) {
    let zone = zones.find((z) => z.name === h.zone);
    if (zone === undefined) {
      zone = { name: h.zone, racks: [] };
      zones.push(zone);
    }
    if (!zone.racks.includes(h.rack)) zone.racks.push(h.rack);
  }
  return zones;
}

const SKIP = 'insecureSkipHostKeyVerification';

/**
 * Host identity: each key and the CA key well formed; a host with no way to verify it is an
 * error unless the user opted out of verification explicitly.
 */
function hostKeyIssues(path: string, s: SshInfrastructureSettings): Issue[] {
  const errors: Issue[] = [];
  const skip = s.insecureSkipHostKeyVerification;
  if (skip !== undefined && typeof skip !== 'boolean') errors.push(issue(path, SKIP, skip, 'is not a boolean', 'true or false'));
  const authority = s.hostCertificateAuthority;
  if (authority !== undefined) errors.push(...checkHostKey(path, 'hostCertificateAuthority', authority, 'authority'));
  s.hosts.forEach((h, i) => {
    if (h?.hostKey !== undefined) errors.push(...checkHostKey(path, `hosts[${i}].hostKey`, h.hostKey, 'host'));
    else if (authority === undefined && skip !== true) {
      errors.push(issue(path, `hosts[${i}].hostKey`, MISSING,
        `is missing (host "${h?.name}"): Terraform would hand the deploy to whatever answers on ${h?.address} without checking it is that host`,
        `the host's public key (its /etc/ssh/ssh_host_ed25519_key.pub, or ssh-keyscan -t ed25519 ${h?.address} checked out of band), hostCertificateAuthority, or ${SKIP}: true (unverified, unsafe)`));
    }
  });
  return errors;
}

/**
 * The value of `host_key` in every connection to this host: its own key, else the fleet's
 * CA key, normalized to "<type> <base64>"; undefined when the host is not verified (only
 * with insecureSkipHostKeyVerification). Call on validated settings.
 */
export function hostKeyOf(h: SshHost, s: SshInfrastructureSettings): string | undefined {
  const key = h.hostKey ?? s.hostCertificateAuthority;
  if (key === undefined) return undefined;
  const parsed = parseHostKey(key);
  return parsed.ok ? parsed.normalized : undefined;
}

/** Field errors of the props (construct path `path`). */
export function validateSshInfrastructure(path: string, s: SshInfrastructureSettings): Issue[] {
  const errors: Issue[] = [];
  if (!Array.isArray(s.hosts) || s.hosts.length === 0) {
    return [issue(path, 'hosts', s.hosts, 'is empty', 'at least one host, e.g. [{ name: "h1", address: "10.20.0.11", zone: "az-1", rack: "r1" }]')];
  }
  const names = new Set<string>();
  const endpoints = new Map<string, string>();
  s.hosts.forEach((h, i) => {
    const at = `hosts[${i}]`;
    if (typeof h?.name !== 'string' || !HOST_NAME.test(h.name)) errors.push(issue(path, `${at}.name`, h?.name, 'is not a valid host name', '1..63 letters, digits, ".", "_", "-", starting with a letter or digit'));
    else if (names.has(h.name)) errors.push(issue(path, `${at}.name`, h.name, 'is declared twice', 'unique host names'));
    else names.add(h.name);
    if (!isIpv4(h?.address)) errors.push(issue(path, `${at}.address`, h?.address, 'is not an IPv4 address', 'a dotted-quad IPv4 address, e.g. "10.20.0.11"'));
    else if (endpoints.has(h.address)) errors.push(issue(path, `${at}.address`, h.address, `is already the address of host "${endpoints.get(h.address)}"`, 'one host per address (its LB node or VM serves on it)'));
    else endpoints.set(h.address, h.name);
    if (h?.port !== undefined) errors.push(...checkIntRange(path, `${at}.port`, h.port, PORT));
    if (h?.user !== undefined && (typeof h.user !== 'string' || !USER.test(h.user))) errors.push(issue(path, `${at}.user`, h.user, 'is not a user name', 'a POSIX user name, e.g. "root" or "deploy"'));
  });
  errors.push(...hostKeyIssues(path, s));
  if (errors.length === 0) {
    // Zone and rack names, and racks unique across zones, by the topology's own rule.
    const zoneErrors = validateTopology(path, zonesOfHosts(s.hosts));
    errors.push(...zoneErrors.map((e) => (e.field.startsWith('zones') ? { ...e, field: `hosts (zone/rack) → ${e.field}` } : e)));
  }
  if (typeof s.privateKeyFile !== 'string' || s.privateKeyFile.trim() === '') {
    errors.push(issue(path, 'privateKeyFile', s.privateKeyFile, 'is empty', 'the path of the SSH private key on the machine that runs Terraform'));
  } else if (/PRIVATE KEY|\n/.test(s.privateKeyFile)) {
    // Never echo it: it may be the key itself.
    errors.push(issue(path, 'privateKeyFile', '<redacted>', 'looks like the contents of a key, not a path', 'the path of the key file (the key must not go into the synthesized files)'));
  }
  if (s.user !== undefined && (typeof s.user !== 'string' || !USER.test(s.user))) errors.push(issue(path, 'user', s.user, 'is not a user name', 'a POSIX user name, e.g. "root"'));
  if (s.port !== undefined) errors.push(...checkIntRange(path, 'port', s.port, PORT));
  if (s.installDir !== undefined) {
    const ok = typeof s.installDir === 'string' && /^\/[A-Za-z0-9._/-]+$/.test(s.installDir) && !s.installDir.split('/').includes('..') &&
      s.installDir.split('/').filter(Boolean).length >= 2;
    if (!ok) errors.push(issue(path, 'installDir', s.installDir, 'is not allowed', 'an absolute path at least two levels deep of letters, digits, ".", "_", "-", e.g. "/opt/cdktf-alb" (destroy empties it)'));
  }
  if (s.nodeCommand !== undefined && (typeof s.nodeCommand !== 'string' || !/^[A-Za-z0-9._/+-]+$/.test(s.nodeCommand))) {
    errors.push(issue(path, 'nodeCommand', s.nodeCommand, 'is not a program name or path', 'e.g. "node" or "/usr/local/bin/node"'));
  }
  if (s.vmsPerHost !== undefined) errors.push(...checkIntRange(path, 'vmsPerHost', s.vmsPerHost, VMS_PER_HOST));
  if (s.supervisor !== undefined && !Object.values(HostSupervisor).includes(s.supervisor)) {
    errors.push(issue(path, 'supervisor', s.supervisor, 'is not a HostSupervisor', 'HostSupervisor.AUTO, HostSupervisor.SYSTEMD, HostSupervisor.DAEMON'));
  }
  if (s.connectTimeoutSeconds !== undefined) errors.push(...checkIntRange(path, 'connectTimeoutSeconds', s.connectTimeoutSeconds, CONNECT_TIMEOUT_SECONDS, 'seconds'));
  if (s.workers !== undefined) errors.push(...checkIntRange(path, 'workers', s.workers, WORKERS));
  if (s.placementFile !== undefined && (typeof s.placementFile !== 'string' || s.placementFile.trim() === '')) {
    errors.push(issue(path, 'placementFile', s.placementFile, 'is empty', 'a file path relative to the project directory'));
  }
  return errors;
}
