/**
 * nginx as a reverse proxy the way it is run in production: upstream keepalive pool,
 * HTTP/1.1 to the backend, access log off, and `stream` for L4.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ProxySpec, ProxyContext, HTTP_PORT, HTTPS_PORT, TCP_PORT } from './types';
import { launch, childrenAreWorkers } from './launch';

const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

function config(ctx: ProxyContext, address: string): string {
  const servers = ctx.backend.targets.map((t) => `    server ${t.host}:${t.port};`).join('\n');
  const d = ctx.dir;
  return `
${fs.existsSync(STREAM_MODULE) ? `load_module ${STREAM_MODULE};` : ''}
daemon off;
master_process on;
user root;
worker_processes ${ctx.workers};
worker_rlimit_nofile 20000;
pid ${d}/nginx.pid;
error_log ${d}/nginx-error.log warn;
events { worker_connections 16000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${d}/tmp-body;
  proxy_temp_path ${d}/tmp-proxy;
  fastcgi_temp_path ${d}/tmp-fcgi;
  uwsgi_temp_path ${d}/tmp-uwsgi;
  scgi_temp_path ${d}/tmp-scgi;
  keepalive_requests 100000000;
  keepalive_timeout 600s;
  upstream backend {
${servers}
    keepalive 256;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
  }
  server {
    listen ${address}:${HTTP_PORT} backlog=4096;
    listen ${address}:${HTTPS_PORT} ssl backlog=4096;
    ssl_certificate ${ctx.tls.certFile};
    ssl_certificate_key ${ctx.tls.keyFile};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # Stream large bodies instead of spooling them to a temp file on disk.
      proxy_max_temp_file_size 0;
    }
  }
}
stream {
  upstream tcp_source { server ${ctx.backend.tcpSource.host}:${ctx.backend.tcpSource.port}; }
  server { listen ${address}:${TCP_PORT} backlog=4096; proxy_pass tcp_source; }
}
`;
}

export const nginxProxy: ProxySpec = {
  id: 'nginx',
  label: 'nginx (upstream keepalive)',
  address: '127.0.6.11',
  supportsTcp: true,
  unavailable: () => null,
  start(ctx) {
    const conf = path.join(ctx.dir, 'nginx.conf');
    fs.writeFileSync(conf, config(ctx, this.address));
    return launch({
      id: this.id, name: this.id, address: this.address, dir: ctx.dir, withTcp: true, cpus: ctx.cpus,
      command: 'nginx', args: ['-e', `${ctx.dir}/nginx-error.log`, '-p', ctx.dir, '-c', conf],
      workersOf: childrenAreWorkers,
    });
  },
};
