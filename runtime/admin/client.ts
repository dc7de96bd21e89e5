/** A small GET client for the admin endpoint, used by `status`, `start` and `reload`. */
import * as http from 'http';

export interface AdminResponse {
  status: number;
  body: string;
}

export function adminGet(host: string, port: number, path: string, timeoutMs = 3000,
  headers: Record<string, string> = {}): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, timeout: timeoutMs, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`admin ${host}:${port}${path} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** "HOST:PORT" or "[v6]:PORT" → parts. */
export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port > 0 && port < 65536)) {
    throw new Error(`--admin must be HOST:PORT (e.g. 127.0.4.1:9100), got "${value}"`);
  }
  return { host: m[1], port };
}
