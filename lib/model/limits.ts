/**
 * Ranges and defaults of JD Cloud's ALB (docs/jdcloud-alb-model.md), in one place so
 * that validation, documentation and tests quote the same numbers. Times are seconds here;
 * the config renderer converts them to the contract's milliseconds.
 */

/** An inclusive integer range. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
}

export const PORT: IntRange = { min: 1, max: 65535 };
/** Target and health-check ports: 0 means "inherit" (backend port / traffic port). */
export const PORT_OR_INHERIT: IntRange = { min: 0, max: 65535 };
export const WEIGHT: IntRange = { min: 0, max: 100 };
export const DEFAULT_WEIGHT = 10;

export const NODES_PER_ZONE: IntRange = { min: 1, max: 16 };
export const DEFAULT_NODES_PER_ZONE = 2;
export const DEFAULT_ADMIN_PORT = 9900;

export const IDLE_TIMEOUT_SECONDS: IntRange = { min: 1, max: 86400 };
export const DEFAULT_IDLE_TIMEOUT_SECONDS = { TCP: 1800, TLS: 1800, UDP: 300, HTTP: 60, HTTPS: 60 } as const;

/** Listener limits: -1 (unlimited) or a value in range. */
export const UNLIMITED = -1;
export const QPS_LIMIT: IntRange = { min: 100, max: 500000 };
export const CONNECTION_LIMIT: IntRange = { min: 100, max: 5000000 };

export const HSTS_MAX_AGE_SECONDS: IntRange = { min: 1, max: 94608000 };
export const DEFAULT_HSTS_MAX_AGE_SECONDS = 31536000;

/** Up to two default certificates per TLS/HTTPS listener (e.g. one RSA, one ECDSA). */
export const MAX_DEFAULT_CERTIFICATES = 2;

export const COOKIE_TIMEOUT_SECONDS: IntRange = { min: 0, max: 86400 };
export const DEFAULT_COOKIE_TIMEOUT_SECONDS = 0;
/** Default session-cookie names are this prefix and a hash of the backend service's id. */
export const DEFAULT_COOKIE_NAME_PREFIX = 'ALB_SESSION_';

export const HEALTHY_THRESHOLD: IntRange = { min: 1, max: 5 };
export const UNHEALTHY_THRESHOLD: IntRange = { min: 1, max: 5 };
export const DEFAULT_THRESHOLD = 3;
export const HEALTH_CHECK_TIMEOUT_SECONDS: IntRange = { min: 2, max: 60 };
export const DEFAULT_HEALTH_CHECK_TIMEOUT_SECONDS = 3;
export const HEALTH_CHECK_INTERVAL_SECONDS: IntRange = { min: 5, max: 300 };
export const DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS = 5;
export const HEALTH_CHECK_DOMAIN_MAX_LENGTH = 255;
export const DEFAULT_HEALTH_CHECK_PATH = '/';
export const DEFAULT_HEALTHY_HTTP_CODES = '2xx,3xx';

/** Not in JD's API (ALB does not expose them); chosen like nginx's defaults, see README. */
export const CONNECT_TIMEOUT_SECONDS: IntRange = { min: 1, max: 120 };
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
export const RESPONSE_TIMEOUT_SECONDS: IntRange = { min: 1, max: 3600 };
export const DEFAULT_RESPONSE_TIMEOUT_SECONDS = 60;
export const PASSIVE_MAX_FAILS: IntRange = { min: 0, max: 100 };
export const DEFAULT_PASSIVE_MAX_FAILS = 3;
export const PASSIVE_FAIL_TIMEOUT_SECONDS: IntRange = { min: 1, max: 3600 };
export const DEFAULT_PASSIVE_FAIL_TIMEOUT_SECONDS = 10;

/** Availability group size (JD auto-scaling min/max 0..300). */
export const INSTANCE_COUNT: IntRange = { min: 0, max: 300 };
export const DEFAULT_INSTANCE_COUNT = 2;

/** JD Cloud's default quotas per load balancer; LoadBalancerProps.quotas raises them. */
export const DEFAULT_QUOTAS = {
  maxListeners: 20,
  maxBackendServices: 20,
  maxServerGroups: 20,
  maxTargetsPerServerGroup: 100,
  maxUrlMaps: 50,
  maxRulesPerUrlMap: 50,
} as const;

/** URL-map rules (reference: JD Cloud's UrlMap/Rule models; fixed responses follow AWS ALB). */
export const REDIRECT_STATUS_CODES: readonly number[] = [301, 302, 307, 308];
export const DEFAULT_REDIRECT_STATUS_CODE = 301;
export const REDIRECT_PART_MAX_LENGTH = 128;
export const FIXED_RESPONSE_STATUS: IntRange = { min: 200, max: 599 };
export const FIXED_RESPONSE_BODY_MAX_LENGTH = 1024;
/**
 * Largest request body a rule's mirror gets a copy of (`mirrorMaxBodyBytes`); 0 = body-less
 * requests only. What a copy holds in memory is bounded apart from this (runtime/proxy/mirror.ts),
 * so the ceiling only keeps the figure sane.
 */
export const MIRROR_MAX_BODY_BYTES: IntRange = { min: 0, max: 1024 * 1024 * 1024 };
/** nginx's client_max_body_size default: bodies up to 1 MiB are mirrored unless the rule says otherwise. */
export const DEFAULT_MIRROR_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_FIXED_RESPONSE_CONTENT_TYPE = 'text/plain';
export const RULE_HEADER_NAME_MAX_LENGTH = 40;
export const RULE_HEADER_VALUE_MAX_LENGTH = 1024;
