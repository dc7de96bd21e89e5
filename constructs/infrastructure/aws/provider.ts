/**
 * The hashicorp/aws provider block, without @cdktf/provider-aws: this package writes the few
 * AWS resources it needs as typed classes of its own (resources.ts; the measurements behind
 * that choice are in DESIGN.md "AwsInfrastructure"). Any `aws` provider in the stack works
 * with AwsInfrastructure, including @cdktf/provider-aws's AwsProvider.
 */
import { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';

/** The provider version the resource classes are written against (and tested with). */
export const AWS_PROVIDER_VERSION = '5.100.0';
/** Where Terraform finds it. */
export const AWS_PROVIDER_SOURCE = 'hashicorp/aws';

/** Properties of the aws provider block (the subset this package documents and tests). */
export interface AwsProviderProps {
  /** The region, e.g. `eu-west-1`. */
  readonly region: string;
  /**
   * A named profile of the shared credentials file.
   * @default - the provider's default credential chain
   */
  readonly profile?: string;
  /**
   * A static access key (tests and emulators; use profiles or roles for real accounts).
   * @default - the provider's default credential chain
   */
  readonly accessKey?: string;
  /**
   * The secret of accessKey.
   * @default - the provider's default credential chain
   */
  readonly secretKey?: string;
  /**
   * Service endpoint overrides, service name → URL (e.g. `{ ec2: 'http://127.0.0.1:5000' }`).
   * @default - AWS's own endpoints
   */
  readonly endpoints?: { [service: string]: string };
  /**
   * Skip the STS call that checks the credentials, the instance metadata lookup, the account
   * id lookup and the region name check (emulators, offline plans).
   * @default false
   */
  readonly skipChecks?: boolean;
  /**
   * Use path-style S3 addresses (`http://host/bucket/key`; emulators).
   * @default false
   */
  readonly s3UsePathStyle?: boolean;
}

/** The `aws` provider block. */
export class AwsProvider extends TerraformProvider {
  private readonly props: AwsProviderProps;

  constructor(scope: Construct, id: string, props: AwsProviderProps) {
    super(scope, id, {
      terraformResourceType: 'aws',
      terraformGeneratorMetadata: { providerName: 'aws', providerVersionConstraint: AWS_PROVIDER_VERSION },
      terraformProviderSource: AWS_PROVIDER_SOURCE,
    });
    this.props = props;
  }

  protected synthesizeAttributes(): { [name: string]: any } {
    const p = this.props;
    const skip = p.skipChecks === true;
    return dropUndefined({
      alias: this.alias,
      region: p.region,
      profile: p.profile,
      access_key: p.accessKey,
      secret_key: p.secretKey,
      endpoints: p.endpoints === undefined ? undefined : [{ ...p.endpoints }],
      skip_credentials_validation: skip || undefined,
      skip_metadata_api_check: skip ? 'true' : undefined,
      skip_requesting_account_id: skip || undefined,
      skip_region_validation: skip || undefined,
      s3_use_path_style: p.s3UsePathStyle,
    });
  }
}

/** The same object without its undefined fields (Terraform JSON has no "unset"). */
export function dropUndefined(attributes: { [name: string]: unknown }): { [name: string]: any } {
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));
}
