/**
 * `cdktf synth|deploy` entry point of the AWS example:
 *   npx cdktf deploy --app "npx ts-node --transpile-only -P tsconfig.dev.json examples/aws/main.ts"
 * Settings come from examples/aws/settings.json (copy settings.example.json), or the file
 * named by ALB_AWS_SETTINGS.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { AwsExampleSettings, AwsExampleStack } from './stack';

const file = process.env.ALB_AWS_SETTINGS ?? path.join(__dirname, 'settings.json');
if (!fs.existsSync(file)) {
  process.stderr.write(`examples/aws: ${file} is missing: copy examples/aws/settings.example.json to it and fill in your VPC and subnets\n`);
  process.exit(2);
}
const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as AwsExampleSettings;
const app = new App();
new AwsExampleStack(app, 'aws-example', settings);
app.synth();
