/**
 * The one fixed backend set every proxy forwards to, started once per benchmark run.
 *
 * HTTP: one nginx (a single worker process, pinned to the load generator's core) listening on
 * BACKEND_PORTS, answering /small from memory (`return 200`) and /64k, /1m from files with
 * sendfile. nginx rather than a Node server because a Node backend would cost as much CPU
 * per request as the Node proxies under test and become the bottleneck; nginx answers a
 * keep-alive request for a few microseconds of CPU.
 * TCP: a small Node source (tcp-source.js) that writes N bytes and closes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { startProcess, stopProcess, Started } from '../lib/processes';
import { waitUntil, httpOk, canConnect } from '../lib/net';
import { assertFree } from '../proxies/launch';
import { processTree } from '../lib/procstat';

export const BACKEND_HOST = '127.0.6.2';
export const BACKEND_PORTS = [18001, 18002, 18003, 18004];
export const TCP_SOURCE = { host: '127.0.6.3', port: 18101 };
/** The small response body: 128 bytes, the size of a typical small JSON API answer. */
export const SMALL_BODY = 'x'.repeat(127) + '\n';

export interface BackendSet {
  targets: { host: string; port: number }[];
  tcpSource: { host: string; port: number };
  pids(): number[];
  stop(): Promise<void>;
}

function nginxBackendConfig(dir: string, www: string): string {
  const servers = BACKEND_PORTS.map((p) => `
    server {
      listen ${BACKEND_HOST}:${p} backlog=4096;
      root ${www};
      location = /small { default_type text/plain; return 200 "${SMALL_BODY.replace('\n', '\\n')}"; }
      location / { }
    }`).join('\n');
  return `
daemon off;
master_process on;
user root;
worker_processes 1;
worker_rlimit_nofile 20000;
pid ${dir}/backend-nginx.pid;
error_log ${dir}/backend-nginx-error.log warn;
events { worker_connections 16000; multi_accept on; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  # Proxies keep upstream connections open: never make them reconnect mid-run.
  keepalive_requests 100000000;
  keepalive_timeout 600s;
  client_body_temp_path ${dir}/tmp-body;
  proxy_temp_path ${dir}/tmp-proxy;
  fastcgi_temp_path ${dir}/tmp-fcgi;
  uwsgi_temp_path ${dir}/tmp-uwsgi;
  scgi_temp_path ${dir}/tmp-scgi;
${servers}
}
`;
}

export async function startBackendSet(dir: string, cpus: string): Promise<BackendSet> {
  const www = path.join(dir, 'www');
  fs.mkdirSync(www, { recursive: true });
  fs.writeFileSync(path.join(www, '64k'), Buffer.alloc(64 * 1024, 0x62));
  fs.writeFileSync(path.join(www, '1m'), Buffer.alloc(1024 * 1024, 0x63));
  const conf = path.join(dir, 'backend-nginx.conf');
  fs.writeFileSync(conf, nginxBackendConfig(dir, www));
  for (const port of BACKEND_PORTS) await assertFree({ host: BACKEND_HOST, port }, 'backend nginx');
  await assertFree(TCP_SOURCE, 'tcp source');
  const procs: Started[] = [];
  const nginx = startProcess({
    name: 'backend-nginx', command: 'nginx', args: ['-e', `${dir}/backend-nginx-error.log`, '-p', dir, '-c', conf],
    logFile: path.join(dir, 'backend-nginx.out'), cpus,
  });
  procs.push(nginx);
  const source = startProcess({
    name: 'tcp-source', command: process.execPath,
    args: [path.join(__dirname, 'tcp-source.js'), TCP_SOURCE.host, String(TCP_SOURCE.port)],
    logFile: path.join(dir, 'tcp-source.out'), cpus,
  });
  procs.push(source);
  const exitedOf = (p: Started) => () => (p.child.exitCode !== null ? `code ${p.child.exitCode}, see ${p.logFile}` : null);
  try {
    for (const port of BACKEND_PORTS) {
      await waitUntil(`backend nginx ${BACKEND_HOST}:${port}`, () => httpOk(`http://${BACKEND_HOST}:${port}/small`), 10000, exitedOf(nginx));
    }
    await waitUntil('tcp source', () => canConnect(TCP_SOURCE), 10000, exitedOf(source));
  } catch (err) {
    await Promise.all(procs.map((p) => stopProcess(p)));
    throw err;
  }
  return {
    targets: BACKEND_PORTS.map((port) => ({ host: BACKEND_HOST, port })),
    tcpSource: TCP_SOURCE,
    pids: () => procs.flatMap((p) => processTree(p.child.pid!)),
    stop: async () => { await Promise.all(procs.map((p) => stopProcess(p))); },
  };
}
