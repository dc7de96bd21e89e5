/**
 * What each scheduling algorithm and cookie persistence cost on the request path, relative to
 * plain weighted round robin, this runtime only (1 worker, small keep-alive responses).
 * "cookie insert": wrk sends no cookie, so every response carries a freshly signed
 * Set-Cookie. "cookie honour": wrk sends a valid cookie, so every request is verified and
 * pinned (and the cookie refreshed, as its idle timeout requires).
 */
import * as fs from 'fs';
import * as path from 'path';
import { albRuntime } from '../proxies/alb-runtime';
import { COOKIE_NAME } from '../proxies/alb-config';
import { AlgorithmVariant, RunningProxy } from '../proxies/types';
import { Collector, ScenarioResult } from '../lib/results';
import { httpGet } from '../lib/net';
import { HTTP_SCENARIOS, measureHttp } from './http';
import { RuntimeScenarioInput } from './common';

const VARIANTS: { id: string; algorithm: AlgorithmVariant; sendCookie: boolean }[] = [
  { id: 'WRR', algorithm: 'WRR', sendCookie: false },
  { id: 'WLC', algorithm: 'WLC', sendCookie: false },
  { id: 'SOURCE_IP_HASH', algorithm: 'IP_HASH', sendCookie: false },
  { id: 'WRR + cookie insert', algorithm: 'WRR_COOKIE', sendCookie: false },
  { id: 'WRR + cookie honour', algorithm: 'WRR_COOKIE', sendCookie: true },
];

async function sessionCookie(proxy: RunningProxy): Promise<string> {
  const r = await httpGet(proxy.httpUrl('/small'));
  const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
  const mine = set.find((c) => c.startsWith(`${COOKIE_NAME}=`));
  if (!mine) throw new Error(`no ${COOKIE_NAME} Set-Cookie in the answer (got ${JSON.stringify(set)})`);
  return mine.split(';')[0];
}

export async function runAlgorithmCost(o: RuntimeScenarioInput & { repeats: number; durationSec: number; warmupSec: number }): Promise<ScenarioResult> {
  const base: ScenarioResult = {
    id: 'algorithm-cost', title: 'Algorithm and persistence cost (this runtime, 1 worker, small keep-alive)',
    status: 'ok', columns: ['rps', 'p50Ms', 'p99Ms', 'cpuUsPerReq', 'errors'], rows: [], notes: [],
  };
  if (o.albReason !== null) return { ...base, status: `unavailable: ${o.albReason}` };
  const headline = HTTP_SCENARIOS[0];
  const st = { durationSec: o.durationSec, warmupSec: o.warmupSec, loadCpus: o.loadCpus, luaHook: o.luaHook, backendPids: () => o.backend.pids() };
  const c = new Collector();
  for (let rep = 0; rep < o.repeats; rep++) {
    for (const v of VARIANTS) {
      const dir = path.join(o.dir, `algo-${v.algorithm}-${v.sendCookie}-r${rep}`);
      fs.mkdirSync(dir, { recursive: true });
      let proxy: RunningProxy | null = null;
      try {
        proxy = await albRuntime.start({ workers: 1, dir, cpus: o.proxyCpus(1), backend: o.backend, tls: o.tls, algorithm: v.algorithm });
        const extra = v.sendCookie ? [`Cookie: ${await sessionCookie(proxy)}`] : [];
        const m = await measureHttp(proxy, headline, st, extra);
        c.add(base.id, 1, v.id, rep, { ...m });
        o.log(`  algorithm rep ${rep + 1} ${v.id.padEnd(20)} ${m.rps.toFixed(0)} req/s`);
      } catch (err) {
        c.fail(base.id, 1, v.id, `failed: ${(err as Error).message.slice(0, 200)}`);
        o.log(`  algorithm ${v.id}: ${(err as Error).message}`);
      } finally {
        if (proxy) await proxy.stop();
      }
    }
  }
  return { ...base, rows: c.reduce(base.id, 'WRR') };
}
