/** L4 throughput: bytes pulled from the TCP source through a proxy's TCP listener. */
import * as path from 'path';
import { runToCompletion } from '../lib/processes';
import { cpuSnapshot, cpuDelta, resetPeakRss, sumPeakRssMiB } from '../lib/procstat';

export interface TcpScenario {
  id: string;
  title: string;
  sizeBytes: number;
  concurrency: number;
  minTransfers: number;
}

export const TCP_SCENARIOS: TcpScenario[] = [
  { id: 'tcp-1m', title: 'TCP L4, 1 MiB per connection (4 concurrent)', sizeBytes: 1024 ** 2, concurrency: 4, minTransfers: 20 },
  { id: 'tcp-100m', title: 'TCP L4, 100 MiB per connection (1 at a time)', sizeBytes: 100 * 1024 ** 2, concurrency: 1, minTransfers: 2 },
];

export interface TcpMetrics {
  mibPerSec: number;
  transfersPerSec: number;
  cpuPct: number;
  peakRssMiB: number;
  errors: number;
}

const CLIENT = path.join(__dirname, '..', 'load', 'tcp-client.js');

export async function measureTcp(target: { host: string; port: number }, pids: () => number[], s: TcpScenario,
  durationSec: number, loadCpus: string): Promise<TcpMetrics> {
  const p0 = pids();
  resetPeakRss(p0);
  const before = cpuSnapshot(p0);
  const r = await runToCompletion(process.execPath,
    [CLIENT, target.host, String(target.port), String(s.sizeBytes), String(s.concurrency), String(durationSec), String(s.minTransfers)],
    (durationSec + 120) * 1000, { cpus: loadCpus });
  const p1 = pids();
  const cpu = cpuDelta(before, cpuSnapshot(p1));
  if (r.code !== 0) throw new Error(`tcp-client ${s.id} exited ${r.code}: ${r.stderr.slice(0, 300)}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return {
    mibPerSec: j.bytes / 1024 / 1024 / j.elapsedSec,
    transfersPerSec: j.transfers / j.elapsedSec,
    cpuPct: (cpu / j.elapsedSec) * 100,
    peakRssMiB: p1.length > 0 ? sumPeakRssMiB(p1) : NaN,
    errors: j.failures,
  };
}
