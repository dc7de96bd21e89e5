/**
 * The builders of LB config documents for every runtime test: complete, valid documents with
 * the defaults a test does not care about, and overrides for what it does. Suites with
 * defaults of their own (cli-helpers.ts, balancer-helpers.ts) wrap these.
 */
import type {
  BackendServiceConfig, LbConfig, ListenerConfig, TargetConfig,
} from '../../../lib/config/types';

export const TEST_COOKIE_SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

export function target(id: string, address: string, port: number, weight = 1, groupPath = 'test/group'): TargetConfig {
  return { id, address, port, weight, source: { kind: 'serverGroup', path: groupPath, instance: null } };
}

export function backend(id: string, targets: TargetConfig[], over: Partial<BackendServiceConfig> = {}): BackendServiceConfig {
  return {
    id,
    path: `test/${id}`,
    protocol: 'HTTP',
    port: 80,
    algorithm: 'WEIGHTED_ROUND_ROBIN',
    sessionPersistence: null,
    healthCheck: {
      enabled: false, protocol: 'TCP', port: 0, intervalMs: 1000, timeoutMs: 500,
      healthyThreshold: 2, unhealthyThreshold: 2, httpVersion: 'HTTP1.1', httpDomain: null,
      httpPath: '/', httpCodes: '2xx',
    },
    forwardedHeaders: { proto: false, port: false, host: false, lbIp: false, clientPort: false },
    proxyProtocol: false,
    timeouts: { connectTimeoutMs: 1000, responseTimeoutMs: 5000 },
    passiveHealth: { maxFails: 1, failTimeoutMs: 10000 },
    targets,
    ...over,
  };
}

export function listener(id: string, port: number, backendService: string, over: Partial<ListenerConfig> = {}): ListenerConfig {
  return {
    id,
    path: `test/${id}`,
    protocol: 'HTTP',
    port,
    backendService,
    enabled: true,
    idleTimeoutMs: 30000,
    limits: { qps: -1, activeConnections: -1 },
    tls: null,
    hsts: null,
    ...over,
  };
}

export function lbConfig(listeners: ListenerConfig[], backendServices: BackendServiceConfig[], over: Partial<LbConfig> = {}): LbConfig {
  return {
    schemaVersion: 1,
    loadBalancer: { id: 'test-lb', path: 'test/lb', vpcCidr: '127.0.0.0/8' },
    cookieSecret: TEST_COOKIE_SECRET,
    nodes: [],
    admin: { port: 0 },
    listeners,
    backendServices,
    ...over,
  };
}
