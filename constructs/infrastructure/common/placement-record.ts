/**
 * The placement record every infrastructure target keeps (Local, SSH, AWS): the placement of
 * the last *applied* deploy, read back by the next synth so that groups keep their address
 * blocks and VMs their zones, racks, hosts and addresses (lib/placement/plan.ts
 * StablePlacement). One implementation for all targets:
 *
 *  - readPlacementRecord: the record of this infrastructure, or none (no file yet, or a file
 *    another construct path wrote);
 *  - PlacementRecorder: two `terraform_data` resources around the target's own resources.
 *    `<prefix>_placement_cleanup` is created before every VM and destroyed after the last
 *    one (the VMs depend on it), when its destroy provisioner forgets the record.
 *    `<prefix>_placement_record` runs last (it depends on every resource of the deploy) and is
 *    replaced whenever the placement changes: its local-exec copies the synthesized record
 *    into the project's record file. A plain synth, or an apply that fails before the end,
 *    leaves the last applied record in place;
 *  - the two commands those resources run: record copies the synthesized record atomically,
 *    after checking it is the document whose hash Terraform planned with (a re-synth between
 *    plan and apply must not record a placement that was never applied); forget removes the
 *    record, then its directory if no VM directory is left in it.
 *
 * The commands are `node -e` one-liners so they need nothing but a node on the machine
 * running Terraform (no bundle of their own); shellCommand quotes them for the shell and
 * escapes Terraform templates.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, DataResource, ISynthesisSession, Lazy, TerraformResource, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { sha256Hex } from '../../../lib/config/hash';
import { IssueError } from '../../../lib/model/messages';
import { PlacementState, parsePlacementState } from '../../../lib/placement/state';
import { PlacedGroup } from '../../../lib/placement/types';
import { recordIssues } from '../../errors';
import { registerSynthesis, stackDir } from '../synthesis';
import { shellCommand } from '../shell';

const RECORD_SCRIPT = [
  'const fs = require("fs"), path = require("path"), crypto = require("crypto");',
  'const [source, target, expected] = process.argv.slice(1);',
  'const text = fs.readFileSync(source, "utf8");',
  'const actual = crypto.createHash("sha256").update(text).digest("hex");',
  'if (actual !== expected) {',
  '  console.error(`placement record: ${path.resolve(source)} has sha256 ${actual}, but this deploy planned ${expected}; it was re-synthesized after the plan: run the deploy again`);',
  '  process.exit(1);',
  '}',
  'fs.mkdirSync(path.dirname(target), { recursive: true });',
  'const temporary = target + "." + process.pid + ".tmp";',
  'fs.writeFileSync(temporary, text);',
  'fs.renameSync(temporary, target);',
  'console.log("placement recorded in " + target);',
].join('\n');

const FORGET_SCRIPT = [
  'const fs = require("fs"), path = require("path");',
  'const target = process.argv[1];',
  'fs.rmSync(target, { force: true });',
  // This runs after the last VM is destroyed; the state dir goes if no VM directory is left
  // (with the launcher's rollout log, which belongs to no VM), else it stays as it is.
  'const dir = path.dirname(target);',
  'let vmDirs = 1;',
  'try { vmDirs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).length; } catch (e) { vmDirs = -1; }',
  'if (vmDirs === 0) { fs.rmSync(path.join(dir, "rollout.log"), { force: true }); try { fs.rmdirSync(dir); } catch (e) { /* something else is in it */ } }',
  'console.log("placement record " + target + " removed");',
].join('\n');

/** Copies `source` (relative to Terraform's working directory) to `target` if its SHA-256 is `sha256`. */
export function recordPlacementCommand(node: string, source: string, target: string, sha256: string): string {
  return shellCommand([node, '-e', RECORD_SCRIPT, source, target, sha256]);
}

/** Removes the record `target`, then its directory if it holds no VM directory. */
export function forgetPlacementCommand(node: string, target: string): string {
  return shellCommand([node, '-e', FORGET_SCRIPT, target]);
}

