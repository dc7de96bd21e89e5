import { Construct } from 'constructs';
import {
  BackendRef, FixedResponseOptions, RedirectOptions, resolveUrlMapRule, RuleActionSpec, UrlMapModel, UrlMapRuleModel, UrlMapRuleSettings,
} from '../lib/model/url-map';
import type { BackendService } from './backend-service';
import { recordIssues, rememberCreationSite, tokenIssues } from './errors';
import type { LoadBalancer } from './load-balancer';
import { markModelChanged } from './model-generation';

// The prop structs are declared once, documented, beside the rules that check them (lib/model).
export { FixedResponseOptions, HeaderRules, RedirectOptions, RewriteOptions } from '../lib/model/url-map';

function backendRef(backend: BackendService): BackendRef {
  return { path: backend.node.path, loadBalancerPath: backend.loadBalancer.node.path, protocol: backend.protocol };
}

/** What a rule does with the requests it matches. */
export class RuleAction {
  /** Forwards to a backend service of the same load balancer (HTTP). */
  public static forward(backendService: BackendService): RuleAction {
    return new RuleAction({ kind: 'forward', backend: backendRef(backendService) });
  }

  /** Answers with a redirect; fields left out keep the request's value, at least one must be set. */
  public static redirect(options: RedirectOptions): RuleAction {
    return new RuleAction({ kind: 'redirect', redirect: options });
  }

  /** Answers with a fixed status, content type and body. */
  public static fixedResponse(options: FixedResponseOptions): RuleAction {
    return new RuleAction({ kind: 'fixedResponse', fixedResponse: options });
  }

  /** @internal */
  public readonly _spec: RuleActionSpec;

  private constructor(spec: RuleActionSpec) {
    this._spec = spec;
  }
}

/** Options of urlMap.addRule. */
export interface RuleOptions extends UrlMapRuleSettings {
  /** What the rule does: RuleAction.forward, RuleAction.redirect or RuleAction.fixedResponse. */
  readonly action: RuleAction;
  /**
   * A backend service that receives a copy of each matched request, its body included up to
   * `mirrorMaxBodyBytes`; its responses are discarded and it never delays, alters or fails the
   * client's request (forward rules only).
   * @default - no mirror
   */
  readonly mirror?: BackendService;
}

/** Properties of a UrlMap. */
export interface UrlMapProps {
  /** The load balancer the URL map belongs to. */
  readonly loadBalancer: LoadBalancer;
}

/**
 * A URL map (JD Cloud's forwarding rule group): rules that pick an action by host and path.
 * Belongs to one load balancer; its HTTP/HTTPS listeners may share it (`urlMap` prop).
 */
export class UrlMap extends Construct {
  /** The load balancer the URL map belongs to. */
  public readonly loadBalancer: LoadBalancer;
  private readonly ruleList: UrlMapRuleModel[] = [];

  constructor(scope: Construct, id: string, props: UrlMapProps) {
    super(scope, id);
    rememberCreationSite(this);
    this.loadBalancer = props.loadBalancer;
    props.loadBalancer._registerUrlMap(this);
  }

  /**
   * Adds a rule. Precedence does not depend on the order rules are added in: the most
   * specific host, then the most specific path wins (see docs/constructs.md).
   */
  public addRule(id: string, options: RuleOptions): void {
    const { action, mirror, ...settings } = options;
    const resolved = resolveUrlMapRule({
      ...settings,
      mapPath: this.node.path,
      loadBalancerPath: this.loadBalancer.node.path,
      name: id,
      action: action._spec,
      mirror: mirror === undefined ? undefined : backendRef(mirror),
    }, this.ruleList);
    const tokens = tokenIssues(this.node.path, `rules.${id}`, settings);
    const actionTokens = action._spec.kind === 'forward' ? [] : tokenIssues(this.node.path, `rules.${id}.action`, action._spec);
    const issues = [...tokens, ...actionTokens, ...resolved.errors];
    // Reported at synth with the line of this call; a refused rule is left out of the map.
    recordIssues(this, issues);
    if (issues.length === 0) this.ruleList.push(resolved.model);
    markModelChanged();
  }

  /** Number of rules. */
  public get ruleCount(): number {
    return this.ruleList.length;
  }

  /** @internal */
  public _toModel(): UrlMapModel {
    return { path: this.node.path, loadBalancerPath: this.loadBalancer.node.path, rules: [...this.ruleList] };
  }
}
