/**
 * TCP and TLS listeners: each client connection is joined to one target connection. The
 * PROXY protocol v1 line goes first when the backend asks for it, so the target learns the
 * client's address; no available target → the client connection is closed.
 */
import type { Socket } from 'node:net';
import type { DataPlaneObserver } from '../dataplane-types';
import { connectToTargetWithReader, proxyV1Header } from './connect';
import { normaliseIp } from './headers';
import type { ListenerState } from './routes';
import { joinSockets } from './tunnel';
import { TunnelReader } from './tunnel-reader';

function swallow(): void { /* the connection is torn down by its 'close' path */ }

export function handleTcpConnection(state: ListenerState, observer: DataPlaneObserver, client: Socket): void {
  const route = state.route;
  const backend = route.backend;
  const start = performance.now();
  const clientIp = normaliseIp(client.remoteAddress);
  client.on('error', swallow);
  // Bulk bytes flow target → client (downloads, replies): that direction reads into our own
  // buffers (tunnel-reader.ts). Accepted sockets cannot take `onread`, so client → target
  // stays on pipe().
  const reader = new TunnelReader();
  connectToTargetWithReader(backend, observer, clientIp, null, reader.onread, (failure, upstream, peer) => {
    if (failure !== null || upstream === null || peer === null) {
      client.destroy();
      observer.requestDone(route.listenerId, backend.id, null, 0, performance.now() - start, 0, 'TCP', '', clientIp);
      return;
    }
    const upstreamMs = performance.now() - start;
    if (client.destroyed) {
      upstream.destroy();
      backend.pool.release(peer);
      observer.requestDone(route.listenerId, backend.id, peer.id, 0, performance.now() - start, upstreamMs, 'TCP', '', clientIp);
      return;
    }
    if (backend.config.proxyProtocol) {
      upstream.write(proxyV1Header(clientIp, client.remotePort ?? 0, normaliseIp(client.localAddress), client.localPort ?? 0), 'latin1');
    }
    joinSockets(client, upstream, route.listener.idleTimeoutMs, () => {
      backend.pool.release(peer);
      observer.requestDone(route.listenerId, backend.id, peer.id, 0, performance.now() - start, upstreamMs, 'TCP', '', clientIp);
    }, reader);
  });
}
