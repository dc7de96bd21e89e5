/**
 * This project's runtime, run as a deployed node runs it: the bundled CLI in the foreground
 * with the V8 flags the daemon gives the primary (runtime/process/v8-flags.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ProxySpec, ProxyContext, ADMIN_PORT } from './types';
import { launch, childrenAreWorkers } from './launch';
import { albConfig } from './alb-config';
import { SERVING_V8_FLAGS } from '../../runtime/process/v8-flags';

export const RUNTIME_BUNDLE = path.join(__dirname, '..', '..', 'dist', 'runtime', 'alb-runtime.js');

export function albConfigFile(ctx: ProxyContext): string {
  const file = path.join(ctx.dir, 'alb-config.json');
  fs.writeFileSync(file, JSON.stringify(albConfig({
    httpTargets: ctx.backend.targets, tcpSource: ctx.backend.tcpSource, tls: ctx.tls,
    algorithm: ctx.algorithm ?? 'WRR', urlMapRules: ctx.urlMapRules,
  }), null, 2));
  return file;
}

export const albRuntime: ProxySpec = {
  id: 'alb',
  label: 'alb-runtime (this project)',
  address: '127.0.6.10',
  supportsTcp: true,
  unavailable: () => (fs.existsSync(RUNTIME_BUNDLE) ? null : `${path.relative(process.cwd(), RUNTIME_BUNDLE)} not built (npm run build:runtime)`),
  start(ctx) {
    const file = albConfigFile(ctx);
    return launch({
      id: this.id, name: this.id, address: this.address, dir: ctx.dir, withTcp: true, cpus: ctx.cpus,
      command: process.execPath,
      args: [...SERVING_V8_FLAGS, ...(ctx.nodeFlags ?? []), RUNTIME_BUNDLE, 'run', '--config', file, '--bind', this.address,
        '--workers', String(ctx.workers), '--access-log', 'off'],
      workersOf: childrenAreWorkers,
    });
  },
};

export const albAdminUrl = (pathname: string) => `http://${albRuntime.address}:${ADMIN_PORT}${pathname}`;
