import { Construct } from 'constructs';
import { validateVpc } from '../lib/model/vpc';
import { recordIssues, rememberCreationSite, tokenIssues } from './errors';

/** Properties of a Vpc. */
export interface VpcProps {
  /**
   * The VPC's IPv4 address block. Every target of a load balancer in this VPC must lie in
   * it. On LocalInfrastructure every VM has a loopback address, so use `127.0.0.0/8`.
   */
  readonly cidrBlock: string;
}

/**
 * A virtual private cloud: the address space load balancers, availability groups and
 * targets live in. A load balancer only takes targets of its own VPC (JD Cloud's rule).
 */
export class Vpc extends Construct {
  /** The VPC's IPv4 CIDR block. */
  public readonly cidrBlock: string;

  constructor(scope: Construct, id: string, props: VpcProps) {
    super(scope, id);
    rememberCreationSite(this);
    recordIssues(this, [...tokenIssues(this.node.path, 'cidrBlock', props.cidrBlock), ...validateVpc({ path: this.node.path, cidrBlock: props.cidrBlock })]);
    this.cidrBlock = props.cidrBlock;
  }
}
