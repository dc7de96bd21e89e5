/**
 * The fleet example: a two-zone load balancer and an availability group deployed over SSH
 * onto the hosts of `npm run fleet -- up N` (or any hosts listed the same way).
 *
 * Hosts are split into two zones (first half az-1, second half az-2), each zone into two
 * racks, in turn. With 8 hosts: 4 LB nodes (2 per zone, one per rack), 3 app VMs and 1
 * "legacy" VM (in az-2) registered by instance with its own weight; one VM per host.
 */
import * as path from 'path';
import { LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  Algorithm, AvailabilityGroup, BackendProtocol, HealthCheckProtocol, HostSupervisor, ListenerProtocol, LoadBalancer,
  MachineTemplate, SshHost, SshInfrastructure, Vpc,
} from '../../index';

/** The quickstart's program, found from this file: the synth may run from any project directory. */
const APP_FILE = path.join(__dirname, '..', 'quickstart', 'app.js');

/** What `npm run fleet -- up N` writes to hosts.json. */
export interface FleetDocument {
  readonly subnet: string;
  readonly privateKeyFile: string;
  /** `fleet up --host-ca`: the CA that signed every host's certificate. */
  readonly hostCertificateAuthority?: string;
  readonly hosts: { readonly name: string; readonly address: string; readonly port: number; readonly user: string; readonly hostKey: string }[];
}

export interface FleetStackOptions {
  readonly fleet: FleetDocument;
  /** Weight of the legacy VM against the app VMs' 10 each. */
  readonly legacyWeight: number;
  readonly listenerPort: number;
  readonly appPort: number;
  readonly adminPort: number;
  /** Terraform state file (local backend). */
  readonly tfState: string;
  readonly placementFile?: string;
  readonly nodeCommand?: string;
  readonly connectTimeoutSeconds?: number;
  /** LB nodes per zone. @default 2 with 8 hosts or more, else 1 */
  readonly nodesPerZone?: number;
  readonly appCount?: number;
  /** The LB's virtual IP (keepalived on every node), e.g. 10.231.0.100. @default none */
  readonly vip?: string;
  /** The runtime bundle the LB nodes run (a new one rolls node by node). @default this package's */
  readonly runtimeBundle?: string;
  /** A second HTTP listener on this port (the e2e test's way to ask for a port a host already uses). */
  readonly extraListenerPort?: number;
}

/** Two zones, two racks each, hosts dealt out in order. */
export function fleetHosts(fleet: FleetDocument): SshHost[] {
  const half = Math.ceil(fleet.hosts.length / 2);
  return fleet.hosts.map((h, i) => {
    const zone = i < half ? 1 : 2;
    const inZone = i < half ? i : i - half;
    // hostKey: read by fleet.js from the key each host's sshd serves; every connection checks it.
    // A host that presents a certificate can be verified only through its CA: no hostKey then.
    const hostKey = fleet.hostCertificateAuthority === undefined ? h.hostKey : undefined;
    return { name: h.name, address: h.address, port: h.port, user: h.user, hostKey, zone: `az-${zone}`, rack: `r${2 * zone - 1 + (inZone % 2)}` };
  });
}

export class FleetStack extends TerraformStack {
  constructor(scope: Construct, id: string, o: FleetStackOptions) {
    super(scope, id);
    new LocalBackend(this, { path: o.tfState });
    const fleet = new SshInfrastructure(this, 'fleet', {
      hosts: fleetHosts(o.fleet),
      hostCertificateAuthority: o.fleet.hostCertificateAuthority,
      privateKeyFile: o.fleet.privateKeyFile,
      placementFile: o.placementFile,
      nodeCommand: o.nodeCommand,
      connectTimeoutSeconds: o.connectTimeoutSeconds,
      supervisor: HostSupervisor.AUTO,
      runtimeBundle: o.runtimeBundle,
      workers: 1,
    });
    const vpc = new Vpc(this, 'net', { cidrBlock: o.fleet.subnet });
    const nodesPerZone = o.nodesPerZone ?? (o.fleet.hosts.length >= 8 ? 2 : 1);
    const lb = new LoadBalancer(this, 'web', {
      infrastructure: fleet, vpc, nodesPerZone, adminPort: o.adminPort, vip: o.vip === undefined ? undefined : { address: o.vip },
    });
    const app = new AvailabilityGroup(this, 'app', {
      infrastructure: fleet, vpc, instanceCount: o.appCount ?? o.fleet.hosts.length - 2 * nodesPerZone - 1,
      // The program ships with the stack: its file is uploaded to each VM's files directory.
      template: MachineTemplate.command({ command: 'node', args: ['app.js'], files: APP_FILE, port: o.appPort }),
    });
    const legacyVm = new AvailabilityGroup(this, 'legacy', {
      infrastructure: fleet, vpc, instanceCount: 1, zones: ['az-2'],
      template: MachineTemplate.command({ command: 'node', args: ['app.js'], files: APP_FILE, port: o.appPort }),
    });
    const legacy = lb.addServerGroup('legacy');
    legacy.addTarget({ instance: legacyVm.instance(0), port: o.appPort, weight: o.legacyWeight });
    const web = lb.addBackendService('web-backend', {
      protocol: BackendProtocol.HTTP, port: o.appPort, algorithm: Algorithm.WEIGHTED_ROUND_ROBIN,
      sessionPersistence: { cookieTimeoutSeconds: 600 },
      healthCheck: { protocol: HealthCheckProtocol.HTTP, path: '/healthz', intervalSeconds: 5, healthyThresholdCount: 1, unhealthyThresholdCount: 2 },
    });
    web.addAvailabilityGroup(app);
    web.addServerGroup(legacy);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: o.listenerPort, backendService: web });
    if (o.extraListenerPort !== undefined) lb.addListener('extra', { protocol: ListenerProtocol.HTTP, port: o.extraListenerPort, backendService: web });
  }
}
