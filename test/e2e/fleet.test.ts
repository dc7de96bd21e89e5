/**
 * scripts/fleet.js with real namespaces and real sshd: every host answers on its own address
 * with its own key-only sshd, has its own install dir (private mount namespace) while Node.js
 * is shared, reaches the others over the bridge; `down` leaves no namespace, link, process or
 * directory, also after a half-made `up`.
 */
import { execFileSync } from 'child_process';
import { pidAlive } from '../../lib/process/supervision';
import { Fleet, fleetDown, fleetLeftovers, fleetUnavailable, fleetUp, hostPids, ssh } from './fleet-harness';

const PREFIX = 'albkf';
const unavailable = fleetUnavailable();
const maybe = unavailable === null ? describe : describe.skip;
if (unavailable !== null) console.warn(`fleet tests skipped: ${unavailable}`);

jest.setTimeout(120000);

maybe('local fleet', () => {
  let fleet: Fleet;
  const seenPids: number[] = [];

  beforeAll(() => {
    fleet = fleetUp(PREFIX, 3, '10.231.220');
  });

  afterAll(() => {
    fleetDown(PREFIX);
  });

  test('each host: own address and sshd, key login as root, Node.js >= 20, own install dir', async () => {
    expect(fleet.hosts.map((h) => h.address)).toEqual(['10.231.220.11', '10.231.220.12', '10.231.220.13']);
    for (const host of fleet.hosts) {
      const out = await ssh(fleet, host, `node --version; ip -o -4 addr show dev eth0; echo ${host.name} > ${fleet.installDir}/whoami; cat ${fleet.installDir}/whoami`);
      expect(out).toMatch(/^v(\d+)\./);
      expect(Number(/^v(\d+)\./.exec(out)![1])).toBeGreaterThanOrEqual(20);
      expect(out).toContain(`inet ${host.address}/24`);
      expect(out.trim().endsWith(host.name)).toBe(true);
      seenPids.push(...hostPids(host));
    }
    // hosts.json names the key each sshd really serves (the ssh above checked it too: StrictHostKeyChecking=yes).
    const scanned = execFileSync('ssh-keyscan', ['-t', 'ed25519', ...fleet.hosts.map((h) => h.address)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const host of fleet.hosts) expect(scanned).toContain(`${host.address} ${host.hostKey}`);
    expect(new Set(fleet.hosts.map((h) => h.hostKey)).size).toBe(fleet.hosts.length);
    // Each host kept its own file: the install dirs are separate.
    for (const host of fleet.hosts) expect((await ssh(fleet, host, `cat ${fleet.installDir}/whoami`)).trim()).toBe(host.name);
    // Hosts reach each other over the bridge.
    const [a, b] = fleet.hosts;
    expect(await ssh(fleet, a, `node -e "require('net').connect(22, '${b.address}').on('connect', () => { console.log('ok'); process.exit(0); })"`)).toContain('ok');
  });

  test('password and unknown keys are refused', () => {
    const r = (() => {
      try {
        execFileSync('ssh', ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
          '-o', 'IdentityFile=/dev/null', '-o', 'ConnectTimeout=5', `root@${fleet.hosts[0].address}`, 'true'], { stdio: 'pipe' });
        return 'logged in';
      } catch (e) {
        return String((e as { stderr?: Buffer }).stderr);
      }
    })();
    expect(r).toContain('Permission denied');
  });

  test('down removes namespaces, links, processes and files; a second down is harmless', () => {
    const pids = fleet.hosts.flatMap((h) => hostPids(h));
    expect(pids.length).toBeGreaterThanOrEqual(3);
    fleetDown(PREFIX);
    expect(fleetLeftovers(PREFIX)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
    fleetDown(PREFIX);
  });
});
