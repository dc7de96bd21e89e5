/**
 * HTTP Upgrade (WebSocket and others): the request head is re-serialised for the target with
 * the proxy's header hygiene (Connection/Upgrade kept as the upgrade needs them), then client
 * and target sockets are joined; the target's answer (101 or a refusal) passes through as is.
 */
import type { Socket } from 'node:net';
import type { Peer } from '../balancer/types';
import type { DataPlaneObserver } from '../dataplane-types';
import { connectToTarget } from './connect';
import type { ClientRequest } from './h1-server';
import { upstreamRequestHeaders } from './headers';
import type { ListenerState } from './routes';
import { ruleAnswerBytes } from './rule-answers';
import { forwardHeaders, forwardTarget } from './rule-forward';
import { RuleKind } from './url-map';
import { joinSockets, rawResponse } from './tunnel';

const RAW = {
  allDown: rawResponse(503, 'Service Unavailable', '503 Service Unavailable: no healthy target is available for this backend service'),
  qps: rawResponse(503, 'Service Unavailable', '503 Service Unavailable: the listener request-rate limit (qps) is exceeded'),
  connections: rawResponse(503, 'Service Unavailable', '503 Service Unavailable: the listener active-connection limit is exceeded'),
  refused: rawResponse(502, 'Bad Gateway', '502 Bad Gateway: the target could not be reached'),
  timeout: rawResponse(504, 'Gateway Timeout', '504 Gateway Timeout: connecting to the target timed out'),
  badTarget: rawResponse(400, 'Bad Request', '400 Bad Request: the request target must be an absolute path'),
};

function swallow(): void { /* torn down by 'close' */ }

export function handleUpgrade(state: ListenerState, observer: DataPlaneObserver,
  req: ClientRequest, client: Socket, head: Buffer): void {
  client.on('error', swallow);
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
  const refuse = (raw: Buffer, status: number): void => {
    client.end(raw);
    observer.requestDone(route.listenerId, backend.id, null, status, performance.now() - start, 0, method, url, clientIp, ruleId);
  };
  if (conn.overLimit) return refuse(RAW.connections, 503);
  if (route.limiter !== null && !route.limiter.take()) return refuse(RAW.qps, 503);
  if (url.charCodeAt(0) !== 47) return refuse(RAW.badTarget, 400);
  if (rule !== null && rule.kind !== RuleKind.FORWARD) {
    const answer = ruleAnswerBytes(route, req, rule);
    return refuse(answer.bytes, answer.status);
  }
  let first: Peer | null = null;
  if (backend.sticky !== null) {
    const id = backend.sticky.read(req.cookie ?? undefined, Date.now());
    if (id !== null) first = backend.pool.pickById(id);
  }
  connectToTarget(backend, observer, clientIp, first, (failure, upstream, peer) => {
    if (failure !== null || upstream === null || peer === null) {
      if (failure === 'NO_TARGET') refuse(RAW.allDown, 503);
      else if (failure === 'CONNECT_TIMEOUT') refuse(RAW.timeout, 504);
      else refuse(RAW.refused, 502);
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
    if (head.length > 0) upstream.write(head);
    const finished = (status: number): void => {
      backend.pool.release(peer);
      observer.requestDone(route.listenerId, backend.id, peer.id, status, performance.now() - start, upstreamMs, method, url, clientIp, ruleId);
    };
    awaitStatusLine(client, upstream, route.listener.idleTimeoutMs, finished);
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
function awaitStatusLine(client: Socket, upstream: Socket, idleMs: number, finished: (status: number) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  upstream.setTimeout(idleMs, () => upstream.destroy());
  // While waiting: either side closing ends the attempt (the client is told nothing more).
  const onClientGone = (): void => { upstream.destroy(); };
  const onUpstreamGone = (): void => {
    client.removeListener('close', onClientGone);
    const alive = !client.destroyed;
    if (alive) client.end(RAW.refused);
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
      client.write(seen);
      joinSockets(client, upstream, idleMs, () => finished(101));
      return;
    }
    // Refused upgrade: relay the answer, then close; the client is not heard any more.
    client.removeAllListeners('data');
    client.on('data', discard);
    client.resume();
    client.once('close', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    relayRefusal(client, upstream, seen, finished);
  };
  upstream.on('data', onData);
}

/** Largest response head accepted from a target that refused an upgrade. */
const MAX_REFUSAL_HEAD = 16 * 1024;

/**
 * Relays a non-101 answer: with a Content-Length, exactly that many body bytes and then both
 * connections close; without one (chunked or close-delimited), until the target closes.
 */
function relayRefusal(client: Socket, upstream: Socket, first: Buffer, finished: (status: number) => void): void {
  const status = Number(first.toString('latin1', 9, 12)) || 502;
  let pending: Buffer = first;
  let remaining = -1; // body bytes still expected; -1 = head not complete yet
  let untilClose = false;
  let done = false;
  const complete = (): void => {
    if (done) return;
    done = true;
    upstream.destroy();
    client.end();
    finished(status);
  };
  const take = (chunk: Buffer): void => {
    if (done) return;
    if (untilClose) {
      client.write(chunk);
      return;
    }
    if (remaining < 0) {
      pending = pending === chunk ? chunk : Buffer.concat([pending, chunk]);
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) {
        if (pending.length > MAX_REFUSAL_HEAD) complete();
        return;
      }
      const head = pending.toString('latin1', 0, end);
      const m = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?:\r\n|$)/i.exec(head);
      const chunked = /\r\ntransfer-encoding:/i.test(head);
      if (m === null || chunked) {
        untilClose = true;
        client.write(pending);
        return;
      }
      remaining = Number(m[1]);
      chunk = pending.subarray(end + 4);
      client.write(pending.subarray(0, end + 4));
    }
    const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
    if (part.length > 0) client.write(part);
    remaining -= part.length;
    if (remaining === 0) complete();
  };
  upstream.on('data', take);
  upstream.once('close', () => {
    if (done) return;
    done = true;
    client.end();
    finished(status);
  });
  take(first);
  upstream.resume();
}

function discard(): void { /* bytes after a refused upgrade are dropped on purpose */ }
