/**
 * Child process of the synth scenario: builds N load balancers, each with 20 HTTP listeners,
 * each listener in front of its own backend service over a server group of 100 targets (the
 * default quotas' maximum), synthesizes, and prints one JSON line with the time taken.
 * Usage: ts-node --transpile-only bench/scenarios/synth-app.ts LB_COUNT OUTDIR
 */
import { App, TerraformStack } from 'cdktf';
import * as root from '../../index';

const LISTENERS = 20;
const TARGETS = 100;

function build(lbCount: number, outdir: string): void {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'bench');
  const dc = new root.LocalInfrastructure(stack, 'dc', {
    zones: [{ name: 'az-1', racks: ['r1', 'r2'] }, { name: 'az-2', racks: ['r3', 'r4'] }],
    stateDir: `${outdir}/.alb-state`,
  });
  const vpc = new root.Vpc(stack, 'vpc', { cidrBlock: '127.0.0.0/8' });
  for (let i = 0; i < lbCount; i++) {
    const lb = new root.LoadBalancer(stack, `lb${i}`, { infrastructure: dc, vpc });
    for (let l = 0; l < LISTENERS; l++) {
      const group = lb.addServerGroup(`g${l}`);
      for (let t = 0; t < TARGETS; t++) {
        group.addTarget({ address: `127.1.${l}.${t + 1}`, port: 10000 + i, weight: 10 });
      }
      const backend = lb.addBackendService(`b${l}`, {
        protocol: root.BackendProtocol.HTTP, port: 8080, algorithm: root.Algorithm.WEIGHTED_ROUND_ROBIN,
      });
      backend.addServerGroup(group);
      lb.addListener(`l${l}`, { protocol: root.ListenerProtocol.HTTP, port: 20000 + l, backendService: backend });
    }
  }
  app.synth();
}

const [countText, outdir] = process.argv.slice(2);
const start = process.hrtime.bigint();
build(Number(countText), outdir);
const synthMs = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(`SYNTH_JSON ${JSON.stringify({ lbs: Number(countText), listeners: LISTENERS, targetsPerListener: TARGETS, synthMs })}\n`);
