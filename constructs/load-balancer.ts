import * as fs from 'fs';
import * as path from 'path';
import { ISynthesisSession, Lazy, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { deriveCookieSecret, loadOrCreateProjectSecret } from '../lib/config/cookie-secret';
import { sha256Hex } from '../lib/config/hash';
import { renderLbConfig, serializeLbConfig } from '../lib/config/render';
import type { AdminEndpointModel } from '../lib/model/admin-endpoint';
import { LoadBalancerSettings, LoadBalancerTree, resolveLoadBalancer, validateLoadBalancerTree } from '../lib/model/load-balancer';
import { Issue, issue, ModelWarning } from '../lib/model/messages';
import { PlacedVm, VmRole } from '../lib/placement/types';
import { BackendService, BackendServiceOptions } from './backend-service';
import {
  addProblemValidation, AlbValidationError, hasRecordedIssues, placementIssue, recordedProblems, recordIssues, rememberCreationSite, renderIssueAt, siteOf, tokenIssues,
} from './errors';
import { IInfrastructure, VirtualIpDeployment } from './infrastructure';
import { DEFAULT_ADVERTISEMENT_INTERVAL_MS, defaultVirtualRouterId, validateVirtualIp } from '../lib/model/virtual-ip';
import { Listener, ListenerOptions } from './listener';
import { placementGroupName, stackPath } from './names';
import { UrlMap } from './url-map';
import { VirtualServerGroup, VirtualServerGroupOptions } from './virtual-server-group';
import { Vpc } from './vpc';
import { markModelChanged, modelGeneration } from './model-generation';
import { emitWarning } from './warnings';

// The prop structs are declared once, documented, beside the rules that check them (lib/model).
export { LoadBalancerQuotas } from '../lib/model/load-balancer';
export { VirtualIp } from '../lib/model/virtual-ip';

/** Properties of a LoadBalancer. */
export interface LoadBalancerProps extends LoadBalancerSettings {
  /** Where the LB's nodes run. */
  readonly infrastructure: IInfrastructure;
  /** The LB's VPC: every target must be in it. */
  readonly vpc: Vpc;
}

/**
 * cdktf's stack synthesizer calls `onSynthesize(session)` on every construct registered under
 * this symbol, after validation and before the Terraform JSON is written (it is how
 * TerraformAsset copies files). cdktf does not export its helper, so we register the same way.
 */
const CUSTOM_SYNTHESIS = Symbol.for('cdktf/customSynthesis');

function onSynthesize(construct: IConstruct, fn: (session: ISynthesisSession) => void): void {
  Object.defineProperty(construct, CUSTOM_SYNTHESIS, { value: { onSynthesize: fn }, enumerable: false });
}

/**
 * The kinds of resource an LB names in namespaces of their own; each is a child construct of
 * the LB with this id, holding the resources its `add*` method creates.
 */
export enum LoadBalancerNamespace {
  /** Listeners (`lb.addListener`). */
  LISTENERS = 'Listeners',
  /** Backend services (`lb.addBackendService`). */
  BACKEND_SERVICES = 'BackendServices',
  /** Virtual server groups (`lb.addServerGroup`). */
  SERVER_GROUPS = 'ServerGroups',
  /** URL maps (`lb.addUrlMap`). */
  URL_MAPS = 'UrlMaps',
}

/** configHash of an LB whose config cannot be written (its validation fails synth). */
const INVALID_CONFIG_HASH = 'invalid-config-see-validation-errors';

/** Directory, relative to the stack's synth directory, that holds the LB config documents. */
export const CONFIG_DIR = 'alb';

/**
 * An application load balancer: an active-active cluster of nodes (nodesPerZone in each of
 * its zones) serving its listeners, configured from one synthesized JSON document.
 */
export class LoadBalancer extends Construct {
  /** Where the LB's nodes run. */
  public readonly infrastructure: IInfrastructure;
  /** The LB's VPC. */
  public readonly vpc: Vpc;
  /** LB nodes per zone. */
  public readonly nodesPerZone: number;
  /** Admin endpoint port on every node. */
  public readonly adminPort: number;
  /** Stable id of the LB: its placement-group name and the config document's name. */
  public readonly loadBalancerId: string;
  /** The LB's nodes as placed by the infrastructure. */
  public readonly nodes: PlacedVm[];
  /** Path of the config document relative to the stack's synth directory (`alb/<id>.json`). */
  public readonly configFile: string;
  /** SHA-256 (hex) of the config document; a token resolved at synth. */
  public readonly configHash: string;
  /** The LB's virtual IP with its defaults filled in, if it has one. */
  public readonly vip?: VirtualIpDeployment;

  private readonly cookieSecretProp?: string;
  private readonly quotas: LoadBalancerTree['quotas'];
  private readonly admin: AdminEndpointModel;
  private readonly listenerList: Listener[] = [];
  private readonly backendList: BackendService[] = [];
  private readonly groupList: VirtualServerGroup[] = [];
  private readonly urlMapList: UrlMap[] = [];
  private rendered?: { generation: number; text: string };

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    rememberCreationSite(this);
    const where = this.node.path;
    const { infrastructure, vpc, ...settings } = props;
    const resolved = resolveLoadBalancer({ path: where, ...settings }, infrastructure.zones.map((z) => z.name));
    const fieldIssues = [...tokenIssues(where, '', settings), ...resolved.errors];
    recordIssues(this, fieldIssues);
    this.infrastructure = infrastructure;
    this.vpc = vpc;
    this.nodesPerZone = resolved.nodesPerZone;
    this.adminPort = resolved.adminPort;
    this.quotas = resolved.quotas;
    this.admin = resolved.admin;
    this.cookieSecretProp = settings.cookieSecret;
    this.loadBalancerId = placementGroupName(this);
    if (settings.vip !== undefined) {
      const vipIssues = validateVirtualIp(where, settings.vip, vpc.cidrBlock);
      if (!infrastructure.floatsAddresses) {
        vipIssues.push(issue(where, 'vip', settings.vip, `cannot be used on ${infrastructure.node.path}: it cannot float an address between nodes`, 'no vip, or an infrastructure whose nodes share a network segment (SshInfrastructure)'));
      }
      recordIssues(this, vipIssues);
      if (vipIssues.length === 0) {
        this.vip = {
          address: settings.vip.address,
          virtualRouterId: settings.vip.virtualRouterId ?? defaultVirtualRouterId(this.loadBalancerId),
          advertisementIntervalMs: settings.vip.advertisementIntervalMs ?? DEFAULT_ADVERTISEMENT_INTERVAL_MS,
          interface: settings.vip.interface,
        };
      }
    }
    this.nodes = this.place(settings.zones, fieldIssues.length > 0);
    this.configFile = `${CONFIG_DIR}/${this.loadBalancerId}.json`;
    // A token resolved when Terraform JSON is produced. cdktf may resolve it before it runs the
    // validations (app.synth() does): an invalid LB then hashes to a placeholder instead of
    // throwing, so that the validations run and list every problem of the app at once.
    this.configHash = Lazy.stringValue({ produce: () => (this.problems().length > 0 ? INVALID_CONFIG_HASH : sha256Hex(this.synthesizeConfig())) });
    infrastructure.deployLoadBalancerNodes(this, this.nodes, this.configFile, this.configHash, this.vip);

    const fieldWarnings = resolved.warnings;
    addProblemValidation(this, () => {
      const result = validateLoadBalancerTree(this.buildTree());
      [...fieldWarnings, ...result.warnings].forEach((w) => this.emitModelWarning(w));
      return this.renderTreeIssues(result.errors);
    });
    onSynthesize(this, (session) => this.writeConfig(session));
  }

  /**
   * The LB's nodes from the infrastructure. A planner refusal is reported only when it is
   * news, not a repeat of the LB's or the infrastructure's own problems.
   */
  private place(zones: string[] | undefined, propsWrong: boolean): PlacedVm[] {
    if (hasRecordedIssues(this.infrastructure)) return [];
    try {
      return this.infrastructure.placeGroup({ name: this.loadBalancerId, role: VmRole.LB_NODE, zones, perZone: this.nodesPerZone });
    } catch (err) {
      if (!propsWrong) recordIssues(this, [placementIssue(this.node.path, 'the load balancer\'s nodes', err)]);
      return [];
    }
  }

  /**
   * Adds a listener (protocol + port) forwarding to a default backend service. Its
   * construct path is `<lb>/Listeners/<id>`: listener names are a namespace of their own.
   */
  public addListener(id: string, props: ListenerOptions): Listener {
    return new Listener(this.namespace(LoadBalancerNamespace.LISTENERS), id, { ...props, loadBalancer: this });
  }

  /** Adds a backend service, at `<lb>/BackendServices/<id>` (a namespace of its own). */
  public addBackendService(id: string, props: BackendServiceOptions): BackendService {
    return new BackendService(this.namespace(LoadBalancerNamespace.BACKEND_SERVICES), id, { ...props, loadBalancer: this });
  }

  /**
   * Adds a virtual server group (it belongs to this LB; its backend services may share it),
   * at `<lb>/ServerGroups/<id>` (a namespace of its own).
   */
  public addServerGroup(id: string, props?: VirtualServerGroupOptions): VirtualServerGroup {
    return new VirtualServerGroup(this.namespace(LoadBalancerNamespace.SERVER_GROUPS), id, { ...(props ?? {}), loadBalancer: this });
  }

  /**
   * The scope that holds the LB's resources of one kind. JD Cloud names listeners, backend
   * services, server groups and URL maps in separate namespaces per LB, so `addListener('web')`
   * and `addBackendService('web')` must not meet as siblings in the construct tree.
   */
  public namespace(kind: LoadBalancerNamespace): Construct {
    return (this.node.tryFindChild(kind) as Construct | undefined) ?? new Construct(this, kind);
  }

  /**
   * Adds a URL map (forwarding rules by host and path), at `<lb>/UrlMaps/<id>` (a namespace
   * of its own). It belongs to this LB; give it to HTTP/HTTPS listeners with their `urlMap`
   * prop (several listeners may share one).
   */
  public addUrlMap(id: string): UrlMap {
    return new UrlMap(this.namespace(LoadBalancerNamespace.URL_MAPS), id, { loadBalancer: this });
  }

  /** The LB's URL maps. */
  public get urlMaps(): UrlMap[] {
    return [...this.urlMapList];
  }

  /** The LB's listeners. */
  public get listeners(): Listener[] {
    return [...this.listenerList];
  }

  /** The LB's backend services. */
  public get backendServices(): BackendService[] {
    return [...this.backendList];
  }

  /** The LB's virtual server groups. */
  public get serverGroups(): VirtualServerGroup[] {
    return [...this.groupList];
  }

  /**
   * The LB config document (JSON text) every node of this LB receives. Throws an
   * AlbValidationError listing every problem if the LB is not valid.
   */
  public synthesizeConfig(): string {
    if (this.rendered?.generation === modelGeneration()) return this.rendered.text;
    const generation = modelGeneration();
    const problems = this.problems();
    if (problems.length > 0) throw new AlbValidationError(problems);
    const tree = this.buildTree();
    const config = renderLbConfig({
      tree,
      id: this.loadBalancerId,
      idPrefix: stackPath(this),
      nodes: this.nodes.map((n) => ({ name: n.name, zone: n.zone, rack: n.rack, address: n.address })),
      cookieSecret: this.cookieSecretProp ?? deriveCookieSecret(loadOrCreateProjectSecret(process.cwd()), this.loadBalancerId),
      vip: this.vip === undefined ? undefined : { address: this.vip.address, virtualRouterId: this.vip.virtualRouterId },
    });
    const text = serializeLbConfig(config);
    this.rendered = { generation, text };
    return text;
  }

  /**
   * App.synth() (cdktf and CDK Terrain alike, and CDK Terrain's synthesizer on its own)
   * resolves every element once with `preparing` set before it runs the validations. An
   * invalid LB is reported by its validation right after, with every problem listed; throwing
   * here would stop the synth first with one "Resolution error" instead.
   */
  /** @internal */
  public _registerListener(listener: Listener): void {
    this.listenerList.push(listener);
    markModelChanged();
  }

  /** @internal */
  public _registerBackendService(backend: BackendService): void {
    this.backendList.push(backend);
    markModelChanged();
  }

  /** @internal */
  public _registerUrlMap(map: UrlMap): void {
    this.urlMapList.push(map);
    markModelChanged();
  }

  /** @internal */
  public _registerServerGroup(group: VirtualServerGroup): void {
    this.groupList.push(group);
    markModelChanged();
  }

  /**
   * Every problem that keeps this LB's config from being written: those recorded on the LB,
   * its listeners, backend services and groups, its VPC and infrastructure, and the
   * whole-tree rules. Rendered with the user's source line of each.
   */
  private problems(): string[] {
    const recorded = recordedProblems([this, this.vpc, this.infrastructure, ...this.relatedConstructs()]);
    return [...recorded, ...this.renderTreeIssues(validateLoadBalancerTree(this.buildTree()).errors)];
  }

  /** The constructs the LB's tree is built from (a backend may reference groups of another LB or VPC). */
  private relatedConstructs(): Construct[] {
    return [
      ...this.listenerList, ...this.backendList, ...this.groupList, ...this.urlMapList,
      ...this.backendList.flatMap((b) => [...b.serverGroups, ...b.availabilityGroups]),
    ];
  }

  /** Whole-tree issues, each with the source line that created the construct it names. */
  private renderTreeIssues(issues: readonly Issue[]): string[] {
    if (issues.length === 0) return [];
    const byPath = new Map<string, IConstruct>([this, ...this.relatedConstructs()].map((c) => [c.node.path, c]));
    return issues.map((i) => {
      const subject = byPath.get(i.where);
      return renderIssueAt(i, subject === undefined ? undefined : siteOf(subject, i));
    });
  }

  private buildTree(): LoadBalancerTree {
    return {
      path: this.node.path,
      vpc: { path: this.vpc.node.path, cidrBlock: this.vpc.cidrBlock },
      adminPort: this.adminPort,
      admin: this.admin,
      quotas: this.quotas,
      listeners: this.listenerList.map((l) => l._toModel()),
      backendServices: this.backendList.map((b) => b._toModel()),
      serverGroups: this.groupList.map((g) => g._toModel()),
      urlMaps: this.urlMapList.map((m) => m._toModel()),
    };
  }

  /** Warnings name a construct path; attach each to that construct so users see it where it belongs. */
  private emitModelWarning(warning: ModelWarning): void {
    const target: IConstruct = [this, ...this.node.findAll()].find((c) => c.node.path === warning.path) ?? this;
    emitWarning(target, warning);
  }

  /** Writes `<stack synth dir>/alb/<id>.json` (runs after validation passed). */
  private writeConfig(session: ISynthesisSession): void {
    const stack = TerraformStack.of(this);
    const stackDir = path.join(session.outdir, session.manifest.forStack(stack).workingDirectory);
    const file = path.join(stackDir, this.configFile);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, this.synthesizeConfig());
  }
}
