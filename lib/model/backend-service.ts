/** Backend-service fields: defaults and the checks that need only the backend itself. */
import { checkEnum, checkIntRange, isCookieName } from './check';
import { Algorithm, BackendProtocol } from './enums';
import { HealthCheckModel, HealthCheckSpec, resolveHealthCheck } from './health-check';
import * as limits from './limits';
import { fieldMessage, ModelWarning, withArticle } from './messages';

export interface SessionPersistenceSpec {
  readonly cookieTimeoutSeconds?: number;
  readonly cookieName?: string;
}

export interface ForwardedHeadersSpec {
  readonly proto?: boolean;
  readonly port?: boolean;
  readonly host?: boolean;
  readonly lbIp?: boolean;
  readonly clientPort?: boolean;
}

export interface PassiveHealthCheckSpec {
  readonly maxFails?: number;
  readonly failTimeoutSeconds?: number;
}

export interface BackendServiceSpec {
  readonly path: string;
  readonly protocol: BackendProtocol;
  readonly port: number;
  readonly algorithm?: Algorithm;
  readonly sessionPersistence?: SessionPersistenceSpec;
  readonly healthCheck?: HealthCheckSpec;
  readonly forwardedHeaders?: ForwardedHeadersSpec;
  readonly proxyProtocol?: boolean;
  readonly connectTimeoutSeconds?: number;
  readonly responseTimeoutSeconds?: number;
  readonly passiveHealthCheck?: PassiveHealthCheckSpec;
}

export interface SessionPersistenceModel {
  readonly cookieName: string;
  readonly cookieTimeoutSeconds: number;
}

export interface ForwardedHeadersModel {
  readonly proto: boolean;
  readonly port: boolean;
  readonly host: boolean;
  readonly lbIp: boolean;
  readonly clientPort: boolean;
}

export interface BackendServiceModel {
  readonly path: string;
  readonly protocol: BackendProtocol;
  readonly port: number;
  readonly algorithm: Algorithm;
  readonly sessionPersistence: SessionPersistenceModel | null;
  readonly healthCheck: HealthCheckModel;
  readonly forwardedHeaders: ForwardedHeadersModel;
  readonly proxyProtocol: boolean;
  readonly connectTimeoutSeconds: number;
  readonly responseTimeoutSeconds: number;
  readonly passiveMaxFails: number;
  readonly passiveFailTimeoutSeconds: number;
}

/** Resolves defaults; `errors` lists every field that is wrong on its face. */
export function resolveBackendService(spec: BackendServiceSpec): { model: BackendServiceModel; errors: string[]; warnings: ModelWarning[] } {
  const { path, protocol } = spec;
  const errors: string[] = [
    ...checkEnum(path, 'protocol', protocol, Object.values(BackendProtocol), 'BackendProtocol'),
    ...checkIntRange(path, 'port', spec.port, limits.PORT),
  ];
  const algorithm = spec.algorithm ?? Algorithm.WEIGHTED_ROUND_ROBIN;
  errors.push(...checkEnum(path, 'algorithm', algorithm, Object.values(Algorithm), 'Algorithm'));

  let sessionPersistence: SessionPersistenceModel | null = null;
  if (spec.sessionPersistence !== undefined) {
    sessionPersistence = {
      cookieName: spec.sessionPersistence.cookieName ?? limits.DEFAULT_COOKIE_NAME,
      cookieTimeoutSeconds: spec.sessionPersistence.cookieTimeoutSeconds ?? limits.DEFAULT_COOKIE_TIMEOUT_SECONDS,
    };
    if (protocol !== BackendProtocol.HTTP) {
      errors.push(fieldMessage(path, 'sessionPersistence', spec.sessionPersistence, `is set on ${withArticle(protocol)} backend service`,
        'cookie session persistence on BackendProtocol.HTTP backend services only (use Algorithm.SOURCE_IP_HASH for TCP)'));
    }
    errors.push(...checkIntRange(path, 'sessionPersistence.cookieTimeoutSeconds', sessionPersistence.cookieTimeoutSeconds, limits.COOKIE_TIMEOUT_SECONDS, 'seconds (0 = browser-session cookie)'));
    if (!isCookieName(sessionPersistence.cookieName)) {
      errors.push(fieldMessage(path, 'sessionPersistence.cookieName', sessionPersistence.cookieName, 'is not a cookie name', '1..64 RFC 6265 token characters, e.g. "ALB_SESSION"'));
    }
  }

  const forwarded = spec.forwardedHeaders ?? {};
  const forwardedHeaders: ForwardedHeadersModel = {
    proto: forwarded.proto ?? false,
    port: forwarded.port ?? false,
    host: forwarded.host ?? false,
    lbIp: forwarded.lbIp ?? false,
    clientPort: forwarded.clientPort ?? false,
  };
  if (protocol !== BackendProtocol.HTTP && Object.values(forwardedHeaders).some(Boolean)) {
    errors.push(fieldMessage(path, 'forwardedHeaders', spec.forwardedHeaders, `is set on ${withArticle(protocol)} backend service`,
      'X-Forwarded-* headers on BackendProtocol.HTTP backend services only (use proxyProtocol for TCP)'));
  }
  const proxyProtocol = spec.proxyProtocol ?? false;
  if (proxyProtocol && protocol !== BackendProtocol.TCP) {
    errors.push(fieldMessage(path, 'proxyProtocol', proxyProtocol, `is set on ${withArticle(protocol)} backend service`, 'PROXY protocol v1 on BackendProtocol.TCP backend services only'));
  }

  const connectTimeoutSeconds = spec.connectTimeoutSeconds ?? limits.DEFAULT_CONNECT_TIMEOUT_SECONDS;
  const responseTimeoutSeconds = spec.responseTimeoutSeconds ?? limits.DEFAULT_RESPONSE_TIMEOUT_SECONDS;
  const passiveMaxFails = spec.passiveHealthCheck?.maxFails ?? limits.DEFAULT_PASSIVE_MAX_FAILS;
  const passiveFailTimeoutSeconds = spec.passiveHealthCheck?.failTimeoutSeconds ?? limits.DEFAULT_PASSIVE_FAIL_TIMEOUT_SECONDS;
  errors.push(
    ...checkIntRange(path, 'connectTimeoutSeconds', connectTimeoutSeconds, limits.CONNECT_TIMEOUT_SECONDS, 'seconds'),
    ...checkIntRange(path, 'responseTimeoutSeconds', responseTimeoutSeconds, limits.RESPONSE_TIMEOUT_SECONDS, 'seconds'),
    ...checkIntRange(path, 'passiveHealthCheck.maxFails', passiveMaxFails, limits.PASSIVE_MAX_FAILS, '(0 = off)'),
    ...checkIntRange(path, 'passiveHealthCheck.failTimeoutSeconds', passiveFailTimeoutSeconds, limits.PASSIVE_FAIL_TIMEOUT_SECONDS, 'seconds'),
  );

  const health = resolveHealthCheck(path, protocol, spec.healthCheck);
  errors.push(...health.errors);

  const model: BackendServiceModel = {
    path, protocol, port: spec.port, algorithm, sessionPersistence, healthCheck: health.model, forwardedHeaders,
    proxyProtocol, connectTimeoutSeconds, responseTimeoutSeconds, passiveMaxFails, passiveFailTimeoutSeconds,
  };
  return { model, errors, warnings: health.warnings };
}