/**
 * The placement recorded for `infrastructure` (a construct path) in `file`: undefined when
 * there is no file yet, or when another construct path wrote it (the same file used by
 * another app, or a renamed infrastructure, whose Terraform resources are all new anyway).
 * A damaged record throws the parser's error: guessing would re-address running VMs.
 */
export function readPlacementRecord<T extends PlacementState>(file: string, infrastructure: string, parse: (text: string, source: string) => T): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const state = parse(text, file);
  return state.infrastructure === infrastructure ? state : undefined;
}

/**
 * The groups recorded for `owner` in `file` (a plain placement record), none without one. A
 * damaged record is reported at synth on `owner` (naming the file and field); placing from
 * scratch meanwhile only lets the rest of the app be checked.
 */
export function previousPlacementOf(owner: IConstruct, file: string): PlacedGroup[] {
  try {
    return readPlacementRecord(file, owner.node.path, parsePlacementState)?.groups ?? [];
  } catch (e) {
    if (!(e instanceof IssueError)) throw e;
    recordIssues(owner, e.issues);
    return [];
  }
}

/**
 * A project file (absolute) as Terraform sees it from the stack's synth directory, its
 * working directory: relative, so that cdktf.out can be applied from another directory or
 * machine at the same depth.
 */
export function fromStackDir(owner: IConstruct, file: string): string {
  const stack = TerraformStack.of(owner);
  return path.relative(path.join(path.resolve(App.of(owner).outdir), 'stacks', stack.node.id), file);
}

/** Where a target's record lives and what it says. */
export interface PlacementRecordFiles {
  /** The node executable that runs the record/forget commands on the machine running Terraform. */
  readonly node: string;
  /** This synth's record in the synth output, relative to the stack's synth directory. */
  readonly synthFile: string;
  /** The project's record as Terraform sees it: absolute, or relative to the stack's synth directory. */
  readonly recordFile: string;
  /** This synth's record document (deterministic text: its hash is the trigger). */
  readonly text: () => string;
}

/**
 * The two resources that keep a target's record in step with what Terraform really created
 * (see the top of this file), and the synthesized record itself. `after` lists the resources
 * the record waits for: every resource of the deploy (read at synth, so resources added
 * after this one count).
 */
export class PlacementRecorder {
  /** What every VM resource must depend on: destroyed (forgetting the record) after the last VM. */
  public readonly cleanup: DataResource;
  /** Runs last in every apply that changes the placement, recording it. */
  public readonly record: DataResource;

  constructor(scope: Construct, owner: IConstruct, prefix: string, private readonly files: PlacementRecordFiles, after: () => TerraformResource[]) {
    // Replaced only if the record file moves.
    this.cleanup = new DataResource(scope, 'placement-cleanup', {
      input: { placement_file: files.recordFile, destroy_command: forgetPlacementCommand(files.node, files.recordFile) },
      triggersReplace: { placement_file: files.recordFile },
      provisioners: [{ type: 'local-exec', when: 'destroy', command: '${self.input.destroy_command}' }],
    });
    this.cleanup.overrideLogicalId(`${prefix}_placement_cleanup`);

    // No destroy provisioner: an outdated record is overwritten, not removed first.
    const hash = () => sha256Hex(files.text());
    this.record = new DataResource(scope, 'placement-record', {
      input: { placement_sha256: Lazy.stringValue({ produce: hash }) },
      triggersReplace: { placement_sha256: Lazy.stringValue({ produce: hash }) },
      provisioners: [{
        type: 'local-exec',
        // The synthesized record is relative to Terraform's working directory, the stack's synth directory.
        command: Lazy.stringValue({ produce: () => recordPlacementCommand(files.node, files.synthFile, files.recordFile, hash()) }),
      }],
    });
    this.record.addOverride('depends_on', Lazy.anyValue({
      produce: () => [this.cleanup, ...after()].map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`),
    }));
    this.record.overrideLogicalId(`${prefix}_placement_record`);
    registerSynthesis(owner, (session) => this.writeSynthFile(session, owner));
  }

  private writeSynthFile(session: ISynthesisSession, owner: IConstruct): void {
    const file = path.join(stackDir(session, owner), this.files.synthFile);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, this.files.text());
  }
}
