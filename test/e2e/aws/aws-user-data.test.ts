/**
 * The user data of AwsInfrastructure VMs, run for real on this machine: the synthesized
 * scripts (as Terraform renders them) run with bash under a temp root (ALB_ROOT), against
 * moto_server on 127.0.0.1 as the S3 stand-in (ALB_S3_ENDPOINT), with processes started as
 * daemons instead of systemd units (ALB_SYSTEMD=0). The subnet is a loopback block, so the
 * VMs' planned addresses are loopback addresses this machine can bind.
 *
 * The AG VM's script unpacks the program zip and runs it; the LB node's script fetches the
 * runtime and its config and starts the node, which serves the AG VM. Then a changed config
 * object reaches the running node through alb-sync (what alb-sync.timer runs): same pid, new
 * config served; a broken config object is refused and the node keeps serving.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import {
  AvailabilityGroup, AwsInfrastructure, AwsProvider, BackendProtocol, ListenerProtocol, LoadBalancer, MachineTemplate, Vpc,
} from '../../../index';
import { pidAlive, terminateGroup } from '../../../lib/process/supervision';
import { TEST_COOKIE_SECRET } from '../../constructs/helpers';
import { localEndpoints, tempDir } from '../../constructs/aws/world';
import { eventually, freePorts } from '../harness';
import { Moto, awsCli, awsCliAvailable, motoAvailable, startMoto } from './moto';

const READY = motoAvailable() && awsCliAvailable();
const maybe = READY ? describe : describe.skip;
if (!READY) test.skip('skipped: moto_server or the aws CLI is not installed (python3 moto 5.2.1, awscli)', () => undefined);

const BUCKET = 'alb-user-data-test';

interface Synth {
  dir: string;
  json: any;
}

/** GET / on address:port; the body. */
function body(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Terraform's rendering of a literal template string: `$${` → `${`, `%%{` → `%{`. */
function rendered(template: string): string {
  return template.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

maybe('AwsInfrastructure user data, run for real with an S3 stand-in', () => {
  let moto: Moto;
  let tmp: { dir: string; remove: () => void };
  let root: string;
  let ports: { listener: number; admin: number; app: number; v2: number };
  let subnet: string;
  let v2Server: http.Server;
  const started: number[] = [];
  let scriptEnv: NodeJS.ProcessEnv;

  /** Synthesizes the stack: version 1 sends traffic to the AG VM, version 2 to the test's own server. */
  function synth(version: 1 | 2): Synth {
    const app = new App({ outdir: path.join(tmp.dir, `out-v${version}`) });
    const stack = new TerraformStack(app, 'aws');
    new LocalBackend(stack, { path: 'terraform.tfstate' });
    new AwsProvider(stack, 'aws', { region: 'us-east-1', skipChecks: true, endpoints: localEndpoints(9) });
    const infra = new AwsInfrastructure(stack, 'cloud', {
      zones: [{ availabilityZone: 'us-east-1a', subnetId: 'subnet-0123456789abcdef0', subnetCidr: subnet }],
      rackSpread: false, bucket: BUCKET, securityGroupIds: ['sg-0123456789abcdef0'], instanceProfile: 'alb-test',
      image: 'ami-0123456789abcdef0', programDir: path.join(tmp.dir, 'program'), syncIntervalSeconds: 5,
    });
    const vpc = new Vpc(stack, 'vpc', { cidrBlock: '127.0.0.0/8' });
    const lb = new LoadBalancer(stack, 'web', { infrastructure: infra, vpc, nodesPerZone: 1, adminPort: ports.admin, cookieSecret: TEST_COOKIE_SECRET });
    const ag = new AvailabilityGroup(stack, 'app', {
      infrastructure: infra, vpc, instanceCount: 1,
      template: MachineTemplate.command({ command: 'node', args: ['server.js'], port: ports.app, env: { GREETING: 'hello from' } }),
    });
    const backend = lb.addBackendService('site', { protocol: BackendProtocol.HTTP, port: ports.app });
    if (version === 1) {
      backend.addAvailabilityGroup(ag);
    } else {
      const legacy = lb.addServerGroup('legacy');
      legacy.addTarget({ address: '127.0.0.1', port: ports.v2 });
      backend.addServerGroup(legacy);
    }
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: ports.listener, backendService: backend });
    app.synth();
    const dir = path.join(app.outdir, 'stacks', 'aws');
    return { dir, json: JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) };
  }

  /** What `terraform apply` of the objects does: puts every aws_s3_object's file at its key. */
  function uploadObjects(s: Synth, only?: RegExp): void {
    for (const o of Object.values(s.json.resource.aws_s3_object) as any[]) {
      if (only && !only.test(o.key)) continue;
      awsCli(moto, ['s3api', 'put-object', '--bucket', BUCKET, '--key', o.key, '--body', path.resolve(s.dir, o.source)]);
    }
  }

  function instance(s: Synth, role: string): any {
    return (Object.values(s.json.resource.aws_instance) as any[]).find((i) => i.tags['alb:role'] === role);
  }

  function runUserData(s: Synth, role: string): void {
    const script = path.join(tmp.dir, `${role}.sh`);
    fs.writeFileSync(script, rendered(instance(s, role).user_data));
    const r = spawnSync('bash', [script], { env: scriptEnv, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${role} user data failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }

  function runtimePid(vm: string): number {
    return Number(fs.readFileSync(path.join(root, 'var/lib/alb', vm, 'runtime.pid'), 'utf8').trim());
  }

  beforeAll(async () => {
    tmp = tempDir('alb-aws-userdata-');
    root = path.join(tmp.dir, 'root');
    const [listener, admin, app, v2] = await freePorts(4);
    ports = { listener, admin, app, v2 };
    // A loopback "subnet" of its own per run: the VMs' planned addresses are bindable here.
    subnet = `127.${200 + (listener % 50)}.${1 + (admin % 200)}.0/24`;
    fs.mkdirSync(path.join(tmp.dir, 'program'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'program', 'server.js'),
      "require('http').createServer((q, s) => s.end(`${process.env.GREETING} ${process.env.VM_NAME} ${process.env.VM_ZONE}/${process.env.VM_RACK}`)).listen(Number(process.env.PORT), process.env.HOST);\n");
    v2Server = http.createServer((q, s) => s.end('v2 server'));
    await new Promise<void>((r) => v2Server.listen(ports.v2, '127.0.0.1', r));
    moto = await startMoto(path.join(tmp.dir, 'moto.log'));
    awsCli(moto, ['s3api', 'create-bucket', '--bucket', BUCKET]);
    scriptEnv = {
      ...moto.cliEnv, ALB_ROOT: root, ALB_S3_ENDPOINT: moto.endpoint, ALB_SYSTEMD: '0',
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
    };
  }, 120_000);

  afterAll(async () => {
    try {
      const stateDir = path.join(root ?? '/nonexistent', 'var/lib/alb');
      const runtime = path.join(root ?? '/nonexistent', 'opt/alb/runtime/alb-runtime.js');
      if (fs.existsSync(stateDir)) {
        for (const vm of fs.readdirSync(stateDir)) {
          const pidFile = path.join(stateDir, vm, 'runtime.pid');
          if (!fs.existsSync(pidFile)) continue;
          const pid = Number(fs.readFileSync(pidFile, 'utf8'));
          spawnSync(process.execPath, [runtime, 'stop', '--node', vm, '--state-dir', stateDir, '--timeout-ms', '5000'], { stdio: 'ignore', timeout: 30_000 });
          if (pid > 0 && pidAlive(pid)) await terminateGroup(pid, 3000);
        }
        const programPid = path.join(stateDir, 'program.pid');
        if (fs.existsSync(programPid)) started.push(Number(fs.readFileSync(programPid, 'utf8')));
      }
      for (const pid of started) if (pid > 0) await terminateGroup(pid, 3000);
    } finally {
      await moto?.stop();
      if (v2Server) {
        // The node's upstream pool keeps connections open: close them, or close() waits for them.
        v2Server.closeAllConnections();
        await new Promise((r) => v2Server.close(r));
      }
      tmp?.remove();
    }
  }, 60_000);

  test('the AG VM script unpacks the program from S3 and runs it on the VM address with its environment', async () => {
    const s = synth(1);
    uploadObjects(s);
    const vm = instance(s, 'ag-vm');
    runUserData(s, 'ag-vm');
    const address = vm.private_ip;
    expect(await eventually(async () => (await body(address, ports.app)).startsWith('hello from'), 15_000)).toBe(true);
    expect(await body(address, ports.app)).toBe(`hello from ${vm.tags.Name} us-east-1a/us-east-1a-p1`);
    expect(fs.readFileSync(path.join(root, 'opt/alb/program/server.js'), 'utf8')).toContain('createServer');
  }, 120_000);

  test('the LB node script installs runtime and config from S3 and serves; alb-node.service and alb-sync.timer are written', async () => {
    const s = synth(1);
    const node = instance(s, 'lb-node');
    runUserData(s, 'lb-node');
    expect(await body(node.private_ip, ports.listener)).toMatch(/^hello from app-/);
    const unit = fs.readFileSync(path.join(root, 'etc/systemd-alb-node.service'), 'utf8');
    expect(unit).toContain(`ExecStart=/usr/bin/env node /opt/alb/runtime/alb-runtime.js run --config /opt/alb/config/config.json --node ${node.tags.Name} --state-dir /var/lib/alb`);
    expect(fs.readFileSync(path.join(root, 'etc/systemd-alb-sync.timer'), 'utf8')).toContain('OnUnitInactiveSec=5');
  }, 120_000);

  test('a changed config object is hot-reloaded by alb-sync (same pid); a broken one is refused and the node keeps serving', async () => {
    const v2 = synth(2);
    const node = instance(v2, 'lb-node');
    const vm = node.tags.Name as string;
    const pid = runtimePid(vm);
    const sync = path.join(root, 'opt/alb/bin/alb-sync');

    // Nothing changed in S3 yet: alb-sync does nothing.
    execFileSync(sync, { env: scriptEnv, stdio: 'pipe', timeout: 60_000 });
    expect(await body(node.private_ip, ports.listener)).toMatch(/^hello from app-/);

    uploadObjects(v2, /\/configs\//);
    const applied = spawnSync(sync, { env: scriptEnv, encoding: 'utf8', timeout: 60_000 });
    expect(applied.stderr).toContain('applied (hot reload)');
    expect(applied.status).toBe(0);
    expect(await body(node.private_ip, ports.listener)).toBe('v2 server');
    expect(runtimePid(vm)).toBe(pid);

    const broken = path.join(tmp.dir, 'broken.json');
    fs.writeFileSync(broken, JSON.stringify({ schemaVersion: 1, listeners: 'many' }));
    const key = (Object.values(v2.json.resource.aws_s3_object) as any[]).find((o) => o.key.includes('/configs/')).key;
    awsCli(moto, ['s3api', 'put-object', '--bucket', BUCKET, '--key', key, '--body', broken]);
    const refused = spawnSync(sync, { env: scriptEnv, encoding: 'utf8', timeout: 60_000 });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('refused; the running config keeps serving');
    expect(await body(node.private_ip, ports.listener)).toBe('v2 server');
    expect(runtimePid(vm)).toBe(pid);
    expect(pidAlive(pid)).toBe(true);
    // Refused once: the next tick does not try the same object again.
    const again = spawnSync(sync, { env: scriptEnv, encoding: 'utf8', timeout: 60_000 });
    expect(again.status).toBe(0);
    expect(again.stderr).not.toContain('refused');
  }, 180_000);
});
