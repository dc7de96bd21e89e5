/**
 * The proxy comparison: for each repeat, for each worker count, for each proxy (order rotated
 * per repeat so no proxy always runs first or last), start the proxy, run every HTTP and TCP
 * scenario against it, stop it. A "direct" row (wrk straight at one backend) shows the ceiling.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ProxySpec, RunningProxy } from '../proxies/types';
import { BackendSet } from '../backends/backend-set';
import { TlsFiles } from '../lib/tls';
import { Collector, ScenarioResult } from '../lib/results';
import { runWrk } from '../lib/wrk';
import { measureHttp, measureDirect, HttpScenario } from './http';
import { measureTcp, TcpScenario } from './tcp';

export interface CompareInput {
  proxies: ProxySpec[];
  backend: BackendSet;
  tls: TlsFiles;
  dir: string;
  repeats: number;
  workerCounts: number[];
  durationSec: number;
  warmupSec: number;
  /** Seconds of load on the first HTTP scenario right after a proxy starts (0: none). */
  startWarmupSec: number;
  luaHook: string;
  loadCpus: string;
  proxyCpus: (workers: number) => string;
  httpScenarios: HttpScenario[];
  tcpScenarios: TcpScenario[];
  log: (s: string) => void;
}

export const DIRECT = 'direct (no proxy)';

export async function runComparison(o: CompareInput): Promise<ScenarioResult[]> {
  const c = new Collector();
  const st = { durationSec: o.durationSec, warmupSec: o.warmupSec, loadCpus: o.loadCpus, luaHook: o.luaHook, backendPids: () => o.backend.pids() };
  for (let rep = 0; rep < o.repeats; rep++) {
    for (const workers of o.workerCounts) {
      const order = o.proxies.map((_, i) => o.proxies[(i + rep) % o.proxies.length]);
      for (const spec of order) {
        const dir = path.join(o.dir, `${spec.id}-w${workers}-r${rep}`);
        fs.mkdirSync(dir, { recursive: true });
        let proxy: RunningProxy;
        try {
          proxy = await spec.start({ workers, dir, cpus: o.proxyCpus(workers), backend: o.backend, tls: o.tls });
        } catch (err) {
          const msg = `start failed: ${(err as Error).message}`;
          o.log(`  ${spec.id} w${workers}: ${msg}`);
          for (const s of [...o.httpScenarios, ...o.tcpScenarios]) c.fail(s.id, workers, spec.id, msg);
          continue;
        }
        try {
          const first = o.httpScenarios.find((x) => !x.https);
          if (o.startWarmupSec > 0 && first !== undefined) {
            await runWrk({ url: proxy.httpUrl(first.path), connections: first.connections, threads: 1,
              luaHook: o.luaHook, cpus: o.loadCpus, headers: first.headers, durationSec: o.startWarmupSec });
          }
          for (const s of o.httpScenarios) {
            try {
              const m = await measureHttp(proxy, s, st);
              c.add(s.id, workers, spec.id, rep, { ...m });
              o.log(`  rep ${rep + 1} w${workers} ${spec.id.padEnd(10)} ${s.id.padEnd(22)} ${m.rps.toFixed(0).padStart(7)} ${s.unit}  p99 ${m.p99Ms.toFixed(2)} ms  cpu ${m.cpuPct.toFixed(0)}%  rss ${m.peakRssMiB.toFixed(0)} MiB  foreign cpu ${m.foreignCpuPct.toFixed(0)}%${m.errors ? `  errors ${m.errors}` : ''}`);
            } catch (err) {
              c.fail(s.id, workers, spec.id, `failed: ${(err as Error).message.slice(0, 200)}`);
              o.log(`  ${spec.id} ${s.id}: ${(err as Error).message}`);
            }
          }
          if (spec.supportsTcp && proxy.tcp) {
            for (const s of o.tcpScenarios) {
              try {
                const m = await measureTcp(proxy.tcp, () => proxy.pids(), s, o.durationSec, o.loadCpus);
                c.add(s.id, workers, spec.id, rep, { ...m });
                o.log(`  rep ${rep + 1} w${workers} ${spec.id.padEnd(10)} ${s.id.padEnd(22)} ${m.mibPerSec.toFixed(0).padStart(7)} MiB/s  cpu ${m.cpuPct.toFixed(0)}%`);
              } catch (err) {
                c.fail(s.id, workers, spec.id, `failed: ${(err as Error).message.slice(0, 200)}`);
              }
            }
          }
        } finally {
          await proxy.stop();
        }
      }
    }
    // The ceiling without a proxy, once per repeat (worker count does not apply).
    for (const s of o.httpScenarios.filter((x) => !x.https)) {
      try {
        const t = o.backend.targets[0];
        c.add(s.id, null, DIRECT, rep, { ...(await measureDirect(`http://${t.host}:${t.port}${s.path}`, s, st)) });
      } catch (err) {
        c.fail(s.id, null, DIRECT, `failed: ${(err as Error).message.slice(0, 200)}`);
      }
    }
    for (const s of o.tcpScenarios) {
      try {
        c.add(s.id, null, DIRECT, rep, { ...(await measureTcp(o.backend.tcpSource, () => [], s, o.durationSec, o.loadCpus)) });
      } catch (err) {
        c.fail(s.id, null, DIRECT, `failed: ${(err as Error).message.slice(0, 200)}`);
      }
    }
  }
  const httpCols = ['rps', 'p50Ms', 'p99Ms', 'p999Ms', 'cpuPct', 'cpuUsPerReq', 'peakRssMiB', 'errors', 'foreignCpuPct'];
  const results: ScenarioResult[] = o.httpScenarios.map((s) => ({
    id: s.id, title: s.title, status: 'ok',
    columns: s.id === 'http-1m' || s.id === 'http-64k' ? ['rps', 'mibPerSec', ...httpCols.slice(1)] : httpCols,
    rows: c.reduce(s.id, 'nginx'),
    notes: s.unit === 'handshakes/s' ? ['req/s here = full TLS handshakes per second (wrk does not resume sessions).'] : [],
  }));
  for (const s of o.tcpScenarios) {
    results.push({ id: s.id, title: s.title, status: 'ok', columns: ['mibPerSec', 'transfersPerSec', 'cpuPct', 'peakRssMiB', 'errors'],
      rows: c.reduce(s.id, 'nginx'), notes: ['Only proxies with an L4 TCP mode (this runtime, nginx stream, HAProxy mode tcp).'] });
  }
  return results;
}
