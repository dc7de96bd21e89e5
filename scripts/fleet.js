#!/usr/bin/env node
/**
 * A local fleet of SSH hosts for SshInfrastructure, made of Linux network namespaces (needs
 * root):
 *
 *   npm run fleet -- up N [--prefix P] [--subnet 10.231.0] [--dir DIR] [--host-ca]
 *   npm run fleet -- down [--prefix P] [--dir DIR]
 *   npm run fleet -- status [--prefix P] [--dir DIR]
 *
 * `up` makes N hosts P-h1..P-hN: each a network namespace with a veth into the bridge P-br
 * (SUBNET.1/24 on this machine), its own address SUBNET.(10+i), and its own sshd (Debian's
 * openssh-server, installed if missing) listening on that address only, started inside a
 * private mount namespace where the host's own directory is bind-mounted on the install dir
 * (/opt/cdktf-alb), so every host has its own installDir while /usr/bin/node and the rest of
 * the file system are shared (but for an empty /root: a host runs none of this machine's
 * dotfiles). One generated ed25519 key (DIR/id_ed25519) logs in as root on
 * every host. Each host has its own generated host key; DIR/hosts.json lists the hosts (name,
 * address, port, user, hostKey: the host's public key, read from the file sshd serves, so
 * SshInfrastructure verifies every host) and the key file, and DIR/known_hosts holds the same
 * host keys for ssh (-o UserKnownHostsFile=DIR/known_hosts). With --host-ca, a generated CA
 * (DIR/host_ca) signs each host key for the host's address and each sshd serves that
 * certificate: hosts.json then also holds `hostCertificateAuthority` (the CA's public key),
 * the way to verify hosts that present certificates.
 *
 * `down` kills every process inside the fleet's namespaces (sshd, and whatever a deploy left),
 * deletes the namespaces and the bridge and removes DIR. It also finds namespaces and links by
 * name prefix, so it cleans up after a crashed `up` or a test that failed midway.
 *
 * Traffic stays between this machine and the fleet's namespaces: the bridge has no uplink and
 * nothing is forwarded or masqueraded.
 */
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const INSTALL_DIR = '/opt/cdktf-alb';
const MAX_HOSTS = 200;

