/**
 * `terraform apply` and `destroy` of an AwsInfrastructure stack against moto_server on
 * 127.0.0.1 (EC2, S3, IAM, STS, SSM emulated; every provider endpoint points there, so
 * nothing reaches AWS). rackSpread is off: moto has no placement groups. Asserts, through the
 * EC2 API, that the instances exist with their zones' subnets, planned addresses, tags and
 * user data, that the objects are in the bucket, and that destroy terminates them. The
 * placement record: written by the apply, kept by an apply that fails, and what keeps every
 * existing instance when a group is declared first and another scaled down (one plan);
 * destroy forgets it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Ec2Subnet, Ec2Vpc } from '../../../constructs/infrastructure/aws/resources';
import { ListenerProtocol } from '../../../index';
import { MIRROR_ABSENT_MESSAGE, MIRROR_PRESENT, WorldGroups, ZONES, awsWorld, synthStack, tempDir, terraform, terraformEnv } from '../../constructs/aws/world';
import { Moto, awsCli, awsCliAvailable, motoAvailable, startMoto } from './moto';

const READY = MIRROR_PRESENT && motoAvailable() && awsCliAvailable();
const maybe = READY ? describe : describe.skip;
if (!READY) {
  test.skip(MIRROR_PRESENT ? 'skipped: moto_server or the aws CLI is not installed (python3 moto 5.2.1, awscli)' : MIRROR_ABSENT_MESSAGE, () => undefined);
}

/** moto's catalogue has this AMI (an unknown id is refused by RunInstances). */
const MOTO_AMI = 'ami-12c6146b';

