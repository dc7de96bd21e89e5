import { BackendServiceConfig, TargetConfig } from '../../lib/config/types';
import { backend, target } from './helpers/config';

/** Targets `t0..tn` on 127.0.3.x with the given weights (ids are what the ring keys on). */
export function targets(weights: number[], idPrefix = 't'): TargetConfig[] {
  return weights.map((weight, i) => target(`${idPrefix}${i}`, `127.0.3.${i + 1}`, 8000 + i, weight));
}

/** Synthetic client addresses 127.a.b.c, deterministic. */
export function clientIps(count: number): string[] {
  const ips: string[] = [];
  for (let i = 0; i < count; i++) ips.push(`127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return ips;
}

/** A complete backend service config for runtime unit tests; override what the test is about. */
export function backendConfig(overrides: Partial<BackendServiceConfig> = {}): BackendServiceConfig {
  return backend('web', targets([1, 1, 1]), {
    port: 8080,
    healthCheck: {
      enabled: true, protocol: 'TCP', port: 0, intervalMs: 200, timeoutMs: 100,
      healthyThreshold: 2, unhealthyThreshold: 2, httpVersion: 'HTTP1.0', httpDomain: null,
      httpPath: '/', httpCodes: '2xx,3xx',
    },
    ...overrides,
  });
}
