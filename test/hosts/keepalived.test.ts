/**
 * The keepalived config the SSH host agent writes per LB node: VRRPv3, every node BACKUP with
 * nopreempt (a recovered node does not take the address back), the runtime's /healthz tracked,
 * sub-second advertisements in VRRPv3's centiseconds.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { healthCheckScript, keepalivedConfig } from '../../hosts/ssh/keepalived';

test('VRRPv3, BACKUP + nopreempt, tracked health, the address on the interface', () => {
  const text = keepalivedConfig({ node: 'web-az-1-r1-0', vip: '10.0.0.100', virtualRouterId: 42, priority: 249, advertisementIntervalMs: 200, interface: 'eth0', checkScript: '/opt/x/check-health.sh' });
  const lines = text.split('\n').map((l) => l.trim());
  for (const line of ['vrrp_version 3', 'state BACKUP', 'nopreempt', 'interface eth0', 'virtual_router_id 42', 'priority 249', 'advert_int 0.20',
    '10.0.0.100/32 dev eth0', 'script "/opt/x/check-health.sh"', 'runtime_healthy', 'fall 1', 'rise 1']) {
    expect(lines).toContain(line);
  }
});

test('the health check script exits 0 only while /healthz answers 200', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepalived-check-'));
  let status = 200;
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? status : 404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    const script = path.join(dir, 'check.sh');
    fs.writeFileSync(script, healthCheckScript(process.execPath, '127.0.0.1', port), { mode: 0o755 });
    const runCheck = () => new Promise<number>((resolve) => {
      const child = spawn(script, [], { stdio: 'ignore' });
      child.on('exit', (code) => resolve(code ?? -1));
    });
    expect(await runCheck()).toBe(0);
    status = 503;
    expect(await runCheck()).toBe(1);
    server.close();
    expect(await runCheck()).toBe(1);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
