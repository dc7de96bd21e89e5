/**
 * The quickstart: one load balancer on two zones × two racks (2 nodes per zone), an HTTP
 * listener on :8080, and a weighted-round-robin backend with cookie persistence over an
 * availability group of 4 VMs plus a "legacy" virtual server group whose one target is a
 * single VM (its own 1-instance availability group on port 9001) registered by instance.
 * The listener's URL map answers /ping itself, redirects /home to /, and sends /legacy/* to
 * a second backend service over the legacy server alone (path rewritten, response marked).
 * Everything it runs is created and removed by Terraform.
 */
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  Algorithm, AvailabilityGroup, BackendProtocol, HealthCheckProtocol, ListenerProtocol, LoadBalancer,
  LocalInfrastructure, MachineTemplate, RuleAction, Vpc,
} from '../../index';

/** The port the legacy server listens on, and its weight against the app VMs' default 10. */
export const LEGACY_PORT = 9001;
export const LEGACY_WEIGHT = 20;

export class QuickstartStack extends TerraformStack {
  public readonly loadBalancer: LoadBalancer;
  public readonly app: AvailabilityGroup;
  public readonly legacy: AvailabilityGroup;

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

    // The "legacy" server: one VM of its own, not attached to the backend as a group but
    // registered as an instance target of a virtual server group (how a hand-managed server
    // is added next to an availability group). With weight 20 against the four AG instances'
    // 10 each it gets a third of new sessions.
    const legacyVm = new AvailabilityGroup(this, 'legacy', {
      infrastructure: dc, vpc, instanceCount: 1,
      template: MachineTemplate.command({ command: 'node', args: ['examples/quickstart/app.js'], port: LEGACY_PORT }),
    });
    const legacy = lb.addServerGroup('legacy');
    legacy.addTarget({ instance: legacyVm.instance(0), port: LEGACY_PORT, weight: LEGACY_WEIGHT });

    const web = lb.addBackendService('web-backend', {
      protocol: BackendProtocol.HTTP, port: 8080, algorithm: Algorithm.WEIGHTED_ROUND_ROBIN,
      sessionPersistence: { cookieTimeoutSeconds: 600 },
      healthCheck: { protocol: HealthCheckProtocol.HTTP, path: '/healthz' },
    });
    web.addAvailabilityGroup(app);
    web.addServerGroup(legacy);

    // Forwarding rules: requests no rule matches go to the listener's default backend (web).
    const legacyOnly = lb.addBackendService('legacy-backend', {
      protocol: BackendProtocol.HTTP, port: LEGACY_PORT,
      sessionPersistence: { cookieTimeoutSeconds: 600 }, // its own cookie name: sessions on both backends coexist
      healthCheck: { protocol: HealthCheckProtocol.HTTP, path: '/healthz' },
    });
    legacyOnly.addServerGroup(legacy);
    const site = lb.addUrlMap('site');
    site.addRule('ping', { path: '/ping', action: RuleAction.fixedResponse({ statusCode: 200, contentType: 'text/plain', body: 'pong\n' }) });
    site.addRule('home', { path: '/home', action: RuleAction.redirect({ path: '/', statusCode: 302 }) });
    site.addRule('legacy', {
      path: '/legacy/*', action: RuleAction.forward(legacyOnly),
      rewrite: { path: '/*' },
      responseHeaders: { set: { 'X-Served-By': 'legacy' } },
    });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 8080, backendService: web, urlMap: site });

    this.loadBalancer = lb;
    this.app = app;
    this.legacy = legacyVm;
  }
}
