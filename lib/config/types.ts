/**
 * The LB config document: the contract between synth (constructs) and the runtime.
 *
 * One document per load balancer. Every node of the LB cluster receives the same document;
 * a node learns which of the `nodes` it is from its command line (`--node NAME`).
 * Everything a node must agree on with its peers (target ids, weights, the cookie secret)
 * is in here, so scheduling that must be cluster-wide (source-IP hash, cookies) is derived
 * from the document alone.
 *
 * Times are in milliseconds so that tests can use sub-second health checks; the construct
 * layer enforces JD Cloud's ranges (seconds) before it writes a document.
 *
 * Keep this file free of imports: the runtime bundles it, jsii compiles it, and the JSON
 * Schema (lib/config/schema.json) is generated from it.
 */

/** The schema version this code writes and understands. Bump on any incompatible change. */
export const LB_CONFIG_SCHEMA_VERSION = 1;

export type ListenerProtocolName = 'TCP' | 'TLS' | 'HTTP' | 'HTTPS';
export type BackendProtocolName = 'TCP' | 'HTTP';
export type AlgorithmName = 'WEIGHTED_ROUND_ROBIN' | 'WEIGHTED_LEAST_CONNECTIONS' | 'SOURCE_IP_HASH';
export type HealthCheckProtocolName = 'TCP' | 'HTTP';
export type TlsVersionName = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface LbConfig {
  /** Always LB_CONFIG_SCHEMA_VERSION (1). */
  schemaVersion: 1;
  loadBalancer: LoadBalancerInfo;
  /**
   * Hex-encoded secret (at least 32 bytes) that signs session cookies. Identical on every
   * node of one LB so a cookie issued by one node is honoured by all of them.
   * @minLength 64
   * @pattern ^[0-9a-f]+$
   */
  cookieSecret: string;
  /** The LB's cluster nodes (may be empty when the runtime is run by hand). */
  nodes: NodeInfo[];
  /**
   * The LB's virtual IP, moved between its nodes by VRRP. When set, a node's listeners and
   * admin endpoint bind to every address of its host (0.0.0.0), so the node serves the VIP
   * whenever its host holds it, and its own address always.
   */
  vip?: VipInfo;
  admin: AdminConfig;
  listeners: ListenerConfig[];
  backendServices: BackendServiceConfig[];
  /** Forwarding rules of HTTP/HTTPS listeners; absent = none (documents written before URL maps). */
  urlMaps?: UrlMapConfig[];
}

export interface VipInfo {
  /** The virtual address. */
  address: string;
  /**
   * VRRP virtual router id.
   * @minimum 1
   * @maximum 255
   */
  virtualRouterId: number;
}

export interface LoadBalancerInfo {
  /** Stable id of the LB (construct node id path, sanitised). */
  id: string;
  /** Construct path of the LB, for messages. */
  path: string;
  /** CIDR of the LB's VPC. */
  vpcCidr: string;
}

export interface NodeInfo {
  /** Unique node name, e.g. `web-az-1-r1-0`. */
  name: string;
  zone: string;
  rack: string;
  /** The address this node's listeners and admin endpoint bind to. */
  address: string;
}

export interface AdminConfig {
  /**
   * Port of the admin endpoint (/healthz, /status, /metrics), bound on the node's address.
   * @minimum 0
   * @maximum 65535
   */
  port: number;
  /** Address the admin endpoint binds to; null or absent: the node's address. */
  bindAddress?: string | null;
  /**
   * Absolute path of a file on the node holding the bearer token /status and /metrics ask
   * for; null or absent: no token. The token itself is never in this document.
   */
  tokenFile?: string | null;
}

export interface ListenerConfig {
  /** Stable id, unique in the document. */
  id: string;
  /** Construct path, for messages and metrics. */
  path: string;
  protocol: ListenerProtocolName;
  /**
   * @minimum 1
   * @maximum 65535
   */
  port: number;
  /** Id of the default backend service (BackendServiceConfig.id). */
  backendService: string;
  /** Status Off: the listener is not opened. */
  enabled: boolean;
  /**
   * Connection idle timeout.
   * @minimum 1
   */
  idleTimeoutMs: number;
  limits: ListenerLimits;
  /** Present for TLS and HTTPS listeners, null otherwise. */
  tls: TlsConfig | null;
  /** HSTS header on HTTPS listeners; null = off. */
  hsts: HstsConfig | null;
  /** Id of the listener's URL map (UrlMapConfig.id), HTTP/HTTPS only; absent or null = none. */
  urlMap?: string | null;
}

