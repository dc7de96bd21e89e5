/**
 * The Terraform outputs every deploy target gives a load balancer and an availability group
 * (what `npm start`, the e2e tests and users read after a deploy): `<lb>_endpoints` (per
 * listener, every node's address:port), `<lb>_nodes`, `<group>_vms`.
 */
import { Lazy, TerraformOutput } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { PlacedVm } from '../../lib/placement/types';

/** The parts of a LoadBalancer construct the outputs read (duck-typed: no import cycle). */
export interface LoadBalancerLike extends IConstruct {
  readonly adminPort?: number;
  readonly loadBalancerId?: string;
  readonly listeners?: { readonly node: { readonly id: string }; readonly port: number; readonly protocol: string }[];
}

/** Terraform-safe logical id fragment. */
export function logical(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Extra fields a target adds to each VM's entry (e.g. the SSH host it runs on). */
export type VmDetails = (vm: PlacedVm) => { [key: string]: string };

/** Outputs of one group live in their own scope: construct ids never clash with the resources'. */
export function outputScope(scope: Construct, group: string): Construct {
  const outputs = (scope.node.tryFindChild('outputs') as Construct | undefined) ?? new Construct(scope, 'outputs');
  return (outputs.node.tryFindChild(group) as Construct | undefined) ?? new Construct(outputs, group);
}

export function addLoadBalancerOutputs(scope: Construct, lb: LoadBalancerLike, group: string, nodes: PlacedVm[], details: VmDetails = () => ({})): void {
  const endpoints = new TerraformOutput(outputScope(scope, group), 'endpoints', {
    description: `Per listener of ${lb.node.path}: the endpoint (address:port) of every LB node`,
    // Listeners are added after the LB is constructed: read them at synth.
    value: Lazy.anyValue({
      produce: () => Object.fromEntries((lb.listeners ?? []).map((l) => [l.node.id, nodes.map((n) => `${n.address}:${l.port}`)])),
    }),
  });
  endpoints.overrideLogicalId(`${logical(group)}_endpoints`);
  const nodeList = new TerraformOutput(outputScope(scope, group), 'nodes', {
    description: `Nodes of ${lb.node.path}: name, zone, rack, address, admin endpoint`,
    value: nodes.map((n) => ({
      name: n.name, zone: n.zone, rack: n.rack, address: n.address,
      admin: lb.adminPort === undefined ? null : `${n.address}:${lb.adminPort}`,
      ...details(n),
    })),
  });
  nodeList.overrideLogicalId(`${logical(group)}_nodes`);
}

export function addAvailabilityGroupOutput(scope: Construct, ag: IConstruct, group: string, vms: PlacedVm[], port: number, details: VmDetails = () => ({})): void {
  const out = new TerraformOutput(outputScope(scope, group), 'vms', {
    description: `VMs of availability group ${ag.node.path}: name, zone, rack, endpoint (address:port)`,
    value: vms.map((vm) => ({ name: vm.name, zone: vm.zone, rack: vm.rack, endpoint: `${vm.address}:${port}`, ...details(vm) })),
  });
  out.overrideLogicalId(`${logical(group)}_vms`);
}

/** `<lb>_vip_endpoints`: per listener, vip:port (the one address clients use). */
export function addVipOutput(scope: Construct, lb: LoadBalancerLike, group: string, vip: string): void {
  const out = new TerraformOutput(outputScope(scope, group), 'vip-endpoints', {
    description: `Per listener of ${lb.node.path}: the virtual IP's endpoint (vip:port)`,
    value: Lazy.anyValue({ produce: () => Object.fromEntries((lb.listeners ?? []).map((l) => [l.node.id, `${vip}:${l.port}`])) }),
  });
  out.overrideLogicalId(`${logical(group)}_vip_endpoints`);
}
