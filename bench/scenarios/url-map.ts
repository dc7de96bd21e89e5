/**
 * What forwarding rules cost on the request path (issue 12's target: a listener with a
 * 50-rule URL map serves small keep-alive requests within 5 % of the req/s of the same
 * listener without one). This runtime only, 1 worker, the headline scenario; the two variants
 * alternate within each repeat so drift on the machine hits both alike.
 */
import { ScenarioResult } from '../lib/results';
import { RuntimeScenarioInput } from './common';
import { measureRuntimeVariants, RuntimeVariant } from './runtime-variants';

export const URL_MAP_RULES = 50;

const VARIANTS: RuntimeVariant[] = [
  { id: 'no URL map', context: {} },
  { id: `${URL_MAP_RULES}-rule URL map`, context: { urlMapRules: URL_MAP_RULES } },
];

export async function runUrlMapCost(o: RuntimeScenarioInput & { repeats: number; durationSec: number; warmupSec: number }): Promise<ScenarioResult> {
  const base: ScenarioResult = {
    id: 'url-map-cost', title: `Forwarding rules cost (this runtime, 1 worker, small keep-alive, ${URL_MAP_RULES}-rule map vs none)`,
    status: 'ok', columns: ['rps', 'p50Ms', 'p99Ms', 'cpuUsPerReq', 'errors'], rows: [], notes: [
      `Target: the ${URL_MAP_RULES}-rule map within 5 % of the req/s without a map. Requests match the map's last rule after missing every wildcard host (bench/proxies/alb-config.ts benchUrlMap).`,
    ],
  };
  return measureRuntimeVariants(o, base, VARIANTS);
}
