/** Backend-service fields: defaults and the checks that need only the backend itself. */
import { checkEnum, checkIntRange, isCookieName } from './check';
import { Algorithm, BackendProtocol } from './enums';
import { HealthCheck, HealthCheckModel, resolveHealthCheck } from './health-check';
import * as limits from './limits';
import { issue, Issue, ModelWarning, withArticle } from './messages';

/** Cookie-insertion session persistence (HTTP backend services only). */
export interface SessionPersistence {
  /**
   * Idle lifetime of the session cookie in seconds (0..86400); each response refreshes it.
   * 0 = a browser-session cookie with no idle limit.
   * @default 0
   */
  readonly cookieTimeoutSeconds?: number;
  /**
   * Name of the inserted cookie. Must differ from the other backend services of the LB, so a
   * client routed to several backend services (URL maps) keeps its target in each.
   * @default - `ALB_SESSION_` and 8 hex digits of a hash of the backend service's id: distinct per backend service
   */
  readonly cookieName?: string;
}

/** X-Forwarded-* headers added to requests (HTTP backend services; X-Forwarded-For is always added). */
export interface ForwardedHeaders {
  /**
   * Add X-Forwarded-Proto (http/https).
   * @default false
   */
  readonly proto?: boolean;
  /**
   * Add X-Forwarded-Port (the listener's port).
   * @default false
   */
  readonly port?: boolean;
  /**
   * Add X-Forwarded-Host (the client's Host header).
   * @default false
   */
  readonly host?: boolean;
  /**
   * Add X-Forwarded-LBIP (the LB node's address).
   * @default false
   */
  readonly lbIp?: boolean;
  /**
   * Add X-Forwarded-Client-Port.
   * @default false
   */
  readonly clientPort?: boolean;
}

/** Passive health: targets that keep failing are taken out for a while (nginx max_fails/fail_timeout). */
export interface PassiveHealthCheck {
  /**
   * Failures within failTimeoutSeconds that take a target out for failTimeoutSeconds (0..100; 0 = off).
   * @default 3
   */
  readonly maxFails?: number;
  /**
   * The window and the time out, in seconds (1..3600).
   * @default 10
   */
  readonly failTimeoutSeconds?: number;
}

/** Options of lb.addBackendService. */
export interface BackendServiceOptions {
  /** Protocol spoken to targets: HTTP behind HTTP/HTTPS listeners, TCP behind TCP/TLS listeners. */
  readonly protocol: BackendProtocol;
  /** Default target port (1..65535); a target's own port overrides it. */
  readonly port: number;
  /**
   * Scheduling algorithm (all weighted).
   * @default Algorithm.WEIGHTED_ROUND_ROBIN
   */
  readonly algorithm?: Algorithm;
  /**
   * Cookie-insertion session persistence (HTTP backend services only).
   * @default - off
   */
  readonly sessionPersistence?: SessionPersistence;
  /**
   * Active health check.
   * @default - enabled with JD Cloud's defaults (see HealthCheck)
   */
  readonly healthCheck?: HealthCheck;
  /**
   * Optional X-Forwarded-* headers (HTTP backend services only).
   * @default - only X-Forwarded-For
   */
  readonly forwardedHeaders?: ForwardedHeaders;
  /**
   * Send a PROXY protocol v1 header to targets (TCP backend services only).
   * @default false
   */
  readonly proxyProtocol?: boolean;
  /**
   * Seconds allowed to connect to a target (1..120).
   * @default 5
   */
  readonly connectTimeoutSeconds?: number;
  /**
   * Seconds allowed for a target's response headers before the client gets 504 (1..3600).
   * @default 60
   */
  readonly responseTimeoutSeconds?: number;
  /**
   * Passive health check.
   * @default - maxFails 3 within 10 seconds
   */
  readonly passiveHealthCheck?: PassiveHealthCheck;
}

/** What the backend-service checks see: the options and the construct path they are reported under. */
export interface BackendServiceSpec extends BackendServiceOptions {
  /** Construct path of the backend service, for messages. */
  readonly path: string;
}

