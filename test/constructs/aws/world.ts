/**
 * A small AWS world for the AwsInfrastructure tests: a stack with the aws provider aimed at
 * 127.0.0.1 only (never at AWS), two availability zones, an LB with an HTTP listener and an
 * availability group behind it; and Terraform run offline from the provider mirror.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import {
  AvailabilityGroup, AwsInfrastructure, AwsInfrastructureProps, AwsProvider, BackendProtocol, ListenerProtocol, LoadBalancer,
  MachineTemplate, Vpc,
} from '../../../index';
import { TEST_COOKIE_SECRET, testApp } from '../helpers';

/** Where the machine image keeps the hashicorp/aws provider (CI uses the same image). */
export const PROVIDER_MIRROR = '/opt/tf-plugins';
export const MIRROR_PRESENT = fs.existsSync(path.join(PROVIDER_MIRROR, 'registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64'));
export const MIRROR_ABSENT_MESSAGE = `skipped: no hashicorp/aws 5.100.0 provider mirror at ${PROVIDER_MIRROR} (terraform cannot init offline)`;

/** Every service endpoint the provider may call for these resources, all on 127.0.0.1. */
export function localEndpoints(port: number): { [service: string]: string } {
  const url = `http://127.0.0.1:${port}`;
  return Object.fromEntries(['ec2', 's3', 'iam', 'sts', 'ssm', 'autoscaling', 'elbv2'].map((s) => [s, url]));
}

export const ZONES = [
  { availabilityZone: 'us-east-1a', subnetCidr: '10.20.1.0/24' },
  { availabilityZone: 'us-east-1b', subnetCidr: '10.20.2.0/24' },
];

export interface AwsWorld {
  app: App;
  stack: TerraformStack;
  infra: AwsInfrastructure;
  lb: LoadBalancer;
  ag: AvailabilityGroup;
}

/** Changes to the example's groups (the placement-record tests). */
export interface WorldGroups {
  /** VMs of `app`. @default 6 */
  appCount?: number;
  /** Declare an availability group `api` (2 VMs, behind no LB) before every other group. */
  apiFirst?: boolean;
}

/**
 * The example stack: LB `web` (2 nodes per zone) with listener `http` on 80, availability
 * group `app` (6 VMs) on 8080. `subnetIds` default to literal ids; the moto test passes
 * references to subnets of its own.
 */
export function awsWorld(props: Partial<AwsInfrastructureProps> & WorldGroups & { endpointPort?: number; subnetIds?: string[]; vpcId?: string; outdir?: string } = {}, build?: (stack: TerraformStack) => { subnetIds: string[]; vpcId: string }): AwsWorld {
  const app = props.outdir ? new App({ outdir: props.outdir, skipValidation: false }) : testApp();
  const stack = new TerraformStack(app, 'aws');
  // State beside the synthesized stack (Terraform's working directory), never in the project.
  new LocalBackend(stack, { path: 'terraform.tfstate' });
  new AwsProvider(stack, 'aws', {
    region: 'us-east-1', accessKey: 'testing', secretKey: 'testing', skipChecks: true, s3UsePathStyle: true,
    endpoints: localEndpoints(props.endpointPort ?? 9),
  });
  const built = build?.(stack);
  const subnetIds = built?.subnetIds ?? props.subnetIds ?? ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'];
  const { endpointPort, subnetIds: _s, outdir: _o, appCount, apiFirst, ...infraProps } = props;
  const infra = new AwsInfrastructure(stack, 'cloud', {
    zones: ZONES.map((z, i) => ({ ...z, subnetId: subnetIds[i], racks: props.rackSpread === false ? undefined : 3 })),
    vpcId: built?.vpcId ?? props.vpcId ?? 'vpc-0a1b2c3d4e5f60000',
    image: 'ami-0123456789abcdef0',
    instanceType: 't3.micro',
    tags: { project: 'cdktf-alb-test' },
    ...infraProps,
  });
  const vpc = new Vpc(stack, 'vpc', { cidrBlock: '10.20.0.0/16' });
  const template = MachineTemplate.command({ command: 'node', args: ['server.js'], port: 8080 });
  if (apiFirst) new AvailabilityGroup(stack, 'api', { infrastructure: infra, vpc, instanceCount: 2, template });
  const lb = new LoadBalancer(stack, 'web', { infrastructure: infra, vpc, cookieSecret: TEST_COOKIE_SECRET });
  const ag = new AvailabilityGroup(stack, 'app', {
    infrastructure: infra, vpc, instanceCount: appCount ?? 6, template,
  });
  const backend = lb.addBackendService('site', { protocol: BackendProtocol.HTTP, port: 8080 });
  backend.addAvailabilityGroup(ag);
  lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
  return { app, stack, infra, lb, ag };
}

/** A Terraform CLI config that installs hashicorp/aws from the mirror only (no network). */
export function terraformEnv(dir: string): NodeJS.ProcessEnv {
  const file = path.join(dir, 'terraformrc');
  fs.writeFileSync(file, `provider_installation {
  filesystem_mirror {
    path    = "${PROVIDER_MIRROR}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`);
  const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: file, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  // Credentials only from the stack's provider block: nothing of the caller's leaks in.
  for (const key of Object.keys(env)) if (key.startsWith('AWS_') || key.startsWith('TF_VAR_')) delete env[key];
  return env;
}

/** Runs terraform in dir; throws with its output on failure. */
export function terraform(dir: string, env: NodeJS.ProcessEnv, args: string[], timeoutMs = 300_000): string {
  try {
    return execFileSync('terraform', args, { cwd: dir, env, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`terraform ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** A temp dir removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The synthesized stack directory of the world's stack. */
export function synthStack(w: AwsWorld): string {
  w.app.synth();
  return path.join(w.app.outdir, 'stacks', w.stack.node.id);
}