export interface ListenerLimits {
  /**
   * Requests per second per node across the listener; -1 = unlimited. HTTP/HTTPS only.
   * @minimum -1
   */
  qps: number;
  /**
   * Concurrent client connections per node; -1 = unlimited.
   * @minimum -1
   */
  activeConnections: number;
}

export interface TlsConfig {
  /** One or two default certificates (different key algorithms, e.g. RSA and ECDSA). */
  defaultCertificates: CertificateFiles[];
  /** Certificates chosen by SNI server name: `exact.example.com` or `*.example.com`. */
  sniCertificates: SniCertificate[];
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  /** OpenSSL cipher list for TLS <= 1.2; null = Node's default list. */
  ciphers: string | null;
}

export interface CertificateFiles {
  name: string;
  /** Path of the PEM certificate chain on the node. */
  certFile: string;
  /** Path of the PEM private key on the node. */
  keyFile: string;
}

export interface SniCertificate {
  /** `exact.name` or `*.suffix`. */
  domain: string;
  certificate: CertificateFiles;
}

export interface HstsConfig {
  /**
   * @minimum 1
   * @maximum 94608000
   */
  maxAgeSeconds: number;
  includeSubDomains: boolean;
}

export interface BackendServiceConfig {
  /** Stable id, unique in the document. */
  id: string;
  /** Construct path, for messages and metrics. */
  path: string;
  protocol: BackendProtocolName;
  /**
   * Default target port (a target's own port overrides).
   * @minimum 1
   * @maximum 65535
   */
  port: number;
  algorithm: AlgorithmName;
  /** Cookie-insertion persistence (HTTP backends only); null = off. */
  sessionPersistence: SessionPersistenceConfig | null;
  healthCheck: HealthCheckConfig;
  forwardedHeaders: ForwardedHeadersConfig;
  /** Send a PROXY protocol v1 header to TCP targets. */
  proxyProtocol: boolean;
  timeouts: BackendTimeouts;
  passiveHealth: PassiveHealthConfig;
  /** Fully resolved targets, in a stable order (the order smooth WRR ties break on). */
  targets: TargetConfig[];
}

export interface SessionPersistenceConfig {
  /** Name of the inserted cookie. */
  cookieName: string;
  /**
   * Idle lifetime of the cookie: a cookie not seen for longer is ignored, and each response
   * refreshes it (the "aging time"). 0 = browser-session cookie with no idle limit. Its range
   * (JD Cloud's 0..86400) is checked by the model's rule (lib/model/backend-service.ts
   * checkCookieTimeout), which validate.ts runs on documents: one home for the rule.
   */
  cookieTimeoutSeconds: number;
}

export interface HealthCheckConfig {
  /** false: no active checks; every target with weight > 0 gets traffic. */
  enabled: boolean;
  protocol: HealthCheckProtocolName;
  /**
   * 0 = the target's traffic port.
   * @minimum 0
   * @maximum 65535
   */
  port: number;
  /** @minimum 1 */
  intervalMs: number;
  /** @minimum 1 */
  timeoutMs: number;
  /**
   * Consecutive successes that make an unhealthy target healthy.
   * @minimum 1
   */
  healthyThreshold: number;
  /**
   * Consecutive failures that make a healthy target unhealthy.
   * @minimum 1
   */
  unhealthyThreshold: number;
  httpVersion: 'HTTP1.0' | 'HTTP1.1';
  /** Host header for HTTP checks; null = the target's address. */
  httpDomain: string | null;
  /** Request path for HTTP checks, starts with `/`. */
  httpPath: string;
  /** Accepted status codes, e.g. `2xx,3xx` or `200,202-207`. */
  httpCodes: string;
}

