/** AwsInfrastructure at synth: props validation messages, placement (zone = subnet, rack = partition), user data. */
import { Lazy, TerraformStack, Testing } from 'cdktf';
import * as path from 'path';
import { AvailabilityGroup, AwsInfrastructure, AwsInfrastructureProps, MachineTemplate, Vpc } from '../../../index';
import { reported, testApp, thrown } from '../helpers';
import { awsWorld } from './world';

const BASE: AwsInfrastructureProps = {
  zones: [
    { availabilityZone: 'eu-west-1a', subnetId: 'subnet-0123456789abcdef0', subnetCidr: '10.0.1.0/24' },
    { availabilityZone: 'eu-west-1b', subnetId: 'subnet-0123456789abcdef1', subnetCidr: '10.0.2.0/24' },
  ],
  vpcId: 'vpc-0123456789abcdef0',
};

/** What synth reports for an infrastructure with these props (wrong props are recorded, not thrown). */
function reportedFor(props: Partial<AwsInfrastructureProps>): string {
  const stack = new TerraformStack(testApp(), 'stack');
  return reported({ stack }, () => new AwsInfrastructure(stack, 'cloud', { ...BASE, ...props }));
}

describe('AwsInfrastructure props validation (construct path, field, value, allowed)', () => {
  test.each([
    [{ zones: [] }, 'stack/cloud: zones [] is empty; allowed: at least one { availabilityZone, subnetId, subnetCidr }'],
    [{ zones: [{ ...BASE.zones[0], availabilityZone: 'europe' }] }, 'stack/cloud: zones[0].availabilityZone "europe" is not an availability zone name; allowed: a literal zone name such as "eu-west-1a"'],
    [{ zones: [BASE.zones[0], BASE.zones[0]] }, 'stack/cloud: zones[1].availabilityZone "eu-west-1a" is listed twice; allowed: each availability zone once'],
    [{ zones: [{ ...BASE.zones[0], subnetId: 'sn-1' }] }, 'stack/cloud: zones[0].subnetId "sn-1" is not a subnet id; allowed: "subnet-" and 8..17 hex digits, or a token such as a subnet resource\'s id'],
    [{ zones: [{ ...BASE.zones[0], subnetCidr: '10.0.1.7/24' }] }, 'stack/cloud: zones[0].subnetCidr "10.0.1.7/24" is not a subnet CIDR block; allowed: an IPv4 block /16../28 with zero host bits, as AWS allows for subnets'],
    [{ zones: [{ ...BASE.zones[0], racks: 8 }] }, 'stack/cloud: zones[0].racks 8 is not a partition count; allowed: an integer 1..7'],
    [{ rackSpread: false, zones: [{ ...BASE.zones[0], racks: 3 }] }, 'stack/cloud: zones[0].racks 3 needs rackSpread (partitions of a placement group are the racks); allowed: 1 or left out when rackSpread is false'],
    [{ instanceType: 'large' }, 'stack/cloud: instanceType "large" is not an instance type; allowed: a family and size such as "t3.small" or "c7g.large"'],
    [{ image: 'ubuntu' }, 'stack/cloud: image "ubuntu" is neither an AMI id nor an SSM parameter name; allowed: "ami-" and 8..17 hex digits, or a parameter name starting with "/"'],
    [{ vpcId: undefined }, 'stack/cloud: vpcId undefined is needed for the generated security group; allowed: a VPC id ("vpc-" and 8..17 hex digits, or a token), or give securityGroupIds'],
    [{ securityGroupIds: ['default'] }, 'stack/cloud: securityGroupIds[0] "default" is not a security group id; allowed: "sg-" and 8..17 hex digits, or a token'],
    [{ securityGroupIds: [] }, 'stack/cloud: securityGroupIds [] is not a list of 1..5 groups; allowed: 1..5 security group ids, or leave it out for a generated group'],
    [{ addressOffset: 2 }, 'stack/cloud: addressOffset 2 is not a host offset past the four addresses AWS reserves; allowed: an integer 4..65000'],
    [{ syncIntervalSeconds: 1 }, 'stack/cloud: syncIntervalSeconds 1 is not a polling interval in seconds; allowed: an integer 5..3600'],
    [{ tags: { 'alb:zone': 'x' } }, 'stack/cloud: tags key "alb:zone" is not a tag key this infrastructure leaves to you; allowed: 1..128 characters, not starting with "aws:" or "alb:", not "Name"'],
    [{ zones: [BASE.zones[0], { ...BASE.zones[1], availabilityZone: 'us-east-1b' }] }, 'stack/cloud: zones ["eu-west-1a","us-east-1b"] span the regions eu-west-1, us-east-1; allowed: availability zones of one region'],
  ])('%j', (props, message) => {
    expect(reportedFor(props as Partial<AwsInfrastructureProps>).split('\n')).toContain(message);
  });

  test('a literal subnet CIDR is required: a token cannot be planned from', () => {
    const token = Lazy.stringValue({ produce: () => '10.0.1.0/24' });
    expect(reportedFor({ zones: [{ ...BASE.zones[0], subnetCidr: token }] }))
      .toContain('stack/cloud: zones[0].subnetCidr "<token>" is an unresolved Terraform token; allowed: a literal value (VM addresses are planned at synth)');
  });

  test('a group that does not fit its block or subnet fails naming the field', () => {
    const stack = new TerraformStack(testApp(), 'stack');
    const infra = new AwsInfrastructure(stack, 'cloud', { ...BASE, addressesPerGroup: 2 });
    expect(thrown(() => infra.placeGroup({ name: 'big', role: 'ag-vm' as any, count: 6 })))
      .toContain('stack/cloud: addressesPerGroup 2 is too small for group "big" (more VMs in zone eu-west-1a); allowed: at least the VMs one group has in one zone');
    const small = new AwsInfrastructure(stack, 'small', { ...BASE, zones: [{ ...BASE.zones[0], subnetCidr: '10.0.1.0/28' }] });
    expect(thrown(() => small.placeGroup({ name: 'g', role: 'ag-vm' as any, count: 12 })))
      .toContain('stack/small: subnetCidr of eu-west-1a "10.0.1.0/28" has no host offset 15 for VM g-eu-west-1a-');
  });
});

