/**
 * The plan document: what LocalInfrastructure (or any infrastructure) writes into the synth
 * output as `<stack outdir>/alb/plan.json`, and what the `plan` command reads back.
 * Pure data and a parser with clear errors; no cdktf imports.
 */
import { PlacedVm, VmRole, ZoneSpec } from './types';

export const PLAN_DOCUMENT_VERSION = 1;
/** Location of the plan inside a stack's synth directory. */
export const PLAN_FILE = 'alb/plan.json';

/** One load balancer deployed on the infrastructure. */
export interface PlanLoadBalancer {
  /** PlacementGroup.name of its cluster nodes. */
  readonly group: string;
  /** Construct path of the LB. */
  readonly path: string;
  /** Its LB config document, relative to the stack's synth directory. */
  readonly configFile: string;
}

/** One availability group deployed on the infrastructure. */
export interface PlanAvailabilityGroup {
  readonly group: string;
  readonly path: string;
  /** Port the group's VMs serve on. */
  readonly port: number;
}

export interface PlanDocument {
  readonly planVersion: number;
  /** Construct path of the infrastructure. */
  readonly infrastructure: string;
  readonly zones: ZoneSpec[];
  readonly vms: PlacedVm[];
  readonly loadBalancers: PlanLoadBalancer[];
  readonly availabilityGroups: PlanAvailabilityGroup[];
}

function need(ok: boolean, where: string, value: unknown, allowed: string): void {
  if (!ok) throw new Error(`plan document: ${where} ${JSON.stringify(value)} is invalid (allowed: ${allowed})`);
}

/** Parses and checks a plan document (e.g. the contents of plan.json). */
export function parsePlanDocument(text: string, source = 'plan.json'): PlanDocument {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON: ${(e as Error).message}`);
  }
  need(typeof doc === 'object' && doc !== null, source, typeof doc, 'an object');
  need(doc.planVersion === PLAN_DOCUMENT_VERSION, `${source} planVersion`, doc.planVersion, String(PLAN_DOCUMENT_VERSION));
  need(Array.isArray(doc.zones), `${source} zones`, doc.zones, 'an array of { name, racks }');
  need(Array.isArray(doc.vms), `${source} vms`, doc.vms, 'an array of placed VMs');
  need(Array.isArray(doc.loadBalancers), `${source} loadBalancers`, doc.loadBalancers, 'an array');
  need(Array.isArray(doc.availabilityGroups), `${source} availabilityGroups`, doc.availabilityGroups, 'an array');
  doc.vms.forEach((vm: any, i: number) => {
    for (const field of ['name', 'group', 'zone', 'rack', 'address']) {
      need(typeof vm?.[field] === 'string', `${source} vms[${i}].${field}`, vm?.[field], 'a string');
    }
    need(vm.role === VmRole.LB_NODE || vm.role === VmRole.AG_VM, `${source} vms[${i}].role`, vm.role, `"${VmRole.LB_NODE}" or "${VmRole.AG_VM}"`);
  });
  return doc as PlanDocument;
}
