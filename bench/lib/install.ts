/**
 * Makes sure the tools the benchmark drives are present: nginx (with the stream module),
 * HAProxy and wrk from Debian, the Node peers from npm. Debian's nginx/haproxy packages may
 * start a system service on port 80; the benchmark never uses those services, and stops and
 * disables them right after installing so they do not take CPU during measurements.
 */
import * as fs from 'fs';
import { execFileSync, execSync } from 'child_process';

function onPath(cmd: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true; } catch { return false; }
}

const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

export function ensureTools(log: (s: string) => void): void {
  const missing: string[] = [];
  if (!onPath('nginx')) missing.push('nginx');
  if (!fs.existsSync(STREAM_MODULE)) missing.push('libnginx-mod-stream');
  if (!onPath('haproxy')) missing.push('haproxy');
  if (!onPath('wrk')) missing.push('wrk');
  if (!onPath('openssl')) missing.push('openssl');
  if (!onPath('taskset')) missing.push('util-linux');
  if (missing.length > 0) {
    log(`installing ${missing.join(' ')} (apt-get)`);
    execSync('apt-get update -qq', { stdio: 'inherit', timeout: 300000 });
    execSync(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`, { stdio: 'inherit', timeout: 600000 });
    for (const service of ['nginx', 'haproxy']) {
      if (!missing.includes(service)) continue;
      // Best effort: on a machine without systemd (containers) the service never started.
      try { execSync(`systemctl disable --now ${service}`, { stdio: 'ignore', timeout: 30000 }); } catch {
        try { execSync(`service ${service} stop`, { stdio: 'ignore', timeout: 30000 }); } catch { /* not running */ }
      }
    }
  }
  const nodePeers = ['fastify', '@fastify/http-proxy', 'http-proxy'];
  const unresolved = nodePeers.filter((m) => { try { require.resolve(m); return false; } catch { return true; } });
  if (unresolved.length > 0) {
    log(`installing devDependencies for ${unresolved.join(', ')} (npm install)`);
    execSync('npm install --no-audit --no-fund', { stdio: 'inherit', timeout: 600000 });
  }
}

export interface ToolVersions { node: string; nginx: string; haproxy: string; wrk: string; openssl: string }

export function toolVersions(): ToolVersions {
  const v = (cmd: string, re: RegExp): string => {
    try {
      const out = execSync(`${cmd} 2>&1 || true`, { encoding: 'utf8', timeout: 10000 });
      return re.exec(out)?.[1] ?? out.split('\n')[0];
    } catch { return 'unknown'; }
  };
  return {
    node: process.version,
    nginx: v('nginx -v', /nginx\/(\S+)/),
    haproxy: v('haproxy -v', /version (\S+)/),
    wrk: v('wrk -v', /wrk (\S+)/),
    openssl: v('openssl version', /OpenSSL (\S+)/),
  };
}

/** The open-files limit children inherit; the 10,000 idle connections need ~10,100 per side. */
export function fileLimit(): { soft: number; hard: number } {
  const out = execSync('ulimit -Sn; ulimit -Hn', { encoding: 'utf8', shell: '/bin/bash' }).trim().split('\n');
  const num = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: num(out[0]), hard: num(out[1]) };
}
