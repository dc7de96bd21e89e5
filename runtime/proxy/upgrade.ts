/**
 * HTTP Upgrade (WebSocket and others): the request head is re-serialised for the target with
 * the proxy's header hygiene (Connection/Upgrade kept as the upgrade needs them), then client
 * and target sockets are joined; the target's answer (101 or a refusal) passes through as is.
 *
 * Bytes the client sent after the upgrade head are held (the client socket is paused, so at
 * most one read plus the socket's buffer) until the target has answered 101: before that they
 * are not the new protocol's bytes but possibly a second HTTP request, and a target that
 * refuses the upgrade would read them as one — past this proxy's checks (request smuggling).
 * On a refusal the answer is relayed to its end and the connection goes on as HTTP/1.1: the
 * held bytes are parsed as the client's next request, through every check (./h1-server.ts);
 * it closes instead when either side did not keep the connection alive.
 */
import type { Socket } from 'node:net';
import type { DataPlaneObserver } from '../dataplane-types';
import { admissionRefusal, ANSWERS, stickyPeer } from './admission';
import { connectToTarget } from './connect';
import type { ClientRequest } from './h1-response';
import { upstreamRequestHeaders } from './headers';
import type { ListenerState } from './routes';
import { HTTPParser } from './llhttp';
import { ruleAnswerBytes } from './rule-answers';
import { forwardHeaders, forwardTarget } from './rule-forward';
import { joinSockets } from './tunnel';
import { RuleKind } from './url-map';

function swallow(): void { /* torn down by 'close' */ }

