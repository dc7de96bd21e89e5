/** The two Node.js reverse proxies users would otherwise reach for. */
import * as fs from 'fs';
import * as path from 'path';
import { ProxySpec, ProxyContext, HTTP_PORT, HTTPS_PORT } from './types';
import { launch, childrenAreWorkers } from './launch';

function nodePeer(id: string, label: string, address: string, script: string): ProxySpec {
  return {
    id, label, address,
    supportsTcp: false,
    unavailable: () => null,
    start(ctx: ProxyContext) {
      const cfgFile = path.join(ctx.dir, `${id}.json`);
      fs.writeFileSync(cfgFile, JSON.stringify({
        workers: ctx.workers, address, httpPort: HTTP_PORT, httpsPort: HTTPS_PORT,
        targets: ctx.backend.targets, certFile: ctx.tls.certFile, keyFile: ctx.tls.keyFile,
      }));
      return launch({
        id, name: id, address, dir: ctx.dir, withTcp: false, cpus: ctx.cpus,
        command: process.execPath, args: [path.join(__dirname, 'peers', script), cfgFile],
        workersOf: childrenAreWorkers,
      });
    },
  };
}

export const fastifyProxy = nodePeer('fastify', '@fastify/http-proxy', '127.0.6.13', 'fastify-proxy-server.js');
export const httpProxyPeer = nodePeer('http-proxy', 'http-proxy (keep-alive agent)', '127.0.6.14', 'http-proxy-server.js');