maybe('AwsInfrastructure: terraform apply and destroy against moto_server (rackSpread off)', () => {
  let moto: Moto;
  let tmp: { dir: string; remove: () => void };
  let stackDir = '';
  let env: NodeJS.ProcessEnv;
  let applied = false;

  let placementFile = '';

  /** Synthesizes the stack (into the same directory each time); `extraListener` changes the LB config. */
  function synth(extraListener: boolean, groups: WorldGroups = {}): string {
    const w = awsWorld({ outdir: path.join(tmp.dir, 'cdktf.out'), endpointPort: moto.port, rackSpread: false, image: MOTO_AMI, placementFile, ...groups }, (stack) => {
      const vpc = new Ec2Vpc(stack, 'net', { cidrBlock: '10.20.0.0/16', tags: { Name: 'alb-moto' } });
      const subnets = ZONES.map((z, i) => new Ec2Subnet(stack, `subnet-${i}`, { vpcId: vpc.attr('id'), cidrBlock: z.subnetCidr, availabilityZone: z.availabilityZone }));
      return { vpcId: vpc.attr('id'), subnetIds: subnets.map((s) => s.attr('id')) };
    });
    if (extraListener) w.lb.addListener('alt', { protocol: ListenerProtocol.HTTP, port: 8081, backendService: w.lb.backendServices[0] });
    return synthStack(w);
  }

  beforeAll(async () => {
    tmp = tempDir('alb-aws-moto-');
    placementFile = path.join(tmp.dir, 'placement.json');
    moto = await startMoto(path.join(tmp.dir, 'moto.log'));
    stackDir = synth(false);
    env = terraformEnv(tmp.dir);
    terraform(stackDir, env, ['init', '-input=false', '-no-color']);
    terraform(stackDir, env, ['apply', '-input=false', '-no-color', '-auto-approve'], 400_000);
    applied = true;
  }, 600_000);

  afterAll(async () => {
    try {
      if (applied) terraform(stackDir, env, ['destroy', '-input=false', '-no-color', '-auto-approve'], 300_000);
    } finally {
      await moto?.stop();
      tmp?.remove();
    }
  }, 400_000);

  function instances(): any[] {
    const out = JSON.parse(awsCli(moto, ['ec2', 'describe-instances', '--filters', 'Name=tag:alb:infrastructure,Values=aws/cloud', '--output', 'json']));
    return out.Reservations.flatMap((r: any) => r.Instances);
  }

  const tag = (i: any, key: string) => (i.Tags as { Key: string; Value: string }[]).find((t) => t.Key === key)?.Value;

  test('every VM is a running instance in its zone\'s subnet at its planned address, tagged, without a placement group', () => {
    const subnets = JSON.parse(awsCli(moto, ['ec2', 'describe-subnets', '--output', 'json'])).Subnets as any[];
    const subnetOf = (zone: string) => subnets.find((s) => s.AvailabilityZone === zone && s.CidrBlock === ZONES.find((z) => z.availabilityZone === zone)?.subnetCidr)?.SubnetId;
    const running = instances().filter((i) => i.State.Name === 'running');
    expect(running).toHaveLength(10);
    const state = JSON.parse(terraform(stackDir, env, ['show', '-json']));
    const planned = (state.values.root_module.resources as any[]).filter((r) => r.type === 'aws_instance');
    for (const i of running) {
      const zone = tag(i, 'alb:zone') as string;
      expect(i.SubnetId).toBe(subnetOf(zone));
      expect(i.Placement.AvailabilityZone).toBe(zone);
      expect(i.Placement.GroupName ?? '').toBe('');
      expect(i.ImageId).toBe(MOTO_AMI);
      expect(tag(i, 'alb:rack')).toBe(`${zone}-p1`);
      expect(tag(i, 'project')).toBe('cdktf-alb-test');
      const mine = planned.find((r) => r.values.id === i.InstanceId);
      expect(i.PrivateIpAddress).toBe(mine.values.private_ip);
      expect(tag(i, 'Name')).toBe(mine.values.tags.Name);
    }
    const roles = running.map((i) => `${tag(i, 'alb:group')}:${tag(i, 'alb:role')}`).sort();
    expect(roles.filter((r) => r === 'web:lb-node')).toHaveLength(4);
    expect(roles.filter((r) => r === 'app:ag-vm')).toHaveLength(6);
  });

  test('each instance carries its user data: the VM, its role and the bucket and keys to install from', () => {
    const buckets = JSON.parse(awsCli(moto, ['s3api', 'list-buckets', '--output', 'json'])).Buckets as { Name: string }[];
    const bucket = buckets.map((b) => b.Name).find((n) => n.startsWith('cdktf-alb-')) as string;
    expect(bucket).toBeDefined();
    for (const i of instances().filter((x) => x.State.Name === 'running')) {
      const attr = JSON.parse(awsCli(moto, ['ec2', 'describe-instance-attribute', '--instance-id', i.InstanceId, '--attribute', 'userData', '--output', 'json']));
      const script = Buffer.from(attr.UserData.Value, 'base64').toString('utf8');
      expect(script.startsWith('#!/bin/bash\n')).toBe(true);
      expect(script).toContain(`ALB_VM=${tag(i, 'Name')}\n`);
      expect(script).toContain(`ALB_ROLE=${tag(i, 'alb:role')}\n`);
      expect(script).toContain(`ALB_ADDRESS=${i.PrivateIpAddress}\n`);
      expect(script).toContain(`ALB_BUCKET="${bucket}"\n`);
      // Rendered by Terraform: the escaped `$${` became the shell's `${`.
      expect(script).toContain('ROOT="${ALB_ROOT:-}"');
      if (tag(i, 'alb:role') === 'lb-node') expect(script).toMatch(/ALB_CONFIG_KEY=cdktf-alb\/[0-9a-f]{12}\/configs\/web\.json\n/);
    }
    const keys = (JSON.parse(awsCli(moto, ['s3api', 'list-objects-v2', '--bucket', bucket, '--output', 'json'])).Contents as { Key: string }[]).map((o) => o.Key).sort();
    expect(keys.map((k) => k.replace(/^cdktf-alb\/[0-9a-f]{12}\//, ''))).toEqual(['configs/web.json', 'runtime/alb-runtime.js']);
  });

  /** The planned changes of the current synth, as `type.name:actions` (no-ops left out). */
  function plannedChanges(): string[] {
    terraform(stackDir, env, ['plan', '-input=false', '-no-color', '-out=change.tfplan']);
    const plan = JSON.parse(terraform(stackDir, env, ['show', '-json', 'change.tfplan']));
    return (plan.resource_changes as { address: string; change: { actions: string[] } }[])
      .filter((r) => !r.change.actions.every((a) => a === 'no-op' || a === 'read'))
      .map((r) => `${r.address}:${r.change.actions.join('+')}`).sort();
  }

  test('a config change updates the config object in place and replaces no instance', () => {
    const before = instances().filter((i) => i.State.Name === 'running').map((i) => i.InstanceId).sort();
    // moto does not report an instance's security groups back, so the provider plans to add
    // them again on every plan: that drift is the baseline, the same with and without the change.
    synth(false);
    const baseline = plannedChanges();
    expect(baseline.filter((c) => c.includes('delete'))).toEqual([]);
    synth(true);
    const changes = plannedChanges();
    expect(changes.filter((c) => c.includes('delete'))).toEqual([]);
    // The config object and the security group (a rule for the new listener's port), nothing else.
    expect(changes.filter((c) => !baseline.includes(c)).map((c) => c.replace(/^(\w+)\.[^:]+/, '$1'))).toEqual(['aws_s3_object:update', 'aws_security_group:update']);
    terraform(stackDir, env, ['apply', '-input=false', '-no-color', 'change.tfplan'], 300_000);
    expect(instances().filter((i) => i.State.Name === 'running').map((i) => i.InstanceId).sort()).toEqual(before);
  }, 300_000);

  const running = () => new Map(instances().filter((i) => i.State.Name === 'running').map((i) => [tag(i, 'Name') as string, i]));
  const synthesizedRecord = () => fs.readFileSync(path.join(stackDir, 'alb', 'placement-cloud.json'), 'utf8');

  test('placement record: a group declared first and another scaled down replace no existing instance; a failed apply keeps the old record', () => {
    // beforeAll's apply recorded its placement.
    const recorded = fs.readFileSync(placementFile, 'utf8');
    expect(JSON.parse(recorded).groups.map((g: any) => [g.name, g.vms.length])).toEqual([['web', 4], ['app', 6]]);
    const before = running();

    synth(false, { apiFirst: true, appCount: 4 });
    const changes = plannedChanges().filter((c) => c.startsWith('aws_instance.'));
    // The two new `api` VMs and the two `app` VMs that go (indices 4 and 5); no instance replaced
    // (an in-place update is moto's security-group drift, see above).
    expect(changes.filter((c) => c.includes('delete') && c.includes('create'))).toEqual([]);
    expect(changes.filter((c) => c.endsWith(':create')).map((c) => c.replace(/^aws_instance\.cloud_(\w+)-.*$/, '$1'))).toEqual(['api', 'api']);
    expect(changes.filter((c) => c.endsWith(':delete')).map((c) => /^aws_instance\.cloud_(app-.*-\d+):delete$/.exec(c)?.[1].replace(/^.*-/, ''))).toEqual(['4', '5']);

    // The apply fails (the LB config object's file is gone): the record stays the last applied one.
    fs.rmSync(path.join(stackDir, 'alb', 'web.json'));
    expect(() => terraform(stackDir, env, ['apply', '-input=false', '-no-color', 'change.tfplan'], 300_000)).toThrow(/web\.json/);
    expect(fs.readFileSync(placementFile, 'utf8')).toBe(recorded);

    // Applied in full: the record is this synth's; web's and app's remaining instances are the same instances.
    synth(false, { apiFirst: true, appCount: 4 });
    terraform(stackDir, env, ['apply', '-input=false', '-no-color', '-auto-approve'], 300_000);
    expect(fs.readFileSync(placementFile, 'utf8')).toBe(synthesizedRecord());
    const after = running();
    expect([...after.keys()].filter((name) => name.startsWith('api-'))).toHaveLength(2);
    for (const [name, i] of before) {
      if (/^app-.*-[45]$/.test(name)) {
        expect(after.has(name)).toBe(false);
      } else {
        expect([name, after.get(name)?.InstanceId, after.get(name)?.PrivateIpAddress]).toEqual([name, i.InstanceId, i.PrivateIpAddress]);
      }
    }
  }, 600_000);

  test('destroy terminates every instance and forgets the placement record', () => {
    terraform(stackDir, env, ['destroy', '-input=false', '-no-color', '-auto-approve'], 300_000);
    applied = false;
    expect(instances().filter((i) => i.State.Name !== 'terminated')).toEqual([]);
    expect(fs.existsSync(placementFile)).toBe(false);
  }, 400_000);
});
