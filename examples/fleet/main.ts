/**
 * `cdktf deploy` entry point of the fleet example (README: "Deploying onto SSH hosts"):
 *
 *   FLEET_HOSTS     hosts.json of `npm run fleet -- up N` (default /run/cdktf-alb-fleet/albf/hosts.json)
 *   FLEET_TFSTATE   Terraform state file (default terraform.fleet.tfstate in the project dir)
 *   FLEET_LEGACY_WEIGHT, FLEET_PLACEMENT_FILE, FLEET_NODE_COMMAND, FLEET_CONNECT_TIMEOUT,
 *   FLEET_LISTENER_PORT (8080), FLEET_APP_PORT (8081), FLEET_ADMIN_PORT (9900),
 *   FLEET_EXTRA_LISTENER_PORT (a second listener; the e2e test's port clash),
 *   FLEET_RUNTIME_BUNDLE (another runtime bundle: rolled node by node),
 *   FLEET_VIP (the LB's virtual IP, e.g. 10.231.0.100: keepalived on every node)
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { FleetDocument, FleetStack } from './stack';

function num(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`examples/fleet: ${name}=${value} is not an integer`);
  return n;
}

const hostsFile = process.env.FLEET_HOSTS || '/run/cdktf-alb-fleet/albf/hosts.json';
if (!fs.existsSync(hostsFile)) throw new Error(`examples/fleet: ${hostsFile} does not exist; make a fleet first: npm run fleet -- up 8`);
const fleet = JSON.parse(fs.readFileSync(hostsFile, 'utf8')) as FleetDocument;

const app = new App();
new FleetStack(app, 'fleet', {
  fleet,
  legacyWeight: num('FLEET_LEGACY_WEIGHT', 20),
  listenerPort: num('FLEET_LISTENER_PORT', 8080),
  appPort: num('FLEET_APP_PORT', 8081),
  adminPort: num('FLEET_ADMIN_PORT', 9900),
  tfState: path.resolve(process.env.FLEET_TFSTATE || 'terraform.fleet.tfstate'),
  placementFile: process.env.FLEET_PLACEMENT_FILE || undefined,
  nodeCommand: process.env.FLEET_NODE_COMMAND || undefined,
  connectTimeoutSeconds: process.env.FLEET_CONNECT_TIMEOUT ? num('FLEET_CONNECT_TIMEOUT', 20) : undefined,
  runtimeBundle: process.env.FLEET_RUNTIME_BUNDLE || undefined,
  vip: process.env.FLEET_VIP || undefined,
  extraListenerPort: process.env.FLEET_EXTRA_LISTENER_PORT ? num('FLEET_EXTRA_LISTENER_PORT', 0) : undefined,
});
app.synth();
