/** examples/aws synthesizes from its settings.example.json: the stack a real account gets. */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { AwsExampleSettings, AwsExampleStack } from '../../../examples/aws/stack';
import { inTemporaryProjectDir, testApp } from '../helpers';

const SETTINGS = path.join(__dirname, '../../../examples/aws/settings.example.json');

// The example derives its cookie secret from the project secret, created in the working directory.
inTemporaryProjectDir();

test('examples/aws: 4 LB nodes and 6 AG VMs over 2 zones × 3 partitions, program files and config as S3 objects', () => {
  const settings = JSON.parse(fs.readFileSync(SETTINGS, 'utf8')) as AwsExampleSettings;
  const stack = new AwsExampleStack(testApp(), 'aws-example', settings);
  const json = JSON.parse(Testing.synth(stack));
  const instances = Object.values(json.resource.aws_instance) as any[];
  expect(instances).toHaveLength(10);
  expect(new Set(instances.map((i) => `${i.tags['alb:zone']}/${i.placement_partition_number}`)).size).toBe(6);
  expect(instances.filter((i) => i.associate_public_ip_address === true)).toHaveLength(4);
  // EC2 takes at most 16 KiB of user data.
  for (const i of instances) expect(Buffer.byteLength(i.user_data)).toBeLessThan(16 * 1024);
  expect(Object.values(json.resource.aws_placement_group)).toMatchObject([{ strategy: 'partition', partition_count: 3 }]);
  const keys = (Object.values(json.resource.aws_s3_object) as any[]).map((o) => o.key.replace(/^cdktf-alb\/[0-9a-f]{12}\//, '')).sort();
  expect(keys).toEqual(['configs/web.json', 'program.zip', 'runtime/alb-runtime.js']);
  // The image defaults to Amazon Linux 2023's SSM parameter.
  expect(Object.values(json.data.aws_ssm_parameter)).toMatchObject([{ name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' }]);
  expect(json.provider.aws[0]).toMatchObject({ region: 'eu-west-1', profile: 'default' });
  expect(Object.keys(json.output).sort()).toEqual(['app_vms', 'web_endpoints', 'web_nodes']);
});
