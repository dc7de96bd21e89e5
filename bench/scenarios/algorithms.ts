/**
 * What each scheduling algorithm and cookie persistence cost on the request path, relative to
 * plain weighted round robin, this runtime only (1 worker, small keep-alive responses).
 * "cookie insert": wrk sends no cookie, so every response carries a freshly signed
 * Set-Cookie. "cookie honour": wrk sends a valid cookie, so every request is verified and
 * pinned (and the cookie refreshed, as its idle timeout requires).
 */
import { COOKIE_NAME } from '../proxies/alb-config';
import { RunningProxy } from '../proxies/types';
import { ScenarioResult } from '../lib/results';
import { httpGet } from '../lib/net';
import { RuntimeScenarioInput } from './common';
import { measureRuntimeVariants, RuntimeVariant } from './runtime-variants';

const VARIANTS: RuntimeVariant[] = [
  { id: 'WRR', context: { algorithm: 'WRR' } },
  { id: 'WLC', context: { algorithm: 'WLC' } },
  { id: 'SOURCE_IP_HASH', context: { algorithm: 'IP_HASH' } },
  { id: 'WRR + cookie insert', context: { algorithm: 'WRR_COOKIE' } },
  { id: 'WRR + cookie honour', context: { algorithm: 'WRR_COOKIE' }, headers: async (proxy) => [`Cookie: ${await sessionCookie(proxy)}`] },
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
  return measureRuntimeVariants(o, base, VARIANTS);
}
