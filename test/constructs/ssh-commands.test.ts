/**
 * The shell that SshInfrastructure's remote-exec provisioners run, run here by /bin/sh as
 * Terraform hands it over (its template escapes undone): the Node.js check passes a real
 * Node.js and fails a missing or too old one naming the host; uninstall empties the install
 * dir with or without an agent.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { nodeCheck, uninstall } from '../../constructs/infrastructure/ssh/commands';

/** What Terraform makes of a literal string in its JSON: `$${` → `${`, `%%{` → `%{`. */
function asTerraformRendersIt(text: string): string {
  return text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

function sh(script: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', `set -e\n${asTerraformRendersIt(script)}`], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-commands-'));
});
afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

const host = (nodeCommand: string) => ({ host: 'h3', address: '10.20.0.13', installDir: path.join(work, 'opt', 'cdktf-alb'), nodeCommand });

test('a Node.js >= 20 passes and is what $NODE names afterwards', () => {
  const r = sh(`${nodeCheck(host(process.execPath))}\necho "ok $V"`);
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe(`ok ${process.versions.node}`);
});

test('a missing Node.js fails naming the host and what to do', () => {
  const r = sh(nodeCheck(host('/opt/none/bin/node')));
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe('cdktf-alb: host h3 (10.20.0.13): Node.js not found: "/opt/none/bin/node" is not on PATH nor an executable file; install Node.js >= 20 or set nodeCommand');
});

test('a Node.js older than 20 fails with its version', () => {
  const fake = path.join(work, 'node18');
  fs.writeFileSync(fake, '#!/bin/sh\necho 18.19.0\n', { mode: 0o755 });
  const r = sh(nodeCheck(host(fake)));
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe('cdktf-alb: host h3 (10.20.0.13): Node.js 18.19.0 is too old; install Node.js >= 20 or set nodeCommand');
});

test('uninstall removes every installed file (no agent there: files only)', () => {
  const h = host(process.execPath);
  fs.mkdirSync(path.join(h.installDir, 'state', 'vm-1', 'files'), { recursive: true });
  fs.writeFileSync(path.join(h.installDir, 'state', 'vm-1', 'files', 'app.js'), '');
  fs.writeFileSync(path.join(h.installDir, '.hidden'), '');
  const r = sh(uninstall(h));
  expect(r.code).toBe(0);
  expect(fs.existsSync(h.installDir)).toBe(false);
  expect(r.stdout).toContain(`cdktf-alb: host h3: ${h.installDir} removed`);
});
