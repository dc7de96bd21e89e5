/**
 * The node's admin endpoint: GET /healthz, /status (JSON), /metrics (Prometheus text).
 * Served by the primary, so it answers even while workers restart or drain. With a bearer
 * token configured (./token.ts), /status and /metrics answer 401 without it; /healthz stays
 * open for health probes.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { bearerMatches } from './token';

export interface AdminSource {
  /** true while the node serves its listeners (false while starting and draining). */
  serving(): boolean;
  draining(): boolean;
  status(): Promise<unknown>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The bearer token /status and /metrics ask for, or null (read per request: a reload may change it). */
  token(): string | null;
}

export interface AdminServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export function startAdminServer(host: string, port: number, source: AdminSource,
  onError: (err: Error, path: string) => void): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain', 'method not allowed: use GET\n', { allow: 'GET, HEAD' });
    }
    if (path === '/status' || path === '/metrics') {
      const token = source.token();
      if (token !== null && !bearerMatches(req.headers.authorization, token)) {
        return send(res, 401, 'text/plain', 'unauthorized: this endpoint needs "Authorization: Bearer <token>" (admin.tokenFile on the node)\n',
          { 'www-authenticate': 'Bearer realm="alb-admin"' });
      }
    }
    switch (path) {
      case '/healthz':
        if (source.serving()) return send(res, 200, 'text/plain', 'ok\n');
        return send(res, 503, 'text/plain', source.draining() ? 'draining\n' : 'starting\n');
      case '/status':
        return void source.status().then(
          (status) => send(res, 200, 'application/json', `${JSON.stringify(status, null, 2)}\n`),
          (err: Error) => fail(res, err, path));
      case '/metrics':
        return void source.metrics().then(
          (m) => send(res, 200, m.contentType, m.body),
          (err: Error) => fail(res, err, path));
      default:
        return send(res, 404, 'text/plain', 'not found: try /healthz, /status or /metrics\n');
    }
  });
  // Admin requests are tiny; do not let an idle client hold the socket.
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;

  function fail(res: http.ServerResponse, err: Error, path: string) {
    onError(err, path);
    send(res, 500, 'text/plain', `error: ${err.message}\n`);
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = server.address() as AddressInfo;
      resolve({
        address: bound.address,
        port: bound.port,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string,
  extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
