/**
 * The quickstart example synthesizes; its LB config document (written into the stack's
 * output directory) passes the schema validator and carries the targets, weights, algorithm
 * and persistence the example describes.
 */
import { sha256Hex } from '../../lib/config/hash';
import * as fs from 'fs';
import * as path from 'path';
import { DefaultTokenResolver, StringConcat, Tokenization } from 'cdktf';
import { QuickstartStack, LEGACY_PORT } from '../../examples/quickstart/stack';
import { defaultCookieName } from '../../lib/config/render';
import { LbConfig } from '../../lib/config/types';
import { validateLbConfig } from '../../lib/config/validate';
import { fullSynth, inTemporaryProjectDir, testApp } from './helpers';

describe('examples/quickstart', () => {
  // The quickstart sets no cookie secret: its synth creates the project secret in the working directory.
  const project = inTemporaryProjectDir();
  let outdir: string;
  let stack: QuickstartStack;
  let text: string;
  let doc: LbConfig;

  beforeAll(() => {
    stack = new QuickstartStack(testApp(), 'quickstart');
    outdir = fullSynth(stack);
    text = fs.readFileSync(path.join(outdir, 'stacks', 'quickstart', 'alb', 'web.json'), 'utf8');
    doc = JSON.parse(text);
  });

  it('writes a config document that passes the validator', () => {
    expect(stack.loadBalancer.configFile).toBe('alb/web.json');
    expect(validateLbConfig(doc)).toEqual([]);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.loadBalancer).toEqual({ id: 'web', path: 'quickstart/web', vpcCidr: '127.0.0.0/8' });
  });

  it('places 2 LB nodes in each of the two zones, on different racks', () => {
    expect(doc.nodes).toHaveLength(4);
    for (const zone of ['az-1', 'az-2']) {
      const nodes = doc.nodes.filter((n) => n.zone === zone);
      expect(nodes).toHaveLength(2);
      expect(new Set(nodes.map((n) => n.rack)).size).toBe(2);
    }
    expect(new Set(doc.nodes.map((n) => n.address)).size).toBe(4);
    doc.nodes.forEach((n) => expect(n.address).toMatch(/^127\./));
  });

  it('has one HTTP listener on 8080 with the default HTTP idle timeout, in milliseconds', () => {
    expect(doc.listeners).toEqual([{
      id: 'web/Listeners/http', path: 'quickstart/web/Listeners/http', protocol: 'HTTP', port: 8080, backendService: 'web/BackendServices/web-backend', enabled: true,
      idleTimeoutMs: 60000, limits: { qps: -1, activeConnections: -1 }, tls: null, hsts: null, urlMap: 'web/UrlMaps/site',
    }]);
  });

  it('has a URL map: /ping answered by the LB, /home redirected, /legacy/* to the legacy server alone with its own cookie', () => {
    expect(doc.urlMaps?.map((m) => [m.id, m.rules.map((r) => [r.id, r.path, r.action.type, r.action.backendService])])).toEqual([
      ['web/UrlMaps/site', [['ping', '/ping', 'fixedResponse', null], ['home', '/home', 'redirect', null], ['legacy', '/legacy/*', 'forward', 'web/BackendServices/legacy-backend']]],
    ]);
    const [web, legacy] = doc.backendServices;
    expect(legacy.targets.map((t) => t.port)).toEqual([LEGACY_PORT]);
    expect(legacy.sessionPersistence?.cookieName).not.toBe(web.sessionPersistence?.cookieName);
  });

  it('has a weighted round robin backend with cookie persistence and an HTTP health check on /healthz', () => {
    const [backend] = doc.backendServices;
    expect(doc.backendServices).toHaveLength(2);
    expect(backend.algorithm).toBe('WEIGHTED_ROUND_ROBIN');
    expect(backend.protocol).toBe('HTTP');
    expect(backend.sessionPersistence).toEqual({ cookieName: defaultCookieName('web/BackendServices/web-backend'), cookieTimeoutSeconds: 600 });
    expect(backend.healthCheck).toEqual({
      enabled: true, protocol: 'HTTP', port: 0, intervalMs: 5000, timeoutMs: 3000, healthyThreshold: 3, unhealthyThreshold: 3,
      httpVersion: 'HTTP1.0', httpDomain: null, httpPath: '/healthz', httpCodes: '2xx,3xx',
    });
  });

  it('resolves the targets: 4 AG VMs (weight 10, template port) then the legacy VM as an instance target (weight 20, port 9001)', () => {
    const targets = doc.backendServices[0].targets;
    const vms = stack.app.instances;
    const [legacyVm] = stack.legacy.instances;
    expect(stack.legacy.instances).toHaveLength(1);
    expect(legacyVm.address).toMatch(/^127\.3\.\d+\.1$/); // its own VM and address block, not 127.0.0.1
    expect(targets).toEqual([
      ...vms.map((vm) => ({
        id: `app/${vm.address}:8080`, address: vm.address, port: 8080, weight: 10,
        source: { kind: 'availabilityGroup', path: 'quickstart/app', instance: vm.name },
      })),
      {
        id: `web/ServerGroups/legacy/${legacyVm.address}:${LEGACY_PORT}`, address: legacyVm.address, port: 9001, weight: 20,
        source: { kind: 'serverGroup', path: 'quickstart/web/ServerGroups/legacy', instance: legacyVm.name },
      },
    ]);
    expect(new Set(vms.map((vm) => vm.zone))).toEqual(new Set(['az-1', 'az-2']));
    expect(new Set(vms.map((vm) => vm.rack)).size).toBe(4);
  });

  it('Terraform creates the legacy VM too: app.js on port 9001, in the instance target\'s place, and nothing else', () => {
    const tf = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'quickstart', 'cdk.tf.json'), 'utf8'));
    const agVms = tf.resource.terraform_data.dc_ag_vm.for_each;
    const [legacyVm] = stack.legacy.instances;
    expect(Object.keys(agVms).sort()).toEqual([...stack.app.instances.map((vm) => vm.name), legacyVm.name].sort());
    const start: string = agVms[legacyVm.name].start_command;
    expect(start).toContain(`--address ${legacyVm.address} --port 9001 `);
    expect(start).toMatch(/--command node --arg examples\/quickstart\/app\.js$/);
    expect(tf.output.legacy_vms.value).toEqual([{ name: legacyVm.name, zone: legacyVm.zone, rack: legacyVm.rack, endpoint: `${legacyVm.address}:9001` }]);
    // Its placement is recorded once the deploy has applied, for the next synth to keep it there.
    expect(tf.resource.terraform_data.dc_placement_record.depends_on).toEqual(expect.arrayContaining(['terraform_data.dc_ag_vm', 'terraform_data.dc_lb_config']));
  });

  it('the configHash token resolves to the SHA-256 of the written file', () => {
    const hash = Tokenization.resolve(stack.loadBalancer.configHash, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
    expect(hash).toBe(sha256Hex(text));
  });

  it('the cookie secret comes from the project secret: stable across synths, not a constant', () => {
    const again = new QuickstartStack(testApp(), 'quickstart');
    expect(JSON.parse(again.loadBalancer.synthesizeConfig()).cookieSecret).toBe(doc.cookieSecret);
    expect(doc.cookieSecret).toMatch(/^[0-9a-f]{64}$/);
    const projectSecret = fs.readFileSync(path.join(project.dir(), '.cdktf-alb', 'secret'), 'utf8').trim();
    expect(doc.cookieSecret).not.toContain(projectSecret);
  });
});
