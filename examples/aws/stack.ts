/**
 * The quickstart's shape on EC2: one load balancer with two nodes in each of two
 * availability zones, an HTTP listener on :80, and a weighted-round-robin backend with cookie
 * persistence over an availability group of 6 VMs spread over three racks (partitions) per
 * zone. Only the infrastructure construct differs from examples/quickstart.
 */
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  Algorithm, AvailabilityGroup, AwsInfrastructure, AwsProvider, AwsProviderProps, AwsZone, BackendProtocol, HealthCheckProtocol,
  ListenerProtocol, LoadBalancer, MachineTemplate, Vpc,
} from '../../index';

/** What the example needs to know about your account (settings.json). */
export interface AwsExampleSettings {
  /** The provider block: region, profile (or, for emulators, endpoints and fake keys). */
  readonly provider: AwsProviderProps;
  /** The VPC holding the subnets, and its CIDR block. */
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** One subnet per availability zone, with its CIDR block. */
  readonly zones: AwsZone[];
  /** An EC2 key pair for SSH (optional). */
  readonly keyName?: string;
  /** Turn off for instance types or accounts without placement groups. */
  readonly rackSpread?: boolean;
  /** Give the LB nodes public addresses (public subnets). */
  readonly publicLoadBalancerNodes?: boolean;
  readonly instanceType?: string;
}

export class AwsExampleStack extends TerraformStack {
  public readonly infrastructure: AwsInfrastructure;
  public readonly loadBalancer: LoadBalancer;
  public readonly app: AvailabilityGroup;

  constructor(scope: Construct, id: string, settings: AwsExampleSettings) {
    super(scope, id);
    new AwsProvider(this, 'aws', settings.provider);
    const cloud = new AwsInfrastructure(this, 'cloud', {
      zones: settings.zones,
      vpcId: settings.vpcId,
      keyName: settings.keyName,
      rackSpread: settings.rackSpread,
      publicLoadBalancerNodes: settings.publicLoadBalancerNodes,
      instanceType: settings.instanceType,
      // The availability group's program: the quickstart's app.js, unpacked into /opt/alb/program.
      programDir: `${__dirname}/../quickstart`,
      tags: { project: 'cdktf-alb-example' },
    });
    const vpc = new Vpc(this, 'vpc', { cidrBlock: settings.vpcCidr });
    const lb = new LoadBalancer(this, 'web', { infrastructure: cloud, vpc });
    const app = new AvailabilityGroup(this, 'app', {
      infrastructure: cloud, vpc, instanceCount: 6,
      template: MachineTemplate.command({ command: 'node', args: ['app.js'], port: 8080 }),
    });
    const web = lb.addBackendService('web-backend', {
      protocol: BackendProtocol.HTTP, port: 8080, algorithm: Algorithm.WEIGHTED_ROUND_ROBIN,
      sessionPersistence: { cookieTimeoutSeconds: 600 },
      healthCheck: { protocol: HealthCheckProtocol.HTTP, path: '/healthz' },
    });
    web.addAvailabilityGroup(app);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: web });
    this.infrastructure = cloud;
    this.loadBalancer = lb;
    this.app = app;
  }
}
