/** What every proxy under test looks like to the scenarios. */
import { BackendSet } from '../backends/backend-set';
import { TlsFiles } from '../lib/tls';

export const HTTP_PORT = 18080;
export const HTTPS_PORT = 18443;
export const TCP_PORT = 18090;
export const ADMIN_PORT = 18099;

export interface ProxyContext {
  /** Worker processes (nginx, node cluster) or threads (HAProxy nbthread). */
  workers: number;
  /** Scratch directory for this proxy start: config files, logs, pid files. */
  dir: string;
  /** taskset CPU list for the proxy. */
  cpus: string;
  backend: BackendSet;
  tls: TlsFiles;
  /** Our runtime only: which scheduling algorithm / persistence to configure. */
  algorithm?: AlgorithmVariant;
  /** Our runtime only: give the HTTP/HTTPS listeners a URL map of this many rules (bench/scenarios/url-map.ts). */
  urlMapRules?: number;
  /** Our runtime only: extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

export type AlgorithmVariant = 'WRR' | 'WLC' | 'IP_HASH' | 'WRR_COOKIE';

export interface RunningProxy {
  name: string;
  address: string;
  httpUrl(pathname: string): string;
  httpsUrl(pathname: string): string;
  /** Present when the proxy was started with an L4 TCP listener. */
  tcp: { host: string; port: number } | null;
  /** Root pid and all descendants right now. */
  pids(): number[];
  /** The processes that carry traffic (workers; HAProxy's one process). */
  workerPids(): number[];
  stop(): Promise<void>;
}

export interface ProxySpec {
  /** Short id used in JSON keys: alb, nginx, haproxy, fastify, http-proxy. */
  id: string;
  label: string;
  address: string;
  supportsTcp: boolean;
  start(ctx: ProxyContext): Promise<RunningProxy>;
  /** null when usable, else why not (e.g. "dist/runtime/alb-runtime.js not built"). */
  unavailable(): string | null;
}
