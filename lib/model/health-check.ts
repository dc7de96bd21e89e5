/** Health-check fields of a backend service, with JD Cloud's ranges and defaults. */
import { checkEnum, checkIntRange, isHostHeader, isHttpCodeList } from './check';
import { BackendProtocol, HealthCheckHttpVersion, HealthCheckProtocol } from './enums';
import * as limits from './limits';
import { issue, Issue, ModelWarning } from './messages';
import { WarningIds } from './warnings';

/** Active health check of a backend service's targets. */
export interface HealthCheck {
  /**
   * Whether targets are checked. Without checks every target with weight > 0 gets traffic.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * How to check.
   * @default - HealthCheckProtocol.HTTP for HTTP backend services, HealthCheckProtocol.TCP for TCP ones
   */
  readonly protocol?: HealthCheckProtocol;
  /**
   * Port to check (0..65535); 0 = the target's traffic port.
   * @default 0
   */
  readonly port?: number;
  /**
   * Seconds between checks (5..300).
   * @default 5
   */
  readonly intervalSeconds?: number;
  /**
   * Seconds a check may take (2..60).
   * @default 3
   */
  readonly timeoutSeconds?: number;
  /**
   * Consecutive successes that make an unhealthy target healthy (1..5).
   * @default 3
   */
  readonly healthyThresholdCount?: number;
  /**
   * Consecutive failures that make a healthy target unhealthy (1..5).
   * @default 3
   */
  readonly unhealthyThresholdCount?: number;
  /**
   * HTTP version of check requests (HTTP checks only).
   * @default HealthCheckHttpVersion.HTTP1_0
   */
  readonly httpVersion?: HealthCheckHttpVersion;
  /**
   * Host header of check requests, at most 255 characters (HTTP checks only).
   * @default - the target's address
   */
  readonly domain?: string;
  /**
   * Request path, starting with `/` (HTTP checks only).
   * @default '/'
   */
  readonly path?: string;
  /**
   * Status codes that count as healthy: classes, codes and ranges within 200..499, e.g.
   * `2xx,3xx` or `200,202-207` (HTTP checks only).
   * @default '2xx,3xx'
   */
  readonly healthyHttpCodes?: string;
}

export interface HealthCheckModel {
  readonly enabled: boolean;
  readonly protocol: HealthCheckProtocol;
  readonly port: number;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
  readonly httpVersion: HealthCheckHttpVersion;
  /** Host header; null = the target's address. */
  readonly domain: string | null;
  readonly path: string;
  readonly healthyHttpCodes: string;
}

/** The HTTP health-check request path rule, for props and documents alike. */
export function checkHealthCheckPath(where: string, value: unknown): Issue[] {
  if (typeof value === 'string' && /^\/[\x21-\x7e]*$/.test(value) && value.length <= 1024) return [];
  return [issue(where, 'healthCheck.path', value, 'is not a request path', 'a path starting with "/" of printable characters without spaces')];
}

/**
 * Defaults: HTTP backends are checked with HTTP GET / (like elbv2 target groups), TCP
 * backends with a TCP connect; JD's thresholds (3/3), timeout (3 s) and interval (5 s).
 */
export function resolveHealthCheck(path: string, backendProtocol: BackendProtocol, spec: HealthCheck | undefined):
{ model: HealthCheckModel; errors: Issue[]; warnings: ModelWarning[] } {
  const s = spec ?? {};
  const field = (name: string) => `healthCheck.${name}`;
  const protocol = s.protocol ?? (backendProtocol === BackendProtocol.HTTP ? HealthCheckProtocol.HTTP : HealthCheckProtocol.TCP);
  const model: HealthCheckModel = {
    enabled: s.enabled ?? true,
    protocol,
    port: s.port ?? 0,
    intervalSeconds: s.intervalSeconds ?? limits.DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS,
    timeoutSeconds: s.timeoutSeconds ?? limits.DEFAULT_HEALTH_CHECK_TIMEOUT_SECONDS,
    healthyThresholdCount: s.healthyThresholdCount ?? limits.DEFAULT_THRESHOLD,
    unhealthyThresholdCount: s.unhealthyThresholdCount ?? limits.DEFAULT_THRESHOLD,
    httpVersion: s.httpVersion ?? HealthCheckHttpVersion.HTTP1_0,
    domain: s.domain ?? null,
    path: s.path ?? limits.DEFAULT_HEALTH_CHECK_PATH,
    healthyHttpCodes: s.healthyHttpCodes ?? limits.DEFAULT_HEALTHY_HTTP_CODES,
  };
  const errors: Issue[] = [
    ...checkEnum(path, field('protocol'), model.protocol, Object.values(HealthCheckProtocol), 'HealthCheckProtocol'),
    ...checkIntRange(path, field('port'), model.port, limits.PORT_OR_INHERIT),
    ...checkIntRange(path, field('intervalSeconds'), model.intervalSeconds, limits.HEALTH_CHECK_INTERVAL_SECONDS, 'seconds'),
    ...checkIntRange(path, field('timeoutSeconds'), model.timeoutSeconds, limits.HEALTH_CHECK_TIMEOUT_SECONDS, 'seconds'),
    ...checkIntRange(path, field('healthyThresholdCount'), model.healthyThresholdCount, limits.HEALTHY_THRESHOLD),
    ...checkIntRange(path, field('unhealthyThresholdCount'), model.unhealthyThresholdCount, limits.UNHEALTHY_THRESHOLD),
    ...checkEnum(path, field('httpVersion'), model.httpVersion, Object.values(HealthCheckHttpVersion), 'HealthCheckHttpVersion'),
  ];
  if (protocol === HealthCheckProtocol.TCP) {
    // HTTP-only fields on a TCP check are almost always a mistake (the user expects a path to be probed).
    for (const name of ['httpVersion', 'domain', 'path', 'healthyHttpCodes'] as const) {
      if (s[name] !== undefined) {
        errors.push(issue(path, field(name), s[name], 'is set on a TCP health check', 'HTTP fields with protocol HealthCheckProtocol.HTTP only'));
      }
    }
  }
  if (model.domain !== null && (!isHostHeader(model.domain) || model.domain.length > limits.HEALTH_CHECK_DOMAIN_MAX_LENGTH)) {
    errors.push(issue(path, field('domain'), model.domain, 'is not a host name', `a host name or IPv4 address (optionally :port), at most ${limits.HEALTH_CHECK_DOMAIN_MAX_LENGTH} characters`));
  }
  errors.push(...checkHealthCheckPath(path, model.path));
  if (!isHttpCodeList(model.healthyHttpCodes)) {
    errors.push(issue(path, field('healthyHttpCodes'), model.healthyHttpCodes, 'is not a status-code list',
      'comma-separated classes, codes and ranges within 200..499, e.g. "2xx,3xx" or "200,202-207"'));
  }
  const warnings: ModelWarning[] = [];
  if (model.enabled && errors.length === 0 && model.timeoutSeconds >= model.intervalSeconds) {
    warnings.push({
      id: WarningIds.HEALTH_CHECK_TIMEOUT_NOT_BELOW_INTERVAL, path,
      message: `healthCheck.timeoutSeconds ${model.timeoutSeconds} is not shorter than intervalSeconds ${model.intervalSeconds}: a slow target is probed again before the previous probe gave up`,
    });
  }
  return { model, errors, warnings };
}
