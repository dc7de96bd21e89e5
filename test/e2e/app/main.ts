/**
 * The end-to-end tests' cdktf app: the quickstart's shape (one LB, 2 zones × 2 racks, 2 nodes
 * per zone, an availability group of 4 VMs running examples/quickstart/app.js, a "legacy"
 * server group whose one target is the VM of a 1-instance availability group, registered by
 * instance) with the knobs a test needs taken from the environment, so a test can deploy into
 * its own state dir and ports and change a weight between deploys.
 *
 *   CDKTF_OUTDIR        synth output (read by cdktf's App)
 *   E2E_STATE_DIR       LocalInfrastructure state dir (pid files, logs)
 *   E2E_TFSTATE         Terraform state file (local backend)
 *   E2E_LISTENER_PORT, E2E_ADMIN_PORT, E2E_APP_PORT, E2E_LEGACY_PORT
 *   E2E_LEGACY_WEIGHT   weight of the legacy target (the knob the reload test turns)
 *   E2E_APP_COUNT       instances of the availability group (default 4; the placement test turns it)
 *   E2E_APP_RELEASE     RELEASE in the app VMs' environment (default v1; the rollout test turns it)
 *   E2E_CANARY_FIRST    "1": declare a 2-VM "canary" availability group before everything else
 *                       (not attached to the LB; the placement-stability test turns it)
 */
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  Algorithm, AvailabilityGroup, BackendProtocol, HealthCheckProtocol, ListenerProtocol, LoadBalancer,
  LocalInfrastructure, MachineTemplate, Vpc,
} from '../../../index';
import * as path from 'path';

/** The quickstart's app server, by absolute path: the app runs in the test's workspace. */
const APP_JS = path.join(__dirname, '..', '..', '..', 'examples', 'quickstart', 'app.js');

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`test/e2e/app: ${name} is not set`);
  return value;
}

function port(name: string): number {
  const n = Number(env(name));
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`test/e2e/app: ${name}=${process.env[name]} is not a port`);
  return n;
}

class E2eStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: env('E2E_TFSTATE') });
    const dc = new LocalInfrastructure(this, 'dc', {
      zones: [{ name: 'az-1', racks: ['r1', 'r2'] }, { name: 'az-2', racks: ['r3', 'r4'] }],
      stateDir: env('E2E_STATE_DIR'),
    });
    const vpc = new Vpc(this, 'vpc', { cidrBlock: '127.0.0.0/8' });
    if (process.env.E2E_CANARY_FIRST === '1') {
      new AvailabilityGroup(this, 'canary', {
        infrastructure: dc, vpc, instanceCount: 2,
        template: MachineTemplate.command({ command: process.execPath, args: [APP_JS], port: port('E2E_APP_PORT') }),
      });
    }
    const lb = new LoadBalancer(this, 'web', { infrastructure: dc, vpc, adminPort: port('E2E_ADMIN_PORT') });
    const app = new AvailabilityGroup(this, 'app', {
      infrastructure: dc, vpc, instanceCount: Number(process.env.E2E_APP_COUNT || '4'),
      template: MachineTemplate.command({
        command: process.execPath, args: [APP_JS], port: port('E2E_APP_PORT'),
        env: { RELEASE: process.env.E2E_APP_RELEASE || 'v1' },
      }),
    });
    const legacyVm = new AvailabilityGroup(this, 'legacy', {
      infrastructure: dc, vpc, instanceCount: 1,
      template: MachineTemplate.command({ command: process.execPath, args: [APP_JS], port: port('E2E_LEGACY_PORT') }),
    });
    const legacy = lb.addServerGroup('legacy');
    legacy.addTarget({ instance: legacyVm.instance(0), port: port('E2E_LEGACY_PORT'), weight: Number(env('E2E_LEGACY_WEIGHT')) });
    const web = lb.addBackendService('web-backend', {
      protocol: BackendProtocol.HTTP, port: port('E2E_APP_PORT'), algorithm: Algorithm.WEIGHTED_ROUND_ROBIN,
      sessionPersistence: { cookieTimeoutSeconds: 600 },
      healthCheck: { protocol: HealthCheckProtocol.HTTP, path: '/healthz', intervalSeconds: 5, healthyThresholdCount: 1, unhealthyThresholdCount: 2 },
    });
    web.addAvailabilityGroup(app);
    web.addServerGroup(legacy);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: port('E2E_LISTENER_PORT'), backendService: web });
  }
}

const root = new App();
new E2eStack(root, 'e2e');
root.synth();
