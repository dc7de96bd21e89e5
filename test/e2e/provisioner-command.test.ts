/**
 * The command lines LocalInfrastructure hands to local-exec go through two interpreters:
 * Terraform's template engine (`${...}`, `%{...}`) and /bin/sh. Run one through the real
 * terraform and check that every awkward argument arrives byte for byte.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { shellCommand } from '../../constructs/infrastructure/shell';

jest.setTimeout(120000);

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-provisioner-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('quoted arguments survive terraform templates and the shell unchanged', () => {
  const tricky = ["it's", 'two words', '${not.a.reference}', '%{ if true }x%{ endif }', '$HOME', '`id`', 'a"b', 'semi;colon', 'KEY=v=w', '', 'back\\slash', 'new\nline'];
  const out = path.join(dir, 'args.json');
  const command = shellCommand([process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))', out, ...tricky]);
  fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify({
    resource: { terraform_data: { probe: { input: { command }, provisioner: [{ 'local-exec': { command: '${self.input.command}' } }] } } },
  }));
  const cliConfig = path.join(dir, 'terraformrc');
  fs.writeFileSync(cliConfig, '');
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1' };
  execFileSync('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env, stdio: 'pipe' });
  execFileSync('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, env, stdio: 'pipe' });
  expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(tricky);
  execFileSync('terraform', ['destroy', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, env, stdio: 'pipe' });
});