export interface SessionPersistenceModel {
  /** null = derived from the backend service's id when the config is rendered (distinct per backend). */
  readonly cookieName: string | null;
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

/** The cookie idle-timeout rule (JD Cloud's 0..86400 s), for props and documents alike. */
export function checkCookieTimeout(path: string, value: unknown): Issue[] {
  return checkIntRange(path, 'sessionPersistence.cookieTimeoutSeconds', value, limits.COOKIE_TIMEOUT_SECONDS, 'seconds (0 = browser-session cookie)');
}

/** Cookie persistence needs an HTTP backend service (for props and documents alike). */
export function checkSessionPersistenceProtocol(path: string, protocol: BackendProtocol, value: unknown): Issue[] {
  if (protocol === BackendProtocol.HTTP) return [];
  return [issue(path, 'sessionPersistence', value, `is set on ${withArticle(protocol)} backend service`,
    'cookie session persistence on BackendProtocol.HTTP backend services only (use Algorithm.SOURCE_IP_HASH for TCP)')];
}

/**
 * Session cookie names unique per load balancer: a client routed to two backend services with
 * the same cookie would lose its target in one. For the tree and documents alike.
 */
export function checkUniqueCookieNames(backends: readonly { readonly path: string; readonly cookieName: string | null }[]): Issue[] {
  const issues: Issue[] = [];
  const owner = new Map<string, string>();
  for (const b of backends) {
    if (b.cookieName === null) continue;
    const first = owner.get(b.cookieName);
    if (first !== undefined) {
      issues.push(issue(b.path, 'sessionPersistence.cookieName', b.cookieName, `is already the session cookie of ${first}`,
        'a cookie name per backend service (a client routed to both would lose its target in one), or leave it out for a distinct default'));
    } else {
      owner.set(b.cookieName, b.path);
    }
  }
  return issues;
}

/** Resolves defaults; `errors` lists every field that is wrong on its face. */
export function resolveBackendService(spec: BackendServiceSpec): { model: BackendServiceModel; errors: Issue[]; warnings: ModelWarning[] } {
  const { path, protocol } = spec;
  const errors: Issue[] = [
    ...checkEnum(path, 'protocol', protocol, Object.values(BackendProtocol), 'BackendProtocol'),
    ...checkIntRange(path, 'port', spec.port, limits.PORT),
  ];
  const algorithm = spec.algorithm ?? Algorithm.WEIGHTED_ROUND_ROBIN;
  errors.push(...checkEnum(path, 'algorithm', algorithm, Object.values(Algorithm), 'Algorithm'));

  let sessionPersistence: SessionPersistenceModel | null = null;
  if (spec.sessionPersistence !== undefined) {
    sessionPersistence = {
      cookieName: spec.sessionPersistence.cookieName ?? null,
      cookieTimeoutSeconds: spec.sessionPersistence.cookieTimeoutSeconds ?? limits.DEFAULT_COOKIE_TIMEOUT_SECONDS,
    };
    errors.push(...checkSessionPersistenceProtocol(path, protocol, spec.sessionPersistence));
    errors.push(...checkCookieTimeout(path, sessionPersistence.cookieTimeoutSeconds));
    if (sessionPersistence.cookieName !== null && !isCookieName(sessionPersistence.cookieName)) {
      errors.push(issue(path, 'sessionPersistence.cookieName', sessionPersistence.cookieName, 'is not a cookie name', '1..64 RFC 6265 token characters, e.g. "ALB_SESSION"'));
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
    errors.push(issue(path, 'forwardedHeaders', spec.forwardedHeaders, `is set on ${withArticle(protocol)} backend service`,
      'X-Forwarded-* headers on BackendProtocol.HTTP backend services only (use proxyProtocol for TCP)'));
  }
  const proxyProtocol = spec.proxyProtocol ?? false;
  if (proxyProtocol && protocol !== BackendProtocol.TCP) {
    errors.push(issue(path, 'proxyProtocol', proxyProtocol, `is set on ${withArticle(protocol)} backend service`, 'PROXY protocol v1 on BackendProtocol.TCP backend services only'));
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
