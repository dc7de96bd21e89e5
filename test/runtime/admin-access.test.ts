/**
 * Who may reach a node's admin endpoint: its own bind address (config admin.bindAddress,
 * apart from the listeners' address) and an optional bearer token read from a file on the
 * node (admin.tokenFile) that /status and /metrics ask for, while /healthz stays open. The
 * token never appears in /status or in the node's log.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import {
  backend, cli, ensureBundle, get, killAllStarted, lbConfig, listener, RunningNode, startBackend, startNode, tempDir,
  TestBackend, writeJson,
} from './cli-helpers';

const NODE_ADDR = '127.0.4.8';
const ADMIN_ADDR = '127.0.4.9';
const PORT = 18098;
const TOKEN = 'c2VjcmV0LXRva2VuLWZvci1hZG1pbi0xMjM0NTY3ODk';

let dir: string;
let app: TestBackend;
let node: RunningNode;
let tokenFile: string;

beforeAll(async () => {
  ensureBundle();
  dir = tempDir('admin-access');
  app = await startBackend('app');
  tokenFile = path.join(dir, 'admin-token');
  fs.writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const file = writeJson(dir, 'c.json', lbConfig(NODE_ADDR, [listener('main', PORT, 'web')], [backend('web', [{ id: 'app', port: app.port }])],
    { admin: { port: 0, bindAddress: ADMIN_ADDR, tokenFile } }));
  node = await startNode(['run', '--config', file, '--bind', NODE_ADDR, '--workers', '1', '--access-log', 'off'], { adminHost: ADMIN_ADDR });
});

afterAll(async () => {
  killAllStarted();
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function refusedAt(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.on('connect', () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(true));
  });
}

test('the admin endpoint listens on its own bind address, not on the node address the listeners use', async () => {
  expect(node.stderr()).toContain(`admin listening on ${ADMIN_ADDR}:${node.adminPort}`);
  expect(await refusedAt(NODE_ADDR, node.adminPort)).toBe(true);
  expect((await get(NODE_ADDR, PORT, '/')).status).toBe(200);
});

test('/healthz needs no token; /status and /metrics answer 401 without the right bearer token', async () => {
  expect((await get(ADMIN_ADDR, node.adminPort, '/healthz')).status).toBe(200);
  for (const p of ['/status', '/metrics']) {
    const none = await get(ADMIN_ADDR, node.adminPort, p);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="alb-admin"');
    expect(none.body).not.toContain(TOKEN);
    for (const auth of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN]) {
      expect((await authGet(p, auth)).status).toBe(401);
    }
    expect((await authGet(p, `Bearer ${TOKEN}`)).status).toBe(200);
  }
});

test('the token is neither in /status nor in the log', async () => {
  const status = await authGet('/status', `Bearer ${TOKEN}`);
  expect(status.body).not.toContain(TOKEN);
  expect(node.stderr()).not.toContain(TOKEN);
  expect(node.stdout()).not.toContain(TOKEN);
});

test('`status --admin --token-file` authenticates; without the token it fails', () => {
  const ok = cli(['status', '--admin', `${ADMIN_ADDR}:${node.adminPort}`, '--token-file', tokenFile]);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout).listeners).toBeDefined();
  const denied = cli(['status', '--admin', `${ADMIN_ADDR}:${node.adminPort}`]);
  expect(denied.code).toBe(1);
});

test('a token file that cannot be read stops the node from starting, naming the file and not a token', async () => {
  const missing = path.join(dir, 'no-such-token');
  const file = writeJson(dir, 'bad.json', lbConfig(NODE_ADDR, [listener('main', PORT + 1, 'web')], [backend('web', [{ id: 'app', port: app.port }])],
    { admin: { port: 0, tokenFile: missing } }));
  const r = cli(['run', '--config', file, '--bind', NODE_ADDR, '--workers', '1', '--access-log', 'off'], 20_000);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(`admin token file ${missing} cannot be read`);
});

test('a config whose admin bind address or token file is malformed is refused by validate', () => {
  const file = writeJson(dir, 'invalid.json', lbConfig(NODE_ADDR, [listener('main', PORT, 'web')], [backend('web', [{ id: 'app', port: app.port }])],
    { admin: { port: 0, bindAddress: 'admin.local', tokenFile: 'relative/token' } }));
  const r = cli(['validate', '--config', file]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('/admin: bindAddress "admin.local" is not an IP address');
  expect(r.stderr).toContain('/admin: tokenFile "relative/token" is not an absolute file path');
});

function authGet(p: string, authorization: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: ADMIN_ADDR, port: node.adminPort, path: p, headers: { authorization }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}