export interface ForwardedHeadersConfig {
  /** X-Forwarded-Proto */
  proto: boolean;
  /** X-Forwarded-Port */
  port: boolean;
  /** X-Forwarded-Host */
  host: boolean;
  /** X-Forwarded-LBIP */
  lbIp: boolean;
  /** X-Forwarded-Client-Port */
  clientPort: boolean;
}

export interface BackendTimeouts {
  /** @minimum 1 */
  connectTimeoutMs: number;
  /**
   * Time allowed for the target's response headers (HTTP) before answering 504.
   * @minimum 1
   */
  responseTimeoutMs: number;
}

export interface PassiveHealthConfig {
  /**
   * Failures within failTimeoutMs that take a target out for failTimeoutMs (nginx max_fails);
   * 0 disables passive ejection.
   * @minimum 0
   */
  maxFails: number;
  /** @minimum 1 */
  failTimeoutMs: number;
}

export interface TargetConfig {
  /**
   * Stable id, unique within the backend service and identical on every node; session
   * cookies and the source-IP hash ring are keyed on it.
   */
  id: string;
  address: string;
  /**
   * @minimum 1
   * @maximum 65535
   */
  port: number;
  /**
   * 0 = receives no new traffic. Its range (0..100) is checked by the model's rule
   * (lib/model/target.ts checkWeight), which validate.ts runs on documents.
   */
  weight: number;
  source: TargetSource;
}

export interface TargetSource {
  kind: 'serverGroup' | 'availabilityGroup';
  /** Construct path of the server group or availability group. */
  path: string;
  /** Instance name for availability-group VMs and instance targets. */
  instance: string | null;
}

/**
 * A URL map: rules that choose an action by host and path. Patterns and precedence are
 * lib/routing's (docs/constructs.md, "Forwarding rules"); the runtime compiles them at load.
 */
export interface UrlMapConfig {
  /** Stable id, unique in the document. */
  id: string;
  /** Construct path, for messages. */
  path: string;
  rules: UrlMapRuleConfig[];
}

export interface UrlMapRuleConfig {
  /** Rule id, unique in its map; metrics and the access log name it `<map id>/<rule id>`. */
  id: string;
  /**
   * Host pattern (exact, `*.suffix`, `prefix.*`); null = every host.
   * @maxLength 110
   */
  host: string | null;
  /**
   * Path pattern (exact or trailing `*`); null = `/*`.
   * @maxLength 128
   */
  path: string | null;
  action: RuleActionConfig;
  rewrite: RewriteConfig | null;
  requestHeaders: HeaderRulesConfig | null;
  responseHeaders: HeaderRulesConfig | null;
  /** Id of a backend service that gets a copy of each matched request; null = none. */
  mirror: string | null;
  /**
   * Largest request body (bytes) the mirror gets a copy of; 0 = body-less requests only.
   * Only beside a mirror; absent = 1048576 (1 MiB).
   * @minimum 0
   * @maximum 1073741824
   */
  mirrorMaxBodyBytes?: number;
}

export interface RuleActionConfig {
  type: 'forward' | 'redirect' | 'fixedResponse';
  /** Backend service id (forward), else null. */
  backendService: string | null;
  /** Redirect settings (redirect), else null. */
  redirect: RedirectConfig | null;
  /** Fixed response (fixedResponse), else null. */
  fixedResponse: FixedResponseConfig | null;
}

/** Fields left null keep the request's value. */
export interface RedirectConfig {
  protocol: 'HTTP' | 'HTTPS' | null;
  host: string | null;
  /**
   * @minimum 1
   * @maximum 65535
   */
  port: number | null;
  path: string | null;
  /** Without the leading `?`; '' drops the query. */
  query: string | null;
  statusCode: 301 | 302 | 307 | 308;
}

export interface FixedResponseConfig {
  /**
   * @minimum 200
   * @maximum 599
   */
  statusCode: number;
  contentType: string;
  /** @maxLength 1024 */
  body: string;
}

/** One `*` carries over the host wildcard's match (host), the path prefix's rest (path), the request's query (query). */
export interface RewriteConfig {
  host: string | null;
  path: string | null;
  query: string | null;
}

export interface HeaderRulesConfig {
  set: HeaderFieldConfig[];
  /** Field names to remove. */
  remove: string[];
}

export interface HeaderFieldConfig {
  name: string;
  value: string;
}
