/**
 * One open listener: the server object for its protocol, connection accounting and the
 * activeConnections limit, and draining. The handlers read `state.route` on every
 * request/connection, so a config load that keeps the listener open only swaps the route.
 *
 * Works standalone and under node:cluster (listen() in a worker shares the primary's socket).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ListenerProtocolName } from '../../lib/config/types';
import type { DataPlaneObserver } from '../dataplane-types';
import { HttpConnections, HttpSettings } from './h1-server';
import { handleRequest } from './http';
import type { ListenerState, Route } from './routes';
import { handleTcpConnection } from './tcp';
import { lookupSni, TlsMaterial } from './tls';
import { awaitClientHello } from './tls-accept';
import { handleUpgrade } from './upgrade';

/** Largest request header block accepted (nginx large_client_header_buffers ≈ 4×8k); beyond → 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Upper bound for receiving a request's header block (slowloris); idle timeout if shorter. */
const HEADERS_TIMEOUT_MS = 10_000;
/** Upper bound for receiving a whole request, body included. */
const REQUEST_TIMEOUT_MS = 300_000;

function headersTimeout(route: Route): number {
  return Math.min(route.listener.idleTimeoutMs, HEADERS_TIMEOUT_MS);
}

/**
 * Socket inactivity allowed while a request is open: the idle timeout, but never shorter than
 * the time the target is allowed to take for its response headers (that wait is not idleness
 * the client caused).
 */
function activeSocketTimeout(route: Route): number {
  return Math.max(route.listener.idleTimeoutMs, route.maxResponseTimeoutMs + 1000);
}

function httpSettings(route: Route): HttpSettings {
  return {
    idleTimeoutMs: route.listener.idleTimeoutMs,
    headersTimeoutMs: headersTimeout(route),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    activeTimeoutMs: activeSocketTimeout(route),
    maxHeaderBytes: MAX_HEADER_BYTES,
  };
}

function swallow(): void { /* the HTTP / tunnel handlers deal with the socket */ }

/**
 * A handshake that failed or timed out: node:tls reports it ('tlsClientError', also for its
 * own handshakeTimeout) but leaves the socket open, so a client that never finishes a
 * ClientHello would hold its socket and TLS state for good.
 */
function closeFailedHandshake(_err: Error, socket: tls.TLSSocket): void {
  socket.destroy();
}

function destroyOnError(this: tls.TLSSocket): void {
  this.destroy();
}

/**
 * Client-initiated renegotiation is refused, as nginx does: it costs the server a full
 * handshake each time (a CPU DoS lever) and nothing here needs it. A renegotiation attempt
 * raises an error on the socket, which closes it.
 */
function refuseRenegotiation(socket: tls.TLSSocket): void {
  socket.disableRenegotiation();
  socket.on('error', destroyOnError);
}

export class ListenerServer {
  readonly state: ListenerState;
  private readonly server: net.Server;
  /** HTTPS/TLS listeners: the tls.Server that takes connections from `server`, else null. */
  private tlsServer: tls.Server | null = null;
  /** The certificates `tlsServer` was made with, and its handshake timeout. */
  private material: TlsMaterial | null = null;
  private handshakeTimeoutMs = 0;
  /** Client connections of HTTP/HTTPS listeners, else null. */
  private readonly http: HttpConnections | null;
  private boundPort = 0;

  constructor(
    readonly kind: ListenerProtocolName,
    readonly address: string,
    readonly port: number,
    route: Route,
    tlsMaterial: TlsMaterial | null,
    private readonly observer: DataPlaneObserver,
  ) {
    this.state = { route, active: 0, inflight: 0, sockets: new Set() };
    const state = this.state;
    this.http = kind === 'HTTP' || kind === 'HTTPS'
      ? new HttpConnections(httpSettings(route), (req) => handleRequest(state, observer, req),
        (req, socket, head) => handleUpgrade(state, observer, req, socket, head))
      : null;
    this.server = this.createServer(tlsMaterial);
    this.server.on('error', swallow);
  }

