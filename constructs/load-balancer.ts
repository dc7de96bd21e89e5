import * as fs from 'fs';
import * as path from 'path';
import { IResolveContext, ISynthesisSession, Lazy, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { deriveCookieSecret, loadOrCreateProjectSecret } from '../lib/config/cookie-secret';
import { sha256Hex } from '../lib/config/hash';
import { renderLbConfig, serializeLbConfig } from '../lib/config/render';
import type { AdminEndpointModel } from '../lib/model/admin-endpoint';
import { LoadBalancerSettings, LoadBalancerTree, resolveLoadBalancer, validateLoadBalancerTree } from '../lib/model/load-balancer';
import { ModelWarning } from '../lib/model/messages';
import { PlacedVm, VmRole } from '../lib/placement/types';
import { BackendService, BackendServiceOptions } from './backend-service';
import { AlbValidationError, throwIfProblems, tokenProblems } from './errors';
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
    const where = this.node.path;
    const { infrastructure, vpc, ...settings } = props;
    const resolved = resolveLoadBalancer({ path: where, ...settings }, infrastructure.zones.map((z) => z.name));
    throwIfProblems([...tokenProblems(where, '', settings), ...resolved.errors]);
    this.infrastructure = infrastructure;
    this.vpc = vpc;
    this.nodesPerZone = resolved.nodesPerZone;
    this.adminPort = resolved.adminPort;
    this.quotas = resolved.quotas;
    this.admin = resolved.admin;
    this.cookieSecretProp = settings.cookieSecret;
    this.loadBalancerId = placementGroupName(this);
    if (settings.vip !== undefined) {
      const problems = validateVirtualIp(where, settings.vip, vpc.cidrBlock);
      if (!infrastructure.floatsAddresses) {
        problems.push(`${where}: vip ${JSON.stringify(settings.vip)} cannot be used on ${infrastructure.node.path}: it cannot float an address between nodes; allowed: no vip, or an infrastructure whose nodes share a network segment (SshInfrastructure)`);
      }
      throwIfProblems(problems);
      this.vip = {
        address: settings.vip.address,
        virtualRouterId: settings.vip.virtualRouterId ?? defaultVirtualRouterId(this.loadBalancerId),
        advertisementIntervalMs: settings.vip.advertisementIntervalMs ?? DEFAULT_ADVERTISEMENT_INTERVAL_MS,
        interface: settings.vip.interface,
      };
    }
    try {
      this.nodes = infrastructure.placeGroup({
        name: this.loadBalancerId, role: VmRole.LB_NODE, zones: settings.zones, perZone: this.nodesPerZone,
      });
    } catch (err) {
      throw new AlbValidationError([`${where}: the infrastructure cannot place the load balancer's nodes: ${(err as Error).message}`]);
    }
    this.configFile = `${CONFIG_DIR}/${this.loadBalancerId}.json`;
    // Rendered when Terraform JSON is produced, i.e. after validation and after the whole tree exists.
    this.configHash = Lazy.stringValue({ produce: (context) => this.configHashFor(context) });
    infrastructure.deployLoadBalancerNodes(this, this.nodes, this.configFile, this.configHash, this.vip);

    const fieldWarnings = resolved.warnings;
    this.node.addValidation({
      validate: () => {
        const result = validateLoadBalancerTree(this.buildTree());
        [...fieldWarnings, ...result.warnings].forEach((w) => this.emitModelWarning(w));
        return result.errors;
      },
    });
    onSynthesize(this, (session) => this.writeConfig(session));
  }

  /** Adds a listener (protocol + port) forwarding to a default backend service. */
  public addListener(id: string, props: ListenerOptions): Listener {
    return new Listener(this, id, { ...props, loadBalancer: this });
  }

  /** Adds a backend service. */
  public addBackendService(id: string, props: BackendServiceOptions): BackendService {
    return new BackendService(this, id, { ...props, loadBalancer: this });
  }

  /** Adds a virtual server group (it belongs to this LB; its backend services may share it). */
  public addServerGroup(id: string, props?: VirtualServerGroupOptions): VirtualServerGroup {
    return new VirtualServerGroup(this, id, { ...(props ?? {}), loadBalancer: this });
  }

  /**
   * Adds a URL map (forwarding rules by host and path). It belongs to this LB; give it to
   * HTTP/HTTPS listeners with their `urlMap` prop (several listeners may share one).
   */
  public addUrlMap(id: string): UrlMap {
    return new UrlMap(this, id, { loadBalancer: this });
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
    const tree = this.buildTree();
    const { errors } = validateLoadBalancerTree(tree);
    throwIfProblems(errors);
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
  private configHashFor(context: IResolveContext): string {
    try {
      return sha256Hex(this.synthesizeConfig());
    } catch (err) {
      if (context.preparing && err instanceof AlbValidationError) return 'invalid-load-balancer-config';
      throw err;
    }
  }

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