function fail(message) {
  process.stderr.write(`fleet: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !options.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return r;
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const o = { command, count: undefined, prefix: 'albf', subnet: '10.231.0', dir: undefined, hostCa: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      if (rest[i + 1] === undefined) fail(`${a} needs a value`);
      return rest[++i];
    };
    if (a === '--prefix') o.prefix = value();
    else if (a === '--subnet') o.subnet = value();
    else if (a === '--dir') o.dir = value();
    else if (a === '--host-ca') o.hostCa = true;
    else if (/^\d+$/.test(a) && o.count === undefined) o.count = Number(a);
    else fail(`unexpected argument ${JSON.stringify(a)}\nusage: fleet up N [--prefix P] [--subnet A.B.C] [--dir DIR] [--host-ca] | fleet down [--prefix P] [--dir DIR] | fleet status`);
  }
  // Interface names are at most 15 characters: P-h200-v must fit.
  if (!/^[a-z][a-z0-9]{0,6}$/.test(o.prefix)) fail(`--prefix ${JSON.stringify(o.prefix)} is not allowed (allowed: 1-7 lowercase letters/digits, starting with a letter)`);
  const octets = o.subnet.split('.');
  if (octets.length !== 3 || octets.some((x) => !/^\d+$/.test(x) || Number(x) > 255)) fail(`--subnet ${JSON.stringify(o.subnet)} is not the first three octets of a /24 (e.g. 10.231.0)`);
  const [a, b] = octets.map(Number);
  const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  if (!isPrivate) fail(`--subnet ${o.subnet}.0/24 is not a private range (allowed: inside 10/8, 172.16/12, 192.168/16)`);
  o.dir = path.resolve(o.dir ?? `/run/cdktf-alb-fleet/${o.prefix}`);
  return o;
}

const names = (prefix) => ({
  bridge: `${prefix}-br`,
  host: (i) => `${prefix}-h${i}`,
  vethOut: (i) => `${prefix}-h${i}-v`,
});

function requireRoot() {
  if (process.getuid && process.getuid() !== 0) fail('needs root (network namespaces, a bridge and sshd on port 22)');
  for (const tool of ['ip', 'unshare', 'mount', 'ssh-keygen']) {
    if (run('sh', ['-c', `command -v ${tool}`], { allowFail: true }).status !== 0) fail(`${tool} is not installed (apt-get install iproute2 util-linux openssh-client)`);
  }
}

function ensureSshd() {
  if (fs.existsSync('/usr/sbin/sshd')) return;
  process.stdout.write('fleet: installing openssh-server ...\n');
  // policy-rc.d exit 101: the package must not start the machine's own sshd on 0.0.0.0:22.
  const policy = '/usr/sbin/policy-rc.d';
  const hadPolicy = fs.existsSync(policy);
  if (!hadPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    run('apt-get', ['install', '-y', '-qq', 'openssh-server'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'inherit' });
  } finally {
    if (!hadPolicy) fs.rmSync(policy, { force: true });
  }
  if (!fs.existsSync('/usr/sbin/sshd')) fail('openssh-server did not install /usr/sbin/sshd');
}

function sshdConfig(hostDir, address, certificate) {
  return [
    ...(certificate ? [`HostCertificate ${certificate}`] : []),
    `ListenAddress ${address}`,
    'Port 22',
    `HostKey ${hostDir}/ssh_host_ed25519_key`,
    `PidFile ${hostDir}/sshd.pid`,
    `AuthorizedKeysFile ${hostDir}/authorized_keys`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The fleet's files live under a root-owned run directory; no need for the home-dir checks.
    'StrictModes no',
    'PrintMotd no',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

function up(o) {
  requireRoot();
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > MAX_HOSTS) fail(`up needs a host count N from 1 to ${MAX_HOSTS}`);
  if (fs.existsSync(path.join(o.dir, 'hosts.json'))) fail(`a fleet is already up in ${o.dir} (run: fleet down${o.prefix === 'albf' ? '' : ` --prefix ${o.prefix}`})`);
  ensureSshd();
  const n = names(o.prefix);
  fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation directory
  const key = path.join(o.dir, 'id_ed25519');
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `cdktf-alb fleet ${o.prefix}`, '-f', key]);
  const publicKey = fs.readFileSync(`${key}.pub`, 'utf8');
  const hostCa = path.join(o.dir, 'host_ca');
  if (o.hostCa) run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `cdktf-alb fleet ${o.prefix} host CA`, '-f', hostCa]);

  run('ip', ['link', 'add', n.bridge, 'type', 'bridge']);
  run('ip', ['addr', 'add', `${o.subnet}.1/24`, 'dev', n.bridge]);
  run('ip', ['link', 'set', n.bridge, 'up']);
  const hosts = [];
  for (let i = 1; i <= o.count; i++) {
    const ns = n.host(i);
    const address = `${o.subnet}.${10 + i}`;
    const hostDir = path.join(o.dir, ns);
    const installBacking = path.join(hostDir, 'install');
    fs.mkdirSync(installBacking, { recursive: true });
    run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', n.vethOut(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    run('ip', ['link', 'set', n.vethOut(i), 'master', n.bridge, 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(hostDir, 'ssh_host_ed25519_key')]);
    fs.writeFileSync(path.join(hostDir, 'authorized_keys'), publicKey, { mode: 0o600 });
    let certificate;
    if (o.hostCa) {
      // Signed for the address: Terraform connects by address and checks it against the principals.
      run('ssh-keygen', ['-q', '-s', hostCa, '-I', ns, '-h', '-n', address, `${path.join(hostDir, 'ssh_host_ed25519_key')}.pub`]);
      certificate = path.join(hostDir, 'ssh_host_ed25519_key-cert.pub');
    }
    fs.writeFileSync(path.join(hostDir, 'sshd_config'), sshdConfig(hostDir, address, certificate));
    // The host's own mount namespace: its directory on the install dir, and no view of this
    // machine's systemd (a host without systemd: the runtime's daemon mode supervises).
    const mountScript = [
      'set -e',
      'mount --make-rprivate /',
      `mkdir -p ${INSTALL_DIR}`,
      `mount --bind ${JSON.stringify(installBacking)} ${INSTALL_DIR}`,
      'if [ -d /run/systemd/system ]; then mount -t tmpfs tmpfs /run/systemd/system; fi',
      // A fresh home for root, as on a new machine: sessions must not run this machine's
      // dotfiles (a shell hook there, e.g. pyenv's rehash, can block every session for a
      // minute once `down` has killed one of them holding its lock).
      'mount -t tmpfs -o mode=0700 tmpfs /root',
      `exec /usr/sbin/sshd -f ${JSON.stringify(path.join(hostDir, 'sshd_config'))} -E ${JSON.stringify(path.join(hostDir, 'sshd.log'))}`,
    ].join('\n');
    run('ip', ['netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', mountScript]);
    // The public half of the key this sshd serves: known here first-hand, no ssh-keyscan needed.
    const hostKey = fs.readFileSync(path.join(hostDir, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    hosts.push({ name: `h${i}`, namespace: ns, address, port: 22, user: 'root', hostKey });
  }
  // sshd daemonizes after binding; wait until each answers.
  const deadline = Date.now() + 10000;
  for (const h of hosts) {
    for (;;) {
      const probe = run(process.execPath, ['-e', `require('net').connect(22, ${JSON.stringify(h.address)}).on('connect', () => process.exit(0)).on('error', () => process.exit(1))`], { allowFail: true });
      if (probe.status === 0) break;
      if (Date.now() > deadline) fail(`sshd of ${h.name} (${h.address}) does not answer; see ${path.join(o.dir, h.namespace, 'sshd.log')}`);
      execFileSync('sleep', ['0.1']);
    }
  }
  const knownHosts = path.join(o.dir, 'known_hosts');
  const authority = o.hostCa ? fs.readFileSync(`${hostCa}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ') : undefined;
  fs.writeFileSync(knownHosts, hosts.map((h) => `${h.address} ${h.hostKey}\n`).join('') +
    (authority ? `@cert-authority ${hosts.map((h) => h.address).join(',')} ${authority}\n` : ''));
  const doc = {
    prefix: o.prefix, subnet: `${o.subnet}.0/24`, privateKeyFile: key, knownHostsFile: knownHosts, installDir: INSTALL_DIR,
    ...(authority ? { hostCertificateAuthority: authority } : {}), hosts,
  };
  fs.writeFileSync(path.join(o.dir, 'hosts.json'), JSON.stringify(doc, null, 2) + '\n');
  process.stdout.write(`fleet ${o.prefix}: ${hosts.length} hosts up (${hosts.map((h) => `${h.name} ${h.address}`).join(', ')})\n` +
    `  key: ${key}\n  hosts: ${path.join(o.dir, 'hosts.json')}\n` +
    `  try: ssh -i ${key} -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes root@${hosts[0].address} node --version\n`);
}

/** Namespaces whose name starts with `<prefix>-h`. */
function fleetNamespaces(prefix) {
  const out = run('ip', ['netns', 'list'], { allowFail: true }).stdout || '';
  return out.split('\n').map((l) => l.split(' ')[0]).filter((ns) => new RegExp(`^${prefix}-h\\d+$`).test(ns));
}

function killNamespace(ns) {
  // Every process whose network namespace is this host's: sshd, its sessions, deployed daemons.
  for (let round = 0; round < 50; round++) {
    const pids = (run('ip', ['netns', 'pids', ns], { allowFail: true }).stdout || '').split('\n').filter(Boolean).map(Number);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    execFileSync('sleep', ['0.1']);
  }
  throw new Error(`processes in namespace ${ns} survive SIGKILL`);
}

function down(o) {
  requireRoot();
  const n = names(o.prefix);
  const namespaces = fleetNamespaces(o.prefix);
  for (const ns of namespaces) killNamespace(ns);
  for (const ns of namespaces) run('ip', ['netns', 'delete', ns], { allowFail: true });
  // veth ends on this side go with their peers; a half-made host may have left one.
  const links = (run('ip', ['-o', 'link', 'show'], { allowFail: true }).stdout || '').split('\n')
    .map((l) => (l.split(': ')[1] || '').split('@')[0]).filter((l) => l.startsWith(`${o.prefix}-`));
  for (const link of links) run('ip', ['link', 'delete', link], { allowFail: true });
  fs.rmSync(o.dir, { recursive: true, force: true });
  // The empty mount point `up` made on the shared file system stays: removing it would detach
  // the bind mounts of every other fleet's hosts (Linux unmounts mounts on a removed directory
  // in all mount namespaces).
  process.stdout.write(`fleet ${o.prefix}: down (${namespaces.length} hosts removed${links.includes(n.bridge) ? ', bridge removed' : ''})\n`);
}

function status(o) {
  const file = path.join(o.dir, 'hosts.json');
  const namespaces = fleetNamespaces(o.prefix);
  if (!fs.existsSync(file)) {
    process.stdout.write(`fleet ${o.prefix}: not up${namespaces.length ? ` (but ${namespaces.length} namespaces left: run fleet down)` : ''}\n`);
    return;
  }
  process.stdout.write(fs.readFileSync(file, 'utf8'));
}

const o = parseArgs(process.argv.slice(2));
const commands = { up, down, status };
if (!commands[o.command]) fail('usage: fleet up N [--prefix P] [--subnet A.B.C] [--dir DIR] [--host-ca] | fleet down [--prefix P] [--dir DIR] | fleet status');
try {
  commands[o.command](o);
} catch (e) {
  if (o.command === 'up') {
    process.stderr.write(`fleet: up failed: ${e.message}\nfleet: removing what was made ...\n`);
    try {
      down(o);
    } catch (e2) {
      process.stderr.write(`fleet: cleanup failed too: ${e2.message}\n`);
    }
    process.exit(1);
  }
  fail(e.message);
}
