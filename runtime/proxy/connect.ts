/**
 * Opens a raw TCP connection to a target of a backend, with passive-failure reporting and
 * retry on the next target (TCP listeners and HTTP upgrades: nothing was sent yet, so another
 * target is always safe to try), at most as many targets as an HTTP request may try
 * (./retry-policy.ts).
 */
import { connect, OnReadOpts, Socket } from 'node:net';
import type { Peer } from '../balancer/types';
import type { DataPlaneObserver } from '../dataplane-types';
import { attemptLimit } from './retry-policy';
import type { BackendRuntime } from './routes';

/** Why no connection could be made: nothing available, or the last attempt's failure. */
export type ConnectFailure = 'NO_TARGET' | 'CONNECT_FAILED' | 'CONNECT_TIMEOUT';

export type ConnectCallback = (failure: ConnectFailure | null, socket: Socket | null, peer: Peer | null) => void;

/**
 * Connects to `first` (already picked by the caller, e.g. by cookie) or to a freshly picked
 * target; on a connect error or timeout reports the failure and tries the next target until
 * none is left. The chosen peer stays counted as active until the caller releases it.
 */
export function connectToTarget(backend: BackendRuntime, observer: DataPlaneObserver, clientIp: string,
  first: Peer | null, cb: ConnectCallback): void {
  connectWithRetry(backend, observer, clientIp, first, null, cb);
}

/**
 * As connectToTarget, but every socket it opens reads into `onread`'s buffers (net.connect's
 * `onread`): no 'data' events, the bytes go to `onread.callback` (see tunnel-reader.ts).
 */
export function connectToTargetWithReader(backend: BackendRuntime, observer: DataPlaneObserver, clientIp: string,
  first: Peer | null, onread: OnReadOpts, cb: ConnectCallback): void {
  connectWithRetry(backend, observer, clientIp, first, onread, cb);
}

function connectWithRetry(backend: BackendRuntime, observer: DataPlaneObserver, clientIp: string,
  first: Peer | null, onread: OnReadOpts | null, cb: ConnectCallback): void {
  let tried: Set<Peer> | null = null;
  let attempts = 0;
  let last: ConnectFailure = 'NO_TARGET';
  const attempt = (peer: Peer | null): void => {
    if (peer === null) {
      cb(last, null, null);
      return;
    }
    attempts++;
    const sock = onread === null
      ? connect({ host: peer.address, port: peer.port, allowHalfOpen: true })
      : connect({ host: peer.address, port: peer.port, allowHalfOpen: true, onread });
    let settled = false;
    const fail = (reason: ConnectFailure): void => {
      if (settled) return;
      settled = true;
      sock.destroy();
      backend.pool.release(peer);
      backend.pool.reportFailure(peer, Date.now());
      observer.targetFailed(backend.id, peer.id, reason);
      last = reason;
      if (tried === null) tried = new Set();
      tried.add(peer);
      attempt(attempts >= attemptLimit(backend.pool.peers.length) ? null : backend.pool.pick(clientIp, tried));
    };
    sock.setTimeout(backend.connectTimeoutMs);
    sock.on('error', () => fail('CONNECT_FAILED'));
    sock.once('timeout', () => fail('CONNECT_TIMEOUT'));
    sock.once('connect', () => {
      if (settled) return;
      settled = true;
      sock.setTimeout(0);
      sock.removeAllListeners('timeout');
      backend.pool.reportSuccess(peer);
      cb(null, sock, peer);
    });
  };
  attempt(first !== null ? first : backend.pool.pick(clientIp, null));
}

/** PROXY protocol v1 header (haproxy.org/download/2.8/doc/proxy-protocol.txt §2.1). */
export function proxyV1Header(srcIp: string, srcPort: number, dstIp: string, dstPort: number): string {
  const family = srcIp.includes(':') || dstIp.includes(':') ? 'TCP6' : 'TCP4';
  return `PROXY ${family} ${srcIp} ${dstIp} ${srcPort} ${dstPort}\r\n`;
}
