/**
 * Typed classes for the handful of hashicorp/aws resources AwsInfrastructure emits, over
 * cdktf's TerraformResource, instead of a dependency on @cdktf/provider-aws (362 MB, a
 * 120 MB jsii assembly every jsii build of this package would load; DESIGN.md has the
 * numbers). Each class takes camelCase props for exactly the arguments used here and writes
 * the provider's snake_case names; attributes are read with the provider's names. Written
 * against provider 5.100.0 (provider.ts) and checked by `terraform validate` in the tests.
 * Internal: not part of the package's public API.
 */
import { TerraformDataSource, TerraformMetaArguments, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { AWS_PROVIDER_VERSION, dropUndefined } from './provider';

const METADATA = { providerName: 'aws', providerVersionConstraint: AWS_PROVIDER_VERSION };

/** A resource of the aws provider with a fixed set of arguments. */
export class AwsResource extends TerraformResource {
  constructor(scope: Construct, id: string, type: string, private readonly args: { [name: string]: unknown }, meta: TerraformMetaArguments = {}) {
    super(scope, id, { terraformResourceType: type, terraformGeneratorMetadata: METADATA, ...meta });
  }

  /** A string attribute by the provider's name (`id`, `arn`, `private_ip`, ...). */
  public attr(name: string): string {
    return this.getStringAttribute(name);
  }

  protected synthesizeAttributes(): { [name: string]: any } {
    return dropUndefined(this.args);
  }
}

export interface VpcArgs {
  readonly cidrBlock: string;
  readonly tags?: { [key: string]: string };
}
/** aws_vpc */
export class Ec2Vpc extends AwsResource {
  constructor(scope: Construct, id: string, a: VpcArgs) {
    super(scope, id, 'aws_vpc', { cidr_block: a.cidrBlock, tags: a.tags });
  }
}

export interface SubnetArgs {
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly availabilityZone: string;
  readonly mapPublicIpOnLaunch?: boolean;
  readonly tags?: { [key: string]: string };
}
/** aws_subnet */
export class Ec2Subnet extends AwsResource {
  constructor(scope: Construct, id: string, a: SubnetArgs) {
    super(scope, id, 'aws_subnet', {
      vpc_id: a.vpcId, cidr_block: a.cidrBlock, availability_zone: a.availabilityZone, map_public_ip_on_launch: a.mapPublicIpOnLaunch, tags: a.tags,
    });
  }
}

export interface PlacementGroupArgs {
  readonly name: string;
  readonly partitionCount: number;
  readonly tags?: { [key: string]: string };
}
/** aws_placement_group with strategy "partition": each partition is a disjoint set of racks. */
export class Ec2PartitionPlacementGroup extends AwsResource {
  constructor(scope: Construct, id: string, a: PlacementGroupArgs) {
    super(scope, id, 'aws_placement_group', { name: a.name, strategy: 'partition', partition_count: a.partitionCount, tags: a.tags });
  }
}

/** One ingress or egress rule of an inline security group. */
export interface SecurityGroupRule {
  readonly description: string;
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidrBlocks?: string[];
  /** Traffic from members of this same group. */
  readonly self?: boolean;
}
export interface SecurityGroupArgs {
  readonly namePrefix: string;
  readonly description: string;
  readonly vpcId: string;
  /** Read at synth (a listener added after construction still gets its rule). */
  readonly ingress: () => SecurityGroupRule[];
  readonly egress: SecurityGroupRule[];
  readonly tags?: { [key: string]: string };
}
/** aws_security_group with inline rules (the group owns all of its rules). */
export class Ec2SecurityGroup extends AwsResource {
  private readonly ingress: () => SecurityGroupRule[];

  constructor(scope: Construct, id: string, a: SecurityGroupArgs) {
    super(scope, id, 'aws_security_group', {
      name_prefix: a.namePrefix, description: a.description, vpc_id: a.vpcId, egress: a.egress.map(rule), tags: a.tags,
    });
    this.ingress = a.ingress;
  }

  protected synthesizeAttributes(): { [name: string]: any } {
    return { ...super.synthesizeAttributes(), ingress: this.ingress().map(rule) };
  }
}

/** An inline rule with every field the provider's attribute-as-blocks schema lists. */
function rule(r: SecurityGroupRule): { [name: string]: unknown } {
  return {
    description: r.description, protocol: r.protocol, from_port: r.fromPort, to_port: r.toPort,
    cidr_blocks: r.cidrBlocks ?? [], ipv6_cidr_blocks: [], prefix_list_ids: [], security_groups: [], self: r.self ?? false,
  };
}

export interface BucketArgs {
  readonly bucketPrefix: string;
  readonly forceDestroy: boolean;
  readonly tags?: { [key: string]: string };
}
/** aws_s3_bucket */
export class S3Bucket extends AwsResource {
  constructor(scope: Construct, id: string, a: BucketArgs) {
    super(scope, id, 'aws_s3_bucket', { bucket_prefix: a.bucketPrefix, force_destroy: a.forceDestroy, tags: a.tags });
  }
}

export interface ObjectArgs {
  readonly bucket: string;
  readonly key: string;
  /** A file path (relative paths: Terraform's working directory, the stack's synth directory). */
  readonly source: string;
  /** Changes when the file does: an update of the object in place. */
  readonly sourceHash: string;
  readonly contentType?: string;
  readonly tags?: { [key: string]: string };
}
/** aws_s3_object from a file. */
export class S3Object extends AwsResource {
  constructor(scope: Construct, id: string, a: ObjectArgs) {
    super(scope, id, 'aws_s3_object', {
      bucket: a.bucket, key: a.key, source: a.source, source_hash: a.sourceHash, content_type: a.contentType, tags: a.tags,
    });
  }
}

export interface RoleArgs {
  readonly namePrefix: string;
  readonly assumeRolePolicy: string;
  readonly tags?: { [key: string]: string };
}
/** aws_iam_role */
export class IamRole extends AwsResource {
  constructor(scope: Construct, id: string, a: RoleArgs) {
    super(scope, id, 'aws_iam_role', { name_prefix: a.namePrefix, assume_role_policy: a.assumeRolePolicy, tags: a.tags });
  }
}

/** aws_iam_role_policy (inline policy of a role) */
export class IamRolePolicy extends AwsResource {
  constructor(scope: Construct, id: string, a: { readonly namePrefix: string; readonly role: string; readonly policy: string }) {
    super(scope, id, 'aws_iam_role_policy', { name_prefix: a.namePrefix, role: a.role, policy: a.policy });
  }
}

/** aws_iam_instance_profile */
export class IamInstanceProfile extends AwsResource {
  constructor(scope: Construct, id: string, a: { readonly namePrefix: string; readonly role: string; readonly tags?: { [key: string]: string } }) {
    super(scope, id, 'aws_iam_instance_profile', { name_prefix: a.namePrefix, role: a.role, tags: a.tags });
  }
}

export interface InstanceArgs {
  readonly ami: string;
  readonly instanceType: string;
  readonly subnetId: string;
  /** The VM's address, fixed at synth: LB configs name their targets by it. */
  readonly privateIp: string;
  readonly vpcSecurityGroupIds: string[];
  readonly keyName?: string;
  readonly iamInstanceProfile?: string;
  readonly placementGroup?: string;
  /** 1-based partition of placementGroup: the VM's rack. */
  readonly placementPartitionNumber?: number;
  readonly associatePublicIpAddress?: boolean;
  readonly userData: string;
  readonly tags: { [key: string]: string };
}
/** aws_instance */
export class Ec2Instance extends AwsResource {
  constructor(scope: Construct, id: string, a: InstanceArgs, meta: TerraformMetaArguments = {}) {
    super(scope, id, 'aws_instance', {
      ami: a.ami, instance_type: a.instanceType, subnet_id: a.subnetId, private_ip: a.privateIp,
      vpc_security_group_ids: a.vpcSecurityGroupIds, key_name: a.keyName, iam_instance_profile: a.iamInstanceProfile,
      placement_group: a.placementGroup, placement_partition_number: a.placementPartitionNumber,
      associate_public_ip_address: a.associatePublicIpAddress,
      // User data runs at first boot only, so a change of it (a new program, a renamed VM)
      // must be a new instance. Its text holds names only, never a hash: config changes
      // travel through S3 and never replace an instance.
      user_data: a.userData, user_data_replace_on_change: true,
      tags: a.tags,
    }, meta);
  }
}

/** data "aws_ssm_parameter": an AMI id published as a parameter (e.g. AWS's latest-AMI paths). */
export class SsmParameter extends TerraformDataSource {
  constructor(scope: Construct, id: string, private readonly parameterName: string) {
    super(scope, id, { terraformResourceType: 'aws_ssm_parameter', terraformGeneratorMetadata: METADATA });
  }

  /** The parameter's value (sensitive in the provider's schema: `insecure_value` is not). */
  public get value(): string {
    return this.getStringAttribute('insecure_value');
  }

  protected synthesizeAttributes(): { [name: string]: any } {
    return { name: this.parameterName };
  }
}
