/**
 * What forwarding rules cost on the request path (issue 12's target: a listener with a
 * 50-rule URL map serves small keep-alive requests within 5 % of the req/s of the same
 * listener without one). This runtime only, 1 worker, the headline scenario; the two variants
 * alternate within each repeat so drift on the machine hits both alike.
 */
import * as fs from 'fs';
import * as path from 'path';
import { albRuntime } from '../proxies/alb-runtime';
import { RunningProxy } from '../proxies/types';
import { Collector, ScenarioResult } from '../lib/results';
import { HTTP_SCENARIOS, measureHttp } from './http';
import { RuntimeScenarioInput } from './common';

export const URL_MAP_RULES = 50;

const VARIANTS: { id: string; rules: number | undefined }[] = [
  { id: 'no URL map', rules: undefined },
  { id: `${URL_MAP_RULES}-rule URL map`, rules: URL_MAP_RULES },
];

export async function runUrlMapCost(o: RuntimeScenarioInput & { repeats: number; durationSec: number; warmupSec: number }): Promise<ScenarioResult> {
  const base: ScenarioResult = {
    id: 'url-map-cost', title: `Forwarding rules cost (this runtime, 1 worker, small keep-alive, ${URL_MAP_RULES}-rule map vs none)`,
    status: 'ok', columns: ['rps', 'p50Ms', 'p99Ms', 'cpuUsPerReq', 'errors'], rows: [], notes: [
      `Target: the ${URL_MAP_RULES}-rule map within 5 % of the req/s without a map. Requests match the map's last rule after missing every wildcard host (bench/proxies/alb-config.ts benchUrlMap).`,
    ],
  };
  if (o.albReason !== null) return { ...base, status: `unavailable: ${o.albReason}` };
  const headline = HTTP_SCENARIOS[0];
  const st = { durationSec: o.durationSec, warmupSec: o.warmupSec, loadCpus: o.loadCpus, luaHook: o.luaHook, backendPids: () => o.backend.pids() };
  const c = new Collector();
  for (let rep = 0; rep < o.repeats; rep++) {
    for (const v of VARIANTS) {
      const dir = path.join(o.dir, `url-map-${v.rules ?? 0}-r${rep}`);
      fs.mkdirSync(dir, { recursive: true });
      let proxy: RunningProxy | null = null;
      try {
        proxy = await albRuntime.start({ workers: 1, dir, cpus: o.proxyCpus(1), backend: o.backend, tls: o.tls, urlMapRules: v.rules });
        const m = await measureHttp(proxy, headline, st);
        c.add(base.id, 1, v.id, rep, { ...m });
        o.log(`  url-map rep ${rep + 1} ${v.id.padEnd(18)} ${m.rps.toFixed(0)} req/s, ${m.cpuUsPerReq.toFixed(1)} µs CPU/req`);
      } catch (err) {
        c.fail(base.id, 1, v.id, `failed: ${(err as Error).message.slice(0, 200)}`);
        o.log(`  url-map ${v.id}: ${(err as Error).message}`);
      } finally {
        if (proxy) await proxy.stop();
      }
    }
  }
  return { ...base, rows: c.reduce(base.id, VARIANTS[0].id) };
}
