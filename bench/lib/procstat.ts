/**
 * CPU time and memory of a proxy, read from /proc. A proxy is a process tree (nginx master +
 * workers, node cluster primary + workers, HAProxy's single process), so every figure is
 * summed over the tree rooted at the pid the harness started.
 */
import * as fs from 'fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat. 100 on every Linux we run on. */
const CLOCK_TICKS_PER_SECOND = 100;

function readOrNull(file: string): string | null {
  try { return fs.readFileSync(file, 'utf8'); } catch { return null; }
}

/** Fields of /proc/<pid>/stat after the command name (which may itself contain spaces). */
function statFields(pid: number): string[] | null {
  const text = readOrNull(`/proc/${pid}/stat`);
  if (text === null) return null;
  const close = text.lastIndexOf(')');
  return text.slice(close + 2).trim().split(' ');
}

/** The pid and all its descendants that exist right now. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (f === null) continue;
    const ppid = Number(f[1]); // field 4 overall: ppid
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (!fs.existsSync(`/proc/${pid}`)) continue;
    out.push(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return out;
}

/** utime + stime of one process, in seconds. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (f === null) return 0;
  // After the ')' the fields start at overall field 3 (state); utime is field 14, stime 15.
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND;
}

export type CpuSnapshot = Map<number, number>;

export function cpuSnapshot(pids: number[]): CpuSnapshot {
  return new Map(pids.map((p) => [p, cpuSeconds(p)]));
}

/** CPU seconds spent by the tree between two snapshots (processes born in between count from 0). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): number {
  let total = 0;
  for (const [pid, t] of after) total += t - (before.get(pid) ?? 0);
  return total;
}

function statusKb(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const text = readOrNull(`/proc/${pid}/status`);
  if (text === null) return 0;
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export const peakRssKb = (pid: number): number => statusKb(pid, 'VmHWM');
export const rssKb = (pid: number): number => statusKb(pid, 'VmRSS');

/**
 * Resets the peak-RSS mark (VmHWM) of each process (writing 5 to clear_refs), so that a
 * measurement taken after one scenario is not the peak of an earlier one on the same process.
 * Returns false when the kernel refuses (then VmHWM is the peak since start).
 */
export function resetPeakRss(pids: number[]): boolean {
  let ok = true;
  for (const pid of pids) {
    try { fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); } catch { ok = false; }
  }
  return ok;
}

export function sumPeakRssMiB(pids: number[]): number {
  return pids.reduce((s, p) => s + peakRssKb(p), 0) / 1024;
}

/** CPU seconds all cores have been busy since boot (/proc/stat, first line). */
export function machineBusySeconds(): number {
  const line = (readOrNull('/proc/stat') ?? '').split('\n')[0];
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
  return busy / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds of this process plus its exited (waited-for) children, e.g. wrk. */
export function ownAndChildrenCpuSeconds(): number {
  const f = statFields(process.pid);
  if (f === null) return 0;
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Measures the CPU that processes outside the benchmark used during an interval: the
 * machine's busy time minus the proxy's, the backend's, the harness's and its finished
 * children's (wrk). On a shared machine this says how much a figure was disturbed.
 */
export class ForeignCpuMeter {
  private readonly machine0 = machineBusySeconds();
  private readonly own0 = ownAndChildrenCpuSeconds();
  private readonly t0 = process.hrtime.bigint();
  private readonly backend0: CpuSnapshot;

  constructor(private readonly backendPids: number[]) {
    this.backend0 = cpuSnapshot(backendPids);
  }

  /** Percent of one core used by foreign processes (200 = both cores of a 2-core machine). */
  stop(proxyCpuSeconds: number): number {
    const wall = Number(process.hrtime.bigint() - this.t0) / 1e9;
    const machine = machineBusySeconds() - this.machine0;
    const own = ownAndChildrenCpuSeconds() - this.own0;
    const backend = cpuDelta(this.backend0, cpuSnapshot(this.backendPids));
    return Math.max(0, ((machine - own - backend - proxyCpuSeconds) / wall) * 100);
  }
}
