/**
 * The loop shared by the runtime-only cost scenarios (algorithm-cost, url-map-cost): for each
 * repeat, start this runtime once per variant (1 worker), measure the headline scenario,
 * stop it; variants alternate within a repeat so drift on the machine hits them alike. Rows
 * are reduced as ratios to the first variant.
 */
import * as fs from 'fs';
import * as path from 'path';
import { albRuntime } from '../proxies/alb-runtime';
import { ProxyContext, RunningProxy } from '../proxies/types';
import { Collector, ScenarioResult } from '../lib/results';
import { HTTP_SCENARIOS, measureHttp } from './http';
import { RuntimeScenarioInput } from './common';

export interface RuntimeVariant {
  id: string;
  /** What this variant changes in the runtime's config (algorithm, URL map...). */
  context: Pick<ProxyContext, 'algorithm' | 'urlMapRules'>;
  /** Extra request headers for wrk, worked out once the proxy runs (e.g. a session cookie). */
  headers?: (proxy: RunningProxy) => Promise<string[]>;
}

export async function measureRuntimeVariants(o: RuntimeScenarioInput & { repeats: number; durationSec: number; warmupSec: number },
  base: ScenarioResult, variants: RuntimeVariant[]): Promise<ScenarioResult> {
  if (o.albReason !== null) return { ...base, status: `unavailable: ${o.albReason}` };
  const headline = HTTP_SCENARIOS[0];
  const st = { durationSec: o.durationSec, warmupSec: o.warmupSec, loadCpus: o.loadCpus, luaHook: o.luaHook, backendPids: () => o.backend.pids() };
  const c = new Collector();
  for (let rep = 0; rep < o.repeats; rep++) {
    for (const [i, v] of variants.entries()) {
      const dir = path.join(o.dir, `${base.id}-${i}-r${rep}`);
      fs.mkdirSync(dir, { recursive: true });
      let proxy: RunningProxy | null = null;
      try {
        proxy = await albRuntime.start({ workers: 1, dir, cpus: o.proxyCpus(1), backend: o.backend, tls: o.tls, ...v.context });
        const extra = v.headers ? await v.headers(proxy) : [];
        const m = await measureHttp(proxy, headline, st, extra);
        c.add(base.id, 1, v.id, rep, { ...m });
        o.log(`  ${base.id} rep ${rep + 1} ${v.id.padEnd(20)} ${m.rps.toFixed(0)} req/s, ${m.cpuUsPerReq.toFixed(1)} µs CPU/req`);
      } catch (err) {
        c.fail(base.id, 1, v.id, `failed: ${(err as Error).message.slice(0, 200)}`);
        o.log(`  ${base.id} ${v.id}: ${(err as Error).message}`);
      } finally {
        if (proxy) await proxy.stop();
      }
    }
  }
  return { ...base, rows: c.reduce(base.id, variants[0].id) };
}
