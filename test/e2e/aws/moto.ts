/**
 * moto_server (python3 moto 5.2.1 in the machine image) as the AWS API stand-in: EC2, S3,
 * IAM, STS, SSM on one port of 127.0.0.1. Started per test file in its own process group,
 * stopped (the whole group) after, also on failure.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import { terminateGroup } from '../../../lib/process/supervision';
import { accepts, eventually, freePorts } from '../harness';

export interface Moto {
  readonly port: number;
  readonly endpoint: string;
  /** Environment for the AWS CLI against this server (fake credentials, no config files). */
  readonly cliEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** Whether moto_server can be started here. */
export function motoAvailable(): boolean {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** The AWS CLI is what the user data uses on a VM; the tests use it against moto too. */
export function awsCliAvailable(): boolean {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

export async function startMoto(logFile: string): Promise<Moto> {
  const [port] = await freePorts(1);
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const pid = child.pid as number;
  const stop = async () => {
    await terminateGroup(pid, 5000);
  };
  if (!(await eventually(() => accepts('127.0.0.1', port), 30_000, 200))) {
    await stop();
    throw new Error(`moto_server did not listen on 127.0.0.1:${port}: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const cliEnv: NodeJS.ProcessEnv = {
    ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true',
  };
  delete cliEnv.AWS_PROFILE;
  return { port, endpoint, cliEnv, stop };
}

/** The AWS CLI against moto; returns stdout. */
export function awsCli(moto: Moto, args: string[]): string {
  return execFileSync('aws', ['--endpoint-url', moto.endpoint, '--region', 'us-east-1', ...args], { env: moto.cliEnv, encoding: 'utf8', timeout: 60_000 });
}
