import * as fs from 'fs';
import * as path from 'path';
import { checkIntRange } from '../lib/model/check';
import { PORT } from '../lib/model/limits';
import { Issue, issue } from '../lib/model/messages';
import { throwIfIssues } from './errors';

/** Properties of a command machine template. */
export interface CommandTemplateProps {
  /** The program each VM runs, e.g. `node`. */
  readonly command: string;
  /**
   * Its arguments.
   * @default []
   */
  readonly args?: string[];
  /**
   * The port the program serves on (on the VM's own address, given to it as PORT): the port
   * the load balancer sends traffic to.
   */
  readonly port: number;
  /**
   * Extra environment variables.
   * @default {}
   */
  readonly env?: { [key: string]: string };
  /**
   * The program's files: a file or directory on the synth machine (relative to the project
   * directory) that becomes the VM's working directory. SshInfrastructure ships it to each
   * host as a Terraform asset (`<installDir>/vms/<vm>/files`); LocalInfrastructure runs the
   * command in it. Relative `args` then name files in it, e.g. `args: ['app.js']`.
   * @default - no files: the command must already be on the host; it runs in the project
   *   directory locally and in the VM's own directory on a host
   */
  readonly files?: string;
}

/** Variables every VM gets from the infrastructure; a template may not override them. */
export const RESERVED_ENV = ['HOST', 'PORT', 'VM_NAME', 'VM_ZONE', 'VM_RACK'];

/**
 * What runs on each VM of an availability group. The VM's program must serve on HOST:PORT
 * (both in its environment, with VM_NAME, VM_ZONE and VM_RACK).
 */
export class MachineTemplate {
  /** A template that runs a command. */
  public static command(props: CommandTemplateProps): MachineTemplate {
    const where = 'MachineTemplate.command';
    // A static factory has no construct to record problems on: they throw at once.
    const problems: Issue[] = [];
    if (typeof props.command !== 'string' || props.command.trim() === '') {
      problems.push(issue(where, 'command', props.command, 'is empty', 'a program name or path, e.g. "node"'));
    }
    const args = props.args ?? [];
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
      problems.push(issue(where, 'args', args, 'is not a list of strings', 'string arguments'));
    }
    problems.push(...checkIntRange(where, 'port', props.port, PORT));
    const env = props.env ?? {};
    for (const [key, value] of Object.entries(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
        problems.push(issue(where, 'env key', key, 'is not a variable name', 'letters, digits and "_", not starting with a digit'));
      } else if (RESERVED_ENV.includes(key)) {
        problems.push(issue(where, 'env key', key, 'is set by the infrastructure', `any name except ${RESERVED_ENV.join(', ')}`));
      }
      if (typeof value !== 'string') {
        problems.push(issue(where, `env.${key}`, value, 'is not a string', 'string values'));
      }
    }
    let files: string | undefined;
    if (props.files !== undefined) {
      files = typeof props.files === 'string' && props.files.trim() !== '' ? path.resolve(props.files) : undefined;
      if (files === undefined || !fs.existsSync(files)) {
        problems.push(issue(where, 'files', props.files, `does not exist${files ? ` (resolved to ${files})` : ''}`, 'a file or directory on this machine, relative to the project directory'));
      }
    }
    throwIfIssues(problems);
    return new MachineTemplate(props.command, [...args], props.port, { ...env }, files);
  }

  /** The program each VM runs (`command` of MachineTemplate.command). */
  public readonly executable: string;
  /** Its arguments. */
  public readonly args: string[];
  /** The port it serves on: the port targets of this template use. */
  public readonly port: number;
  /** Extra environment variables. */
  public readonly env: { [key: string]: string };
  /** Absolute path of the program's files (a file or directory), if the template ships any. */
  public readonly files?: string;

  private constructor(executable: string, args: string[], port: number, env: { [key: string]: string }, files?: string) {
    this.executable = executable;
    this.args = args;
    this.port = port;
    this.env = env;
    this.files = files;
  }
}
