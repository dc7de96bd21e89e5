/** HTTP/HTTPS load scenarios measured with wrk against a running proxy. */
import { RunningProxy } from '../proxies/types';
import { runWrk, WrkResult } from '../lib/wrk';
import { cpuSnapshot, cpuDelta, resetPeakRss, sumPeakRssMiB, ForeignCpuMeter } from '../lib/procstat';

export interface HttpScenario {
  id: string;
  title: string;
  path: string;
  https: boolean;
  connections: number;
  headers: string[];
  /** What one wrk "request" means in this scenario's headline unit. */
  unit: 'req/s' | 'handshakes/s';
}

export const HTTP_SCENARIOS: HttpScenario[] = [
  { id: 'http-small-keepalive', title: 'Small responses (128 B), keep-alive — headline', path: '/small', https: false, connections: 50, headers: [], unit: 'req/s' },
  { id: 'http-64k', title: '64 KiB responses, keep-alive', path: '/64k', https: false, connections: 20, headers: [], unit: 'req/s' },
  { id: 'http-1m', title: '1 MiB responses, keep-alive', path: '/1m', https: false, connections: 8, headers: [], unit: 'req/s' },
  { id: 'http-new-connection', title: 'New connection per request (Connection: close)', path: '/small', https: false, connections: 20, headers: ['Connection: close'], unit: 'req/s' },
  { id: 'https-keepalive', title: 'HTTPS small responses, keep-alive', path: '/small', https: true, connections: 50, headers: [], unit: 'req/s' },
  { id: 'https-handshakes', title: 'HTTPS full handshake per request (TLS 1.3, ECDSA P-256)', path: '/small', https: true, connections: 20, headers: ['Connection: close'], unit: 'handshakes/s' },
];

export interface HttpMetrics {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Proxy CPU as a percentage of one core over the measured interval. */
  cpuPct: number;
  /** Proxy CPU microseconds per request: efficiency independent of the throughput reached. */
  cpuUsPerReq: number;
  peakRssMiB: number;
  /** Socket errors + non-2xx/3xx answers: a proxy that fails requests must not look fast. */
  errors: number;
  mibPerSec: number;
  /** CPU % (of one core) used by processes outside the benchmark meanwhile: noise indicator. */
  foreignCpuPct: number;
}

export interface LoadSettings { durationSec: number; warmupSec: number; loadCpus: string; luaHook: string; backendPids: () => number[] }

function toMetrics(w: WrkResult, cpuSec: number, rss: number, foreignCpuPct: number): HttpMetrics {
  const e = w.errors;
  return {
    rps: w.requestsPerSec,
    p50Ms: w.latencyMs.p50, p99Ms: w.latencyMs.p99, p999Ms: w.latencyMs.p999,
    cpuPct: (cpuSec / w.durationSec) * 100,
    cpuUsPerReq: w.requests > 0 ? (cpuSec * 1e6) / w.requests : NaN,
    peakRssMiB: rss,
    errors: e.connect + e.read + e.write + e.timeout + e.status,
    mibPerSec: w.bytes / w.durationSec / 1024 / 1024,
    foreignCpuPct,
  };
}

export async function measureHttp(proxy: RunningProxy, s: HttpScenario, st: LoadSettings,
  extraHeaders: string[] = []): Promise<HttpMetrics> {
  const url = s.https ? proxy.httpsUrl(s.path) : proxy.httpUrl(s.path);
  const base = { url, connections: s.connections, threads: 1, luaHook: st.luaHook, cpus: st.loadCpus,
    headers: [...s.headers, ...extraHeaders] };
  if (st.warmupSec > 0) await runWrk({ ...base, durationSec: st.warmupSec });
  const pids = proxy.pids();
  resetPeakRss(pids);
  const before = cpuSnapshot(pids);
  const foreign = new ForeignCpuMeter(st.backendPids());
  const w = await runWrk({ ...base, durationSec: st.durationSec });
  const afterPids = proxy.pids();
  const cpu = cpuDelta(before, cpuSnapshot(afterPids));
  return toMetrics(w, cpu, sumPeakRssMiB(afterPids), foreign.stop(cpu));
}

/** The same load straight at one backend: the ceiling the machine allows without a proxy. */
export async function measureDirect(url: string, s: HttpScenario, st: LoadSettings): Promise<HttpMetrics> {
  const foreign = new ForeignCpuMeter(st.backendPids());
  const w = await runWrk({ url, connections: s.connections, threads: 1, luaHook: st.luaHook, cpus: st.loadCpus,
    headers: s.headers, durationSec: st.durationSec });
  return toMetrics(w, NaN, NaN, foreign.stop(0));
}
