/** HAProxy with server-side connection reuse (`http-reuse always`) and `mode tcp` for L4. */
import * as fs from 'fs';
import * as path from 'path';
import { ProxySpec, ProxyContext, HTTP_PORT, HTTPS_PORT, TCP_PORT } from './types';
import { launch, rootIsWorker } from './launch';
import { fileLimit } from '../lib/install';

export function haproxyMaxconn(): number {
  return Math.min(10500, Math.floor((fileLimit().soft - 100) / 2));
}

function config(ctx: ProxyContext, address: string): string {
  const servers = ctx.backend.targets.map((t, i) => `  server s${i + 1} ${t.host}:${t.port}`).join('\n');
  return `
global
  nbthread ${ctx.workers}
  # HAProxy insists on 2 fds per connection (maxsock = 2 x maxconn + a few), so under an
  # open-files limit L it accepts at most ~L/2 connections (9,950 with this machine's 20,000).
  maxconn ${haproxyMaxconn()}
  ssl-server-verify none
  pidfile ${ctx.dir}/haproxy.pid

defaults
  mode http
  maxconn ${haproxyMaxconn()}
  timeout connect 5s
  timeout client 600s
  timeout server 600s
  timeout http-keep-alive 600s
  option http-keep-alive
  http-reuse always

frontend fe_http
  bind ${address}:${HTTP_PORT}
  bind ${address}:${HTTPS_PORT} ssl crt ${ctx.tls.bundleFile}
  default_backend be_http

backend be_http
  balance roundrobin
${servers}

frontend fe_tcp
  mode tcp
  bind ${address}:${TCP_PORT}
  default_backend be_tcp

backend be_tcp
  mode tcp
  server src ${ctx.backend.tcpSource.host}:${ctx.backend.tcpSource.port}
`;
}

export const haproxyProxy: ProxySpec = {
  id: 'haproxy',
  label: 'HAProxy (http-reuse always)',
  address: '127.0.6.12',
  supportsTcp: true,
  unavailable: () => null,
  start(ctx) {
    const conf = path.join(ctx.dir, 'haproxy.cfg');
    fs.writeFileSync(conf, config(ctx, this.address));
    return launch({
      id: this.id, name: this.id, address: this.address, dir: ctx.dir, withTcp: true, cpus: ctx.cpus,
      command: 'haproxy', args: ['-db', '-f', conf], workersOf: rootIsWorker,
    });
  },
};
