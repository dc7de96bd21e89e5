/**
 * Process supervision written once for every place that runs a daemon on a host: the
 * runtime's own daemon mode (runtime/process/daemon.ts), the local target's VM launcher and
 * the SSH target's host agent (hosts/), and the scripts and tests that check what is left.
 *
 * Linux facts it relies on: a process that exited but was not reaped yet (a zombie) still
 * answers signal 0, so "alive" also reads /proc/PID/stat; a pid can be reused, so a recorded
 * process is identified by pid *and* start time; a process group outlives its leader, so a
 * stop waits for the whole group.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';

/** The fields of /proc/PID/stat after the command name (field 3 onwards), or null. */
function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** True when `pid` exists and is not a zombie (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  // No /proc entry although signal 0 reached it: not Linux (trust the signal), or gone just now.
  if (fields === null) return fs.existsSync('/proc/self') ? false : true;
  return fields[0] !== 'Z';
}

/** Start time of a process in clock ticks since boot (/proc/PID/stat field 22), or null. */
export function processStartTicks(pid: number): number | null {
  const fields = statFields(pid);
  return fields === null ? null : Number(fields[19]); // fields[0] is field 3
}

/** True when `pid` is alive and still the process that started at `startTicks` (null: unknown). */
export function sameProcess(pid: number, startTicks: number | null): boolean {
  if (!pidAlive(pid)) return false;
  if (startTicks === null) return true;
  const now = processStartTicks(pid);
  return now === null || now === startTicks;
}

/**
 * Live (non-zombie) members of process group `pgid`. A daemon may fork helpers (workers) that
 * outlive it on SIGTERM; a stop must wait for the whole group, not only the leader.
 */
export function groupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    // No /proc (not Linux): ask the kernel whether the group has any member.
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    // fields[0] = state (field 3), fields[2] = process group (field 5)
    if (fields !== null && fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    /* already gone */
  }
}

/**
 * SIGTERM to the process group led by `pgid` (a detached daemon leads its own), wait up to
 * graceMs for every member to exit, then SIGKILL the group. 'gone': nothing was running;
 * 'terminated': it exited on SIGTERM; 'killed': it needed SIGKILL. `leaderOnly`: SIGTERM goes
 * to the leader alone (the LB runtime's primary drains and stops its own workers; a SIGTERM
 * straight to a worker would cut its connections short).
 */
export async function terminateGroup(pgid: number, graceMs: number, options: { leaderOnly?: boolean } = {}): Promise<'gone' | 'terminated' | 'killed'> {
  if (groupMembers(pgid).length === 0) return 'gone';
  signal(options.leaderOnly ? pgid : -pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (groupMembers(pgid).length === 0) return 'terminated';
    await sleep(50);
  }
  signal(-pgid, 'SIGKILL');
  const hardDeadline = Date.now() + 5000;
  while (groupMembers(pgid).length > 0 && Date.now() < hardDeadline) await sleep(50);
  const left = groupMembers(pgid);
  if (left.length > 0) throw new Error(`process group ${pgid} survived SIGKILL for 5 s (pids ${left.join(', ')})`);
  return 'killed';
}

/** Reads a pid file: the pid, or null when missing or not a positive integer. */
export function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The last `lines` lines of a log file, for error messages ('' when missing). */
export function logTail(file: string, lines = 20): string {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      // Only the end of the file: logs of long-running daemons grow large.
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, 16 * 1024));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      text = buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
  return text.split('\n').slice(-lines - 1).join('\n').trim();
}

/** Resolves true when a TCP connection to address:port succeeds within timeoutMs. */
export function portAccepts(address: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** GET http://host:port/path; true on a 200 within timeoutMs. */
export function httpOk(host: string, port: number, urlPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Polls `check` every 100 ms until it is true (→ true) or timeoutMs passed (→ false). */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}
