/**
 * `alb-runtime validate` and `run`: exit codes and the messages a user sees for bad configs,
 * and a foreground node serving through its listener.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  backend, cli, ensureBundle, get, killAllStarted, lbConfig, listener, startBackend, startNode, tempDir,
  TestBackend, writeJson,
} from './cli-helpers';

const NODE_ADDR = '127.0.4.1';
let dir: string;
let app: TestBackend;

beforeAll(async () => {
  ensureBundle();
  dir = tempDir('cli');
  app = await startBackend('app-1');
});

afterAll(async () => {
  killAllStarted();
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function goodConfig() {
  return lbConfig(NODE_ADDR, [listener('http', 18081, 'web')], [backend('web', [{ id: 't1', port: app.port }])]);
}

describe('validate', () => {
  test('a good config: OK and exit 0', () => {
    const r = cli(['validate', '--config', writeJson(dir, 'good.json', goodConfig())]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: .*good\.json \(schemaVersion 1, 1 listener\(s\), 1 backend service\(s\), 1 node\(s\), sha256 [0-9a-f]{64}\)/);
  });

  test('schema error names the path and the value', () => {
    const c = goodConfig();
    c.listeners[0].port = 70000;
    const r = cli(['validate', '--config', writeJson(dir, 'port.json', c)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('/listeners/0/port');
    expect(r.stderr).toContain('70000');
  });

  test('unknown schemaVersion names the version found and the one understood', () => {
    const c = { ...goodConfig(), schemaVersion: 7 };
    const r = cli(['validate', '--config', writeJson(dir, 'v7.json', c)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/schemaVersion: 7 is not understood by this runtime; allowed: schemaVersion 1 (re-synthesize with the cdktf-alb version that matches this runtime)');
    // One clear message, not a cascade of schema errors.
    expect(r.stderr).toContain('(1 problem)');
  });

  test('unknown backend reference', () => {
    const c = goodConfig();
    c.listeners[0].backendService = 'nope';
    const r = cli(['validate', '--config', writeJson(dir, 'ref.json', c)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/listeners\/0\/backendService: .*"nope"/);
  });

  test('duplicate listener port', () => {
    const c = goodConfig();
    c.listeners.push(listener('http2', 18081, 'web'));
    const r = cli(['validate', '--config', writeJson(dir, 'dup.json', c)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stack/lb/http2: port 18081 is already used by stack/lb/http; allowed: a port unique per load balancer (listeners and adminPort)');
  });

  test('certificate file that cannot be read', () => {
    const c = goodConfig();
    c.listeners[0] = listener('https', 18443, 'web', {
      protocol: 'HTTPS',
      tls: {
        defaultCertificates: [{ name: 'site', certFile: path.join(dir, 'missing-cert.pem'), keyFile: path.join(dir, 'missing-key.pem') }],
        sniCertificates: [], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: null,
      },
    });
    const r = cli(['validate', '--config', writeJson(dir, 'cert.json', c)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/listeners\/0\/tls\/defaultCertificates\/0\/certFile: ".*missing-cert\.pem" \(certificate "site"\) is not readable on this node \(ENOENT\); allowed: a readable PEM file on this node/);
    expect(r.stderr).toContain('/listeners/0/tls/defaultCertificates/0/keyFile');
  });

  test('TCP listener pointing at an HTTP backend', () => {
    const c = goodConfig();
    c.listeners[0].protocol = 'TCP';
    const r = cli(['validate', '--config', writeJson(dir, 'proto.json', c)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stack/lb/http: backendService "stack/lb/web" is an HTTP backend service behind a TCP listener; allowed: a BackendProtocol.TCP backend service');
  });

  test('malformed cookie secret', () => {
    const c = { ...goodConfig(), cookieSecret: 'not-hex' };
    const r = cli(['validate', '--config', writeJson(dir, 'secret.json', c)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/cookieSecret');
  });

  test('not JSON, and a missing file', () => {
    fs.writeFileSync(path.join(dir, 'broken.json'), '{"schemaVersion": 1,');
    const broken = cli(['validate', '--config', path.join(dir, 'broken.json')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('not valid JSON');
    const missing = cli(['validate', '--config', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read config file');
  });

  test('--node that the config does not list', () => {
    const r = cli(['validate', '--config', writeJson(dir, 'node.json', goodConfig()), '--node', 'ghost']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/nodes: --node "ghost" is not a node of this document; allowed: "n1"');
  });
});

describe('run', () => {
  test('refuses a bad config with the issues and exit 1', () => {
    const c = goodConfig();
    c.listeners[0].backendService = 'nope';
    const r = cli(['run', '--config', writeJson(dir, 'run-bad.json', c), '--workers', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid config, not serving:\n.*\/listeners\/0\/backendService/);
  });

  test('refuses an unknown --node', () => {
    const r = cli(['run', '--config', writeJson(dir, 'run-node.json', goodConfig()), '--node', 'ghost', '--workers', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--node "ghost" is not a node of this document');
  });

  test('refuses a bad --workers value', () => {
    const r = cli(['run', '--config', writeJson(dir, 'run-w.json', goodConfig()), '--workers', 'many']);
    expect(r.code).toBe(2); // a usage error, as in every CLI of the project (lib/process/cli-options.ts)
    expect(r.stderr).toContain('--workers must be an integer from 0 to 256, got "many"');
  });

  test('serves on the node address; admin port 0 is printed in the first log line', async () => {
    const file = writeJson(dir, 'run.json', goodConfig());
    const node = await startNode(['run', '--config', file, '--node', 'n1', '--workers', '1', '--access-log', 'off']);
    try {
      const firstLine = JSON.parse(node.stderr().split('\n')[0]);
      expect(firstLine.msg).toBe(`admin listening on ${NODE_ADDR}:${node.adminPort}`);
      expect(firstLine.port).toBe(node.adminPort);
      const r = await get(NODE_ADDR, 18081, '/hello');
      expect(r.status).toBe(200);
      expect(r.body).toBe('app-1');
      // Bound to the node's address only.
      await expect(get('127.0.4.99', 18081, '/hello')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      node.kill();
    }
  });

  test('--workers 0 serves inside the primary and writes the access log to stdout', async () => {
    const file = writeJson(dir, 'run0.json', goodConfig());
    const node = await startNode(['run', '--config', file, '--bind', NODE_ADDR, '--workers', '0']);
    try {
      for (let i = 0; i < 3; i++) expect((await get(NODE_ADDR, 18081, `/x?i=${i}`)).body).toBe('app-1');
      node.child.kill('SIGTERM');
      expect(await node.exited).toBe(0);
      const lines = node.stdout().trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatchObject({ listener: 'http', backend: 'web', target: 't1', status: 200, method: 'GET', url: '/x?i=2', client: '127.0.0.1' });
      expect(typeof lines[2].durationMs).toBe('number');
    } finally {
      node.kill();
    }
  });

  test('two workers sharing stdout never interleave access log lines', async () => {
    const file = writeJson(dir, 'run2.json', goodConfig());
    const node = await startNode(['run', '--config', file, '--bind', NODE_ADDR, '--workers', '2']);
    try {
      let sent = 0;
      await Promise.all(Array.from({ length: 20 }, async (_, c) => {
        for (let i = 0; i < 15; i++) {
          // Long URLs make the chunks large enough to cross the pipe's atomic-write size.
          expect((await get(NODE_ADDR, 18081, `/c${c}/i${i}?pad=${'x'.repeat(300)}`)).status).toBe(200);
          sent++;
        }
      }));
      node.child.kill('SIGTERM');
      expect(await node.exited).toBe(0);
      const lines = node.stdout().split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(sent);
      const urls = new Set(lines.map((l) => JSON.parse(l).url));
      expect(urls.size).toBe(sent);
    } finally {
      node.kill();
    }
  });
});
