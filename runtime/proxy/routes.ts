/**
 * The per-config-load state the hot path reads: one BackendRuntime per backend service and
 * one Route per listener. Both are immutable once built; apply() swaps whole objects, so a
 * request in flight keeps the route it started with while new requests see the new one.
 */
import type { Socket } from 'node:net';
import { BackendServiceConfig, ListenerConfig } from '../../lib/config/types';
import { BackendPool } from '../pool/backend-pool';
import type { StickyCookie } from '../persistence/cookie';
import type { UpstreamPool } from './h1-upstream';
import { HeaderPlan } from './headers';
import { TokenBucket } from './limits';
import { SniTable } from './tls';
import type { UrlMapTable } from './url-map';

export interface BackendRuntime {
  readonly id: string;
  readonly config: BackendServiceConfig;
  readonly pool: BackendPool;
  /** Keep-alive connection pools indexed by Peer.index (HTTP backends); empty for TCP backends. */
  readonly upstreams: readonly UpstreamPool[];
  /** Session-cookie codec when persistence is on, else null. */
  readonly sticky: StickyCookie | null;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
}

export interface Route {
  readonly listener: ListenerConfig;
  readonly listenerId: string;
  readonly backend: BackendRuntime;
  /** Request-header decisions (HTTP/HTTPS listeners), null for TCP/TLS. */
  readonly plan: HeaderPlan | null;
  /** Strict-Transport-Security value on HTTPS listeners with HSTS on, else null. */
  readonly hsts: string | null;
  /** Session cookies get the Secure attribute (HTTPS listeners). */
  readonly secureCookie: boolean;
  /** Null when the listener has no QPS limit. */
  readonly limiter: TokenBucket | null;
  /** activeConnections limit; Infinity when unlimited. */
  readonly maxConnections: number;
  /** SNI certificates for HTTPS/TLS listeners, else null. */
  readonly sni: SniTable | null;
  /** The listener's compiled URL map (forwarding rules), else null. */
  readonly urlMap: UrlMapTable | null;
  /** Longest response timeout of the default backend and the URL map's forward targets. */
  readonly maxResponseTimeoutMs: number;
}

/**
 * What a listener's socket handlers read. One per open server; `route` is replaced on apply
 * when the listener stays open with a new config.
 */
export interface ListenerState {
  route: Route;
  /** Client connections open now (this worker). */
  active: number;
  /** HTTP requests in flight now (this worker). */
  inflight: number;
  readonly sockets: Set<Socket>;
}