describe('AwsInfrastructure placement', () => {
  test('zones are availability zones, racks are partitions 1..racks; addresses come from each zone\'s subnet', () => {
    const w = awsWorld();
    expect(w.infra.zones).toEqual([
      { name: 'us-east-1a', racks: ['us-east-1a-p1', 'us-east-1a-p2', 'us-east-1a-p3'] },
      { name: 'us-east-1b', racks: ['us-east-1b-p1', 'us-east-1b-p2', 'us-east-1b-p3'] },
    ]);
    const web = w.infra.placedVms.filter((vm) => vm.group === 'web');
    expect(web.map((vm) => vm.address).sort()).toEqual(['10.20.1.10', '10.20.1.11', '10.20.2.10', '10.20.2.11']);
    const app = w.infra.placedVms.filter((vm) => vm.group === 'app');
    expect(app.map((vm) => vm.address).sort()).toEqual(['10.20.1.26', '10.20.1.27', '10.20.1.28', '10.20.2.26', '10.20.2.27', '10.20.2.28']);
    // The LB config names the AG VMs by those addresses.
    const config = JSON.parse((w.lb as any).synthesizeConfig());
    expect(JSON.stringify(config)).toContain('10.20.2.28');
  });

  test('rackSpread off: no placement group, no partition, one rack per zone', () => {
    const w = awsWorld({ rackSpread: false });
    const json = JSON.parse(Testing.synth(w.stack));
    expect(json.resource.aws_placement_group).toBeUndefined();
    const instances = Object.values(json.resource.aws_instance) as any[];
    expect(instances).toHaveLength(10);
    for (const i of instances) {
      expect(i.placement_group).toBeUndefined();
      expect(i.placement_partition_number).toBeUndefined();
    }
  });

  test('user data names the bucket and keys, never the config hash: a config change updates only the S3 object', () => {
    const synthFor = (port: number) => {
      const w = awsWorld();
      w.lb.addListener('extra', { protocol: 'HTTP' as any, port, backendService: w.lb.backendServices[0] });
      return JSON.parse(Testing.synth(w.stack));
    };
    const a = synthFor(8081);
    const b = synthFor(8082);
    const objects = (j: any) => Object.values(j.resource.aws_s3_object) as any[];
    const configHash = (j: any) => objects(j).find((o) => o.key.includes('/configs/')).source_hash;
    expect(configHash(a)).not.toEqual(configHash(b));
    const userData = (j: any) => Object.fromEntries(Object.entries(j.resource.aws_instance).map(([k, v]: [string, any]) => [k, v.user_data]));
    expect(userData(a)).toEqual(userData(b));
  });
});

describe('AwsInfrastructure files and image', () => {
  test("a template's files directory ships as its own zip; a file is refused naming the group, field and value", () => {
    const w = awsWorld();
    const vpc = w.stack.node.findChild('vpc') as Vpc;
    new AvailabilityGroup(w.stack, 'docs', {
      infrastructure: w.infra, vpc, instanceCount: 2,
      template: MachineTemplate.command({ command: 'node', args: ['app.js'], port: 8081, files: path.join(__dirname, '../../../examples/quickstart') }),
    });
    const json = JSON.parse(Testing.synth(w.stack));
    const objects = Object.values(json.resource.aws_s3_object) as any[];
    const zip = objects.find((o) => o.key.endsWith('/program.zip'));
    expect(zip).toBeDefined();
    const docsVm = Object.values(json.resource.aws_instance).find((i: any) => i.tags['alb:group'] === 'docs') as any;
    expect(docsVm.user_data).toContain(zip.key);
    expect(thrown(() => new AvailabilityGroup(w.stack, 'single', {
      infrastructure: w.infra, vpc, instanceCount: 2,
      template: MachineTemplate.command({ command: 'node', args: ['app.js'], port: 8082, files: path.join(__dirname, '../../../examples/quickstart/app.js') }),
    }))).toContain('aws/single: template.files "' + path.resolve(__dirname, '../../../examples/quickstart/app.js') + '" is not a directory (aws/cloud ships program files as a zip); allowed: a directory of program files on AwsInfrastructure');
  });

  test('a programDir that is not a directory fails naming the field', () => {
    expect(thrown(() => awsWorld({ programDir: '/nonexistent/program' })))
      .toContain('aws/cloud: programDir "/nonexistent/program" is not a directory; allowed: a directory of program files');
  });

  test('an SSM parameter image is read by a data source and used as every instance\'s AMI', () => {
    const w = awsWorld({ image: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64', instanceType: 'c7g.large' });
    const json = JSON.parse(Testing.synth(w.stack));
    const [[name, data]] = Object.entries(json.data.aws_ssm_parameter) as [string, any][];
    expect(data.name).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64');
    for (const i of Object.values(json.resource.aws_instance) as any[]) {
      expect(i.ami).toBe(`\${data.aws_ssm_parameter.${name}.insecure_value}`);
      expect(i.instance_type).toBe('c7g.large');
    }
  });
});