  private createServer(material: TlsMaterial | null): net.Server {
    const state = this.state;
    const observer = this.observer;
    const http = this.http;
    if (http !== null) {
      if (this.kind === 'HTTP') {
        const server = net.createServer({ allowHalfOpen: true, noDelay: true });
        server.on('connection', (socket: net.Socket) => {
          this.track(socket);
          http.attach(socket, state.active > state.route.maxConnections);
        });
        return server;
      }
      this.tlsServer = this.secureServer(material as TlsMaterial);
      return this.tlsFront(false);
    }
    if (this.kind === 'TCP') {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true });
      server.on('connection', (socket: net.Socket) => {
        this.track(socket);
        if (state.active > state.route.maxConnections) {
          socket.destroy();
          return;
        }
        handleTcpConnection(state, observer, socket);
      });
      return server;
    }
    this.tlsServer = this.secureServer(material as TlsMaterial);
    return this.tlsFront(true);
  }

  /**
   * The tls.Server that runs the handshakes of new connections. node:tls fixes
   * `handshakeTimeout` when the server is made and offers no setter, so a reload that changes
   * the timeout makes a new one (update()): new connections are handed to it, connections
   * already handed over finish on the old one, nothing is dropped.
   */
  private secureServer(material: TlsMaterial): tls.Server {
    const state = this.state;
    const observer = this.observer;
    const http = this.http;
    this.material = material;
    this.handshakeTimeoutMs = headersTimeout(state.route);
    const secure = tls.createServer({
      ...material.defaults, allowHalfOpen: true,
      SNICallback: (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void => {
        cb(null, lookupSni(state.route.sni, servername));
      },
      // What https.createServer offers: clients that prefer h2 fall back to HTTP/1.1.
      ...(http === null ? {} : { ALPNProtocols: ['http/1.1'] }),
      handshakeTimeout: this.handshakeTimeoutMs,
    });
    secure.on('tlsClientError', closeFailedHandshake);
    if (http !== null) {
      secure.on('secureConnection', (socket: tls.TLSSocket) => {
        refuseRenegotiation(socket);
        socket.setNoDelay(true);
        http.attach(socket, state.active > state.route.maxConnections);
      });
    } else {
      secure.on('secureConnection', (socket: tls.TLSSocket) => {
        refuseRenegotiation(socket);
        handleTcpConnection(state, observer, socket);
      });
    }
    return secure;
  }

  /**
   * The listening socket of a TLS listener: connections are counted at once and reach the
   * tls.Server (which never listens itself) once their ClientHello is in (./tls-accept.ts).
   * `limitNow`: a connection beyond activeConnections is closed before any TLS (TLS
   * listeners); HTTPS ones get their 503 over TLS.
   */
  private tlsFront(limitNow: boolean): net.Server {
    const state = this.state;
    const server = net.createServer({ allowHalfOpen: true, noDelay: true });
    // The tls.Server of the moment: a reload may have replaced it (see secureServer).
    const handOver = (socket: net.Socket): void => { (this.tlsServer as tls.Server).emit('connection', socket); };
    server.on('connection', (socket: net.Socket) => {
      this.track(socket);
      if (limitNow && state.active > state.route.maxConnections) {
        socket.destroy();
        return;
      }
      awaitClientHello(socket, headersTimeout(state.route), handOver);
    });
    return server;
  }

  /** Counts a client connection until it closes; every socket gets an error listener. */
  private track(socket: net.Socket): void {
    const state = this.state;
    state.active++;
    state.sockets.add(socket);
    socket.on('error', swallow);
    const id = state.route.listenerId;
    this.observer.connectionOpened(id);
    socket.once('close', () => {
      state.active--;
      state.sockets.delete(socket);
      this.observer.connectionClosed(id);
    });
  }

  /** Binds; rejects with the listener, address and the OS reason (EADDRINUSE, EACCES...). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new Error(`listener ${this.state.route.listener.path} (${this.kind}) cannot listen on ${this.address}:${this.port}: ${err.message}`));
      };
      this.server.once('error', onError);
      this.server.listen({ host: this.address, port: this.port, exclusive: false }, () => {
        this.server.removeListener('error', onError);
        const addr = this.server.address();
        this.boundPort = typeof addr === 'object' && addr !== null ? addr.port : this.port;
        resolve();
      });
    });
  }

  /** The port actually bound (differs from the config only when it asked for port 0). */
  get localPort(): number {
    return this.boundPort;
  }

  /** Takes a new route (same protocol and port) without closing anything. */
  update(route: Route, material: TlsMaterial | null): void {
    this.state.route = route;
    if (this.tlsServer !== null) {
      if (headersTimeout(route) !== this.handshakeTimeoutMs) {
        const previous = this.tlsServer;
        this.tlsServer = this.secureServer(material ?? this.material as TlsMaterial);
        // Session tickets issued before the reload still resume.
        this.tlsServer.setTicketKeys(previous.getTicketKeys());
      } else if (material !== null) {
        this.material = material;
        this.tlsServer.setSecureContext(material.defaults);
      }
    }
    if (this.http !== null) this.http.update(httpSettings(route));
  }

  /** Stops accepting (used before a same-port replacement); `resume` undoes it. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      if (this.http !== null) this.http.closeIdle();
      // close()'s callback waits for every connection; resolve once the port is released.
      setImmediate(resolve);
    });
  }

  resume(): Promise<void> {
    return this.listen();
  }

  /**
   * Stops accepting, lets requests in flight finish (responses then carry Connection: close)
   * and closes idle keep-alive connections at once; what is still open after graceMs is
   * destroyed.
   */
  drain(graceMs: number): Promise<void> {
    const state = this.state;
    if (this.server.listening) this.server.close();
    // From here on every HTTP response says `Connection: close` (HttpConnections.draining).
    if (this.http !== null) this.http.drain();
    if (state.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const deadline = Date.now() + graceMs;
      const poll = setInterval(() => {
        if (this.http !== null) this.http.closeIdle();
        if (state.sockets.size === 0 || Date.now() >= deadline) {
          clearInterval(poll);
          for (const s of state.sockets) s.destroy();
          resolve();
        }
      }, 25);
    });
  }
}
