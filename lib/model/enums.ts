/**
 * Public enums of the model. Their string values are the names the LB config document
 * (lib/config/types.ts) uses, so rendering is a plain copy and the runtime never sees a
 * second spelling.
 */

/** Protocol a listener accepts from clients. */
export enum ListenerProtocol {
  /** Plain TCP, forwarded to a TCP backend service. */
  TCP = 'TCP',
  /** TLS terminated on the LB, forwarded as TCP to a TCP backend service. */
  TLS = 'TLS',
  /** HTTP/1.1, forwarded to an HTTP backend service. */
  HTTP = 'HTTP',
  /** HTTP/1.1 over TLS terminated on the LB, forwarded to an HTTP backend service. */
  HTTPS = 'HTTPS',
  /**
   * UDP. Part of JD Cloud's model; rejected with a "not supported yet" error until the
   * runtime serves UDP.
   */
  UDP = 'UDP',
}

/** Protocol a backend service speaks to its targets. */
export enum BackendProtocol {
  /** Raw TCP (used by TCP and TLS listeners). */
  TCP = 'TCP',
  /** HTTP/1.1 (used by HTTP and HTTPS listeners). */
  HTTP = 'HTTP',
}

/** Scheduling algorithm of a backend service. All of them honour target weights. */
export enum Algorithm {
  /** nginx-style smooth weighted round robin. */
  WEIGHTED_ROUND_ROBIN = 'WEIGHTED_ROUND_ROBIN',
  /** Fewest active connections relative to weight. */
  WEIGHTED_LEAST_CONNECTIONS = 'WEIGHTED_LEAST_CONNECTIONS',
  /** Consistent hash of the client's source IP, identical on every node of the LB. */
  SOURCE_IP_HASH = 'SOURCE_IP_HASH',
}

/** How targets are health-checked. */
export enum HealthCheckProtocol {
  /** A TCP connect succeeds. */
  TCP = 'TCP',
  /** An HTTP request answers with an accepted status code. */
  HTTP = 'HTTP',
}

/** TLS protocol versions a TLS/HTTPS listener may negotiate. */
export enum TlsVersion {
  /** TLS 1.0 (legacy clients only). */
  TLS1_0 = 'TLSv1',
  /** TLS 1.1 (legacy clients only). */
  TLS1_1 = 'TLSv1.1',
  /** TLS 1.2. */
  TLS1_2 = 'TLSv1.2',
  /** TLS 1.3. */
  TLS1_3 = 'TLSv1.3',
}

/** HTTP version of health-check requests. */
export enum HealthCheckHttpVersion {
  /** HTTP/1.0 (JD Cloud's default). */
  HTTP1_0 = 'HTTP1.0',
  /** HTTP/1.1 (sends a Host header). */
  HTTP1_1 = 'HTTP1.1',
}

/** Scheme of a redirect's Location (RuleAction.redirect). */
export enum RedirectProtocol {
  /** http:// */
  HTTP = 'HTTP',
  /** https:// */
  HTTPS = 'HTTPS',
}

/** Order of TLS versions, oldest first, for min <= max checks. */
export const TLS_VERSION_ORDER: readonly TlsVersion[] = [TlsVersion.TLS1_0, TlsVersion.TLS1_1, TlsVersion.TLS1_2, TlsVersion.TLS1_3];
