/**
 * The quickstart: one load balancer on two zones × two racks (2 nodes per zone), an HTTP
 * listener on :8080, and a weighted-round-robin backend with cookie persistence over an
 * availability group of 4 VMs plus a "legacy" server group with one ip target.
 */
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  Algorithm, AvailabilityGroup, BackendProtocol, HealthCheckProtocol, ListenerProtocol, LoadBalancer,
  LocalInfrastructure, MachineTemplate, Vpc,
} from '../../index';

/** Where the legacy server listens; `npm start` (scripts/quickstart.js) runs app.js there. */
export const LEGACY_ADDRESS = '127.0.0.1';
export const LEGACY_PORT = 9001;

export class QuickstartStack extends TerraformStack {
  public readonly loadBalancer: LoadBalancer;
  public readonly app: AvailabilityGroup;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const dc = new LocalInfrastructure(this, 'dc', {
      zones: [{ name: 'az-1', racks: ['r1', 'r2'] }, { name: 'az-2', racks: ['r3', 'r4'] }],
      stateDir: '.alb-state',
    });
    const vpc = new Vpc(this, 'vpc', { cidrBlock: '127.0.0.0/8' });
    const lb = new LoadBalancer(this, 'web', { infrastructure: dc, vpc });

    const app = new AvailabilityGroup(this, 'app', {
      infrastructure: dc, vpc, instanceCount: 4,
      template: MachineTemplate.command({ command: 'node', args: ['examples/quickstart/app.js'], port: 8080 }),
    });

    // A server outside the LB-managed VMs, registered by address. With weight 20 against the
    // four AG instances' 10 each it gets a third of new sessions. If nothing listens there,
    // health checks take it out and the availability group serves everything.
    const legacy = lb.addServerGroup('legacy');
    legacy.addTarget({ address: LEGACY_ADDRESS, port: LEGACY_PORT, weight: 20 });

    const web = lb.addBackendService('web-backend', {
      protocol: BackendProtocol.HTTP, port: 8080, algorithm: Algorithm.WEIGHTED_ROUND_ROBIN,
      sessionPersistence: { cookieTimeoutSeconds: 600 },
      healthCheck: { protocol: HealthCheckProtocol.HTTP, path: '/healthz' },
    });
    web.addAvailabilityGroup(app);
    web.addServerGroup(legacy);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 8080, backendService: web });

    this.loadBalancer = lb;
    this.app = app;
  }
}
