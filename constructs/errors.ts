/**
 * How the constructs report problems: every problem of the app in one synth.
 *
 * A prop that is wrong on its face does not throw when the construct is created: its issues
 * (lib/model/messages.ts) are recorded on the construct, with the place in the user's source
 * that created it (or called the method), and the construct's validation reports them at
 * synth together with the whole-tree rules. So one `cdktf synth` lists every problem of the
 * stack, each as `<construct path>: <field> <value> <problem>; allowed: <…> (at <file:line:col>)`.
 * Only the static factories (Certificate.fromFiles, MachineTemplate.command), which have no
 * construct to record on, and lookups that must return a value (ag.instance(i)) throw at once.
 */
import { TerraformStack, Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { formatValue, Issue, issue, IssueError, MISSING, renderIssue } from '../lib/model/messages';
import { SourceSite, userSourceSite } from './source-site';

/** Thrown for problems that cannot wait for synth; the message lists every such problem. */
export class AlbValidationError extends Error {
  /** The individual problems, one line each (`<where>: <field> <value> <problem>; allowed: ...`). */
  public readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'AlbValidationError';
    this.problems = problems;
  }
}

/** Throws an AlbValidationError when there are issues. */
export function throwIfIssues(issues: readonly Issue[]): void {
  if (issues.length > 0) throw new AlbValidationError(issues.map((i) => renderIssue(i)));
}

/** An issue as a construct reports it: the one rendering, and where in the user's source it arose. */
export function renderIssueAt(i: Issue, site: SourceSite | undefined): string {
  const location = site?.location;
  return location === undefined ? renderIssue(i) : `${renderIssue(i)} (at ${location})`;
}

interface Recorded {
  readonly issue: Issue;
  readonly site: SourceSite;
}

const recorded = new WeakMap<IConstruct, Recorded[]>();
const creationSites = new WeakMap<IConstruct, SourceSite>();
const callSites = new WeakMap<IConstruct, Map<string, SourceSite>>();

/**
 * Records issues on a construct, to be reported by its validation at synth, with the user's
 * source line responsible (the first caller outside this library).
 */
export function recordIssues(scope: IConstruct, issues: readonly Issue[]): void {
  if (issues.length === 0) return;
  let list = recorded.get(scope);
  if (list === undefined) {
    const own: Recorded[] = [];
    list = own;
    recorded.set(scope, own);
    addProblemValidation(scope, () => own.map((r) => renderIssueAt(r.issue, r.site)));
  }
  const site = userSourceSite();
  list.push(...issues.map((i) => ({ issue: i, site })));
}

interface AppProblems {
  /** The stack cdktf synthesizes first. */
  readonly first: IConstruct;
  readonly entries: { readonly stack: IConstruct; readonly validate: () => string[] }[];
}

const appProblems = new WeakMap<IConstruct, AppProblems>();

/**
 * Adds a validation that reports problems of this library's constructs, and registers it
 * app-wide. cdktf synthesizes the stacks of an app one after another and stops at the first
 * whose validation fails; so that one synth still lists every problem of the app, the app's
 * first stack also reports the problems found in the other stacks (each line names its own
 * construct path; cdktf prefixes them with the first stack's).
 */
export function addProblemValidation(scope: IConstruct, validate: () => string[]): void {
  scope.node.addValidation({ validate });
  const root = scope.node.root;
  let app = appProblems.get(root);
  if (app === undefined) {
    // Stacks are synthesized in tree order; the first one exists by now (this construct's stack or an earlier one).
    const first = root.node.findAll().find((c) => TerraformStack.isStack(c)) ?? TerraformStack.of(scope);
    const created: AppProblems = { first, entries: [] };
    app = created;
    appProblems.set(root, created);
    first.node.addValidation({ validate: () => created.entries.filter((e) => e.stack !== created.first).flatMap((e) => e.validate()) });
  }
  app.entries.push({ stack: TerraformStack.of(scope), validate });
}

/** Whether issues were recorded on the construct. */
export function hasRecordedIssues(scope: IConstruct): boolean {
  return recorded.has(scope);
}

/** The rendered issues recorded on these constructs. */
export function recordedProblems(scopes: Iterable<IConstruct>): string[] {
  const out: string[] = [];
  for (const scope of new Set(scopes)) {
    for (const r of recorded.get(scope) ?? []) out.push(renderIssueAt(r.issue, r.site));
  }
  return out;
}

/** Remembers where in the user's source a construct was created (call first thing in its constructor). */
export function rememberCreationSite(scope: IConstruct): void {
  creationSites.set(scope, userSourceSite());
}

/** Where in the user's source the construct was created, if known. */
function creationSite(scope: IConstruct): SourceSite | undefined {
  return creationSites.get(scope);
}

/**
 * Remembers where the user called a method that set `field` to `value` on the construct
 * (e.g. backend.addServerGroup(group)), so that a whole-tree problem about that field and
 * value points at the call rather than at the construct's creation.
 */
export function rememberCallSite(scope: IConstruct, field: string, value: string): void {
  const sites = callSites.get(scope) ?? new Map<string, SourceSite>();
  callSites.set(scope, sites);
  sites.set(`${field}\n${value}`, userSourceSite());
}

/** The user's source line responsible for an issue about this construct: the call that set the field, else the creation. */
export function siteOf(scope: IConstruct, i: Issue): SourceSite | undefined {
  const call = typeof i.value === 'string' ? callSites.get(scope)?.get(`${i.field}\n${i.value}`) : undefined;
  return call ?? creationSite(scope);
}

/**
 * The LB config is written at synth time from literal values, so a Terraform token (a
 * variable, a resource attribute) cannot stand in for a port or a weight. Walks plain
 * objects and arrays of props; construct references are not walked.
 */
export function tokenIssues(path: string, field: string, value: unknown, depth = 0): Issue[] {
  if (depth > 4 || value === undefined || value === null) return [];
  if ((typeof value === 'string' || typeof value === 'number') && Token.isUnresolved(value)) {
    return [issue(path, field, '<token>', 'is an unresolved Terraform token', 'a literal value (the LB config is written at synth time)')];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => tokenIssues(path, `${field}[${i}]`, v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => tokenIssues(path, field ? `${field}.${k}` : k, v, depth + 1));
  }
  return [];
}

/**
 * A planner refusal (lib/placement throws IssueErrors about its own group) as an issue of the
 * construct that asked for the placement.
 */
export function placementIssue(where: string, what: string, err: unknown): Issue {
  const cause = err instanceof IssueError && err.issues.length > 0 ? err.issues[0] : undefined;
  if (cause === undefined) {
    return issue(where, '', MISSING, `the infrastructure cannot place ${what}: ${(err as Error).message}`, 'a placement the infrastructure can make');
  }
  const subject = [cause.field, cause.value === MISSING ? '' : formatValue(cause.value)].filter((p) => p !== '').join(' ');
  return issue(where, '', MISSING, `the infrastructure cannot place ${what}: ${subject} ${cause.problem}`, cause.allowed);
}