export function handleUpgrade(state: ListenerState, observer: DataPlaneObserver,
  req: ClientRequest, client: Socket, head: Buffer): void {
  client.on('error', swallow);
  // Nothing more is read from the client until the target said 101 (see the module comment).
  client.pause();
  const route = state.route;
  // Forwarding rules apply to upgrades as to any request (a deny rule must not be bypassed).
  const rule = route.urlMap === null ? null : route.urlMap.select(req);
  const ruleId = rule === null ? null : rule.id;
  const backend = rule === null || rule.backend === null ? route.backend : rule.backend;
  const plan = rule === null || rule.plan === null ? route.plan! : rule.plan;
  const start = performance.now();
  const conn = req.conn;
  const clientIp = conn.clientIp;
  const method = req.method;
  const url = req.url;
  const refuse = (a: { readonly status: number; readonly raw: Buffer }): void => {
    client.end(a.raw);
    client.destroySoon();
    observer.requestDone(route.listenerId, backend.id, null, a.status, performance.now() - start, 0, method, url, clientIp, ruleId);
  };
  const local = admissionRefusal(route, req);
  if (local !== null) return refuse(local);
  if (rule !== null && rule.kind !== RuleKind.FORWARD) {
    const answer = ruleAnswerBytes(route, req, rule);
    return refuse({ status: answer.status, raw: answer.bytes });
  }
  connectToTarget(backend, observer, clientIp, stickyPeer(backend, req), (failure, upstream, peer) => {
    if (failure !== null || upstream === null || peer === null) {
      if (failure === 'NO_TARGET') refuse(ANSWERS.allDown);
      else if (failure === 'CONNECT_TIMEOUT') refuse(ANSWERS.connectTimeout);
      else refuse(ANSWERS.refused);
      return;
    }
    const upstreamMs = performance.now() - start;
    if (client.destroyed) {
      upstream.destroy();
      backend.pool.release(peer);
      observer.requestDone(route.listenerId, backend.id, peer.id, 0, performance.now() - start, upstreamMs, method, url, clientIp, ruleId);
      return;
    }
    const headers = upstreamRequestHeaders(req.rawHeaders, plan, clientIp, conn.clientPort,
      plan.lbIp ? conn.localIp : '', req.upgrade === null || req.upgrade === '' ? 'websocket' : req.upgrade);
    if (rule !== null) forwardHeaders(rule, headers, req.rawHeaders);
    let text = `${method} ${rule === null ? url : forwardTarget(rule, url)} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
    text += '\r\n';
    upstream.write(text, 'latin1');
    const finished = (status: number): void => {
      backend.pool.release(peer);
      observer.requestDone(route.listenerId, backend.id, peer.id, status, performance.now() - start, upstreamMs, method, url, clientIp, ruleId);
    };
    const refused = (status: number, reusable: boolean): void => {
      finished(status);
      if (reusable && req.clientKeepAlive && !conn.server.draining && !client.destroyed) conn.server.attach(client, conn.overLimit, head);
      else client.end();
    };
    awaitStatusLine(client, upstream, head, route.listener.idleTimeoutMs, finished, refused);
  });
}

/** Longest status line prefix needed to recognise `HTTP/1.x 101`. */
const STATUS_PREFIX = 12;

/**
 * Waits for the target's status line before joining the sockets. Only a `101 Switching
 * Protocols` turns the connection into a tunnel; any other answer is relayed and the client's
 * further bytes are NOT forwarded — otherwise a client could ask for an upgrade the target
 * refuses and then talk to the target directly, past this proxy's request parsing (the
 * WebSocket/h2c smuggling trick).
 */
function awaitStatusLine(client: Socket, upstream: Socket, head: Buffer, idleMs: number,
  finished: (status: number) => void, refused: (status: number, reusable: boolean) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  upstream.setTimeout(idleMs, () => upstream.destroy());
  // While waiting: either side closing ends the attempt (the client is told nothing more).
  const onClientGone = (): void => { upstream.destroy(); };
  const onUpstreamGone = (): void => {
    client.removeListener('close', onClientGone);
    const alive = !client.destroyed;
    if (alive) client.end(ANSWERS.refused.raw);
    finished(alive ? 502 : 0);
  };
  client.once('close', onClientGone);
  upstream.once('close', onUpstreamGone);
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    if (seen.length < STATUS_PREFIX) return;
    upstream.removeListener('data', onData);
    upstream.removeListener('close', onUpstreamGone);
    client.removeListener('close', onClientGone);
    upstream.pause();
    if (client.destroyed) {
      upstream.destroy();
      finished(0);
      return;
    }
    const line = seen.toString('latin1', 0, STATUS_PREFIX);
    if (line === 'HTTP/1.1 101' || line === 'HTTP/1.0 101') {
      // Switched: what the client sent after its head is the new protocol's now.
      if (head.length > 0) upstream.write(head);
      client.write(seen);
      joinSockets(client, upstream, idleMs, () => finished(101));
      return;
    }
    // Refused upgrade: relay the answer; the client stays paused meanwhile.
    const onClientClose = (): void => { upstream.destroy(); };
    const onUpstreamError = (): void => { client.destroy(); };
    client.once('close', onClientClose);
    upstream.on('error', onUpstreamError);
    relayRefusal(client, upstream, seen, (status, reusable) => {
      client.removeListener('close', onClientClose);
      upstream.removeListener('error', onUpstreamError);
      refused(status, reusable);
    });
  };
  upstream.on('data', onData);
}

/** Largest response head accepted from a target that refused an upgrade. */
const MAX_REFUSAL_HEAD = 16 * 1024;

/**
 * Relays a non-101 answer as it arrives, with the target's response parsed alongside (llhttp,
 * strict) to find its end whatever the framing (Content-Length, chunked, close-delimited);
 * then the target connection closes. `done` hears whether the client connection may go on:
 * the answer ended by its own framing and did not ask to close. A malformed answer ends the
 * relay there (not reusable).
 */
function relayRefusal(client: Socket, upstream: Socket, first: Buffer,
  done: (status: number, reusable: boolean) => void): void {
  const status = Number(first.toString('latin1', 9, 12)) || 502;
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.RESPONSE, {}, MAX_REFUSAL_HEAD, HTTPParser.kLenientNone);
  let ended = false;
  let keepAlive = false;
  let over = false;
  parser[HTTPParser.kOnHeadersComplete] = (_major: number, _minor: number, _headers: unknown, _method: unknown,
    _url: unknown, _status: unknown, _text: unknown, _upgrade: unknown, shouldKeepAlive: boolean): number => {
    keepAlive = shouldKeepAlive;
    return 0;
  };
  parser[HTTPParser.kOnMessageComplete] = (): void => { ended = true; };
  const complete = (): void => {
    if (over) return;
    over = true;
    parser.close();
    upstream.destroy();
    done(status, ended && keepAlive);
  };
  const take = (chunk: Buffer): void => {
    if (over) return;
    client.write(chunk);
    const ret = parser.execute(chunk);
    if (ended || typeof ret !== 'number') complete();
  };
  upstream.on('data', take);
  upstream.once('close', () => {
    if (!over) parser.finish();
    complete();
  });
  take(first);
  upstream.resume();
}

