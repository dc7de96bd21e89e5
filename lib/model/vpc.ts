/** The VPC: a named IPv4 CIDR block that every target of an LB must lie in. */
import { parseCidr } from './check';
import { issue, Issue } from './messages';

export interface VpcModel {
  /** Construct path of the VPC. */
  readonly path: string;
  readonly cidrBlock: string;
}

/** Field errors of a VPC. */
export function validateVpc(vpc: VpcModel): Issue[] {
  if (parseCidr(vpc.cidrBlock)) return [];
  return [issue(vpc.path, 'cidrBlock', vpc.cidrBlock, 'is not an IPv4 CIDR block with zero host bits',
    'a.b.c.d/n with n in 0..32, e.g. "127.0.0.0/8" or "10.0.0.0/16"')];
}
