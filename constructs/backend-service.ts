import { Construct } from 'constructs';
import { BackendServiceModel, resolveBackendService } from '../lib/model/backend-service';
import { Algorithm, BackendProtocol, HealthCheckHttpVersion, HealthCheckProtocol } from '../lib/model/enums';
import { AttachedBackendServiceModel } from '../lib/model/load-balancer';
import { AvailabilityGroup } from './availability-group';
import { AlbValidationError, throwIfProblems, tokenProblems } from './errors';
import type { LoadBalancer } from './load-balancer';
import { VirtualServerGroup } from './virtual-server-group';
import { addDeferredWarnings } from './warnings';
import { markModelChanged } from './model-generation';

/** Cookie-insertion session persistence (HTTP backend services only). */
export interface SessionPersistence {
  /**
   * Idle lifetime of the session cookie in seconds (0..86400); each response refreshes it.
   * 0 = a browser-session cookie with no idle limit.
   * @default 0
   */
  readonly cookieTimeoutSeconds?: number;
  /**
   * Name of the inserted cookie.
   * @default 'ALB_SESSION'
   */
  readonly cookieName?: string;
}

/** Active health check of a backend service's targets. */
export interface HealthCheck {
  /**
   * Whether targets are checked. Without checks every target with weight > 0 gets traffic.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * How to check.
   * @default - HealthCheckProtocol.HTTP for HTTP backend services, HealthCheckProtocol.TCP for TCP ones
   */
  readonly protocol?: HealthCheckProtocol;
  /**
   * Port to check (0..65535); 0 = the target's traffic port.
   * @default 0
   */
  readonly port?: number;
  /**
   * Seconds between checks (5..300).
   * @default 5
   */
  readonly intervalSeconds?: number;
  /**
   * Seconds a check may take (2..60).
   * @default 3
   */
  readonly timeoutSeconds?: number;
  /**
   * Consecutive successes that make an unhealthy target healthy (1..5).
   * @default 3
   */
  readonly healthyThresholdCount?: number;
  /**
   * Consecutive failures that make a healthy target unhealthy (1..5).
   * @default 3
   */
  readonly unhealthyThresholdCount?: number;
  /**
   * HTTP version of check requests (HTTP checks only).
   * @default HealthCheckHttpVersion.HTTP1_0
   */
  readonly httpVersion?: HealthCheckHttpVersion;
  /**
   * Host header of check requests, at most 255 characters (HTTP checks only).
   * @default - the target's address
   */
  readonly domain?: string;
  /**
   * Request path, starting with `/` (HTTP checks only).
   * @default '/'
   */
  readonly path?: string;
  /**
   * Status codes that count as healthy: classes, codes and ranges within 200..499, e.g.
   * `2xx,3xx` or `200,202-207` (HTTP checks only).
   * @default '2xx,3xx'
   */
  readonly healthyHttpCodes?: string;
}

/** X-Forwarded-* headers added to requests (HTTP backend services; X-Forwarded-For is always added). */
export interface ForwardedHeaders {
  /**
   * Add X-Forwarded-Proto (http/https).
   * @default false
   */
  readonly proto?: boolean;
  /**
   * Add X-Forwarded-Port (the listener's port).
   * @default false
   */
  readonly port?: boolean;
  /**
   * Add X-Forwarded-Host (the client's Host header).
   * @default false
   */
  readonly host?: boolean;
  /**
   * Add X-Forwarded-LBIP (the LB node's address).
   * @default false
   */
  readonly lbIp?: boolean;
  /**
   * Add X-Forwarded-Client-Port.
   * @default false
   */
  readonly clientPort?: boolean;
}

/** Passive health: targets that keep failing are taken out for a while (nginx max_fails/fail_timeout). */
export interface PassiveHealthCheck {
  /**
   * Failures within failTimeoutSeconds that take a target out for failTimeoutSeconds (0..100; 0 = off).
   * @default 3
   */
  readonly maxFails?: number;
  /**
   * The window and the time out, in seconds (1..3600).
   * @default 10
   */
  readonly failTimeoutSeconds?: number;
}

/** Options of lb.addBackendService. */
export interface BackendServiceOptions {
  /** Protocol spoken to targets: HTTP behind HTTP/HTTPS listeners, TCP behind TCP/TLS listeners. */
  readonly protocol: BackendProtocol;
  /** Default target port (1..65535); a target's own port overrides it. */
  readonly port: number;
  /**
   * Scheduling algorithm (all weighted).
   * @default Algorithm.WEIGHTED_ROUND_ROBIN
   */
  readonly algorithm?: Algorithm;
  /**
   * Cookie-insertion session persistence (HTTP backend services only).
   * @default - off
   */
  readonly sessionPersistence?: SessionPersistence;
  /**
   * Active health check.
   * @default - enabled with JD Cloud's defaults (see HealthCheck)
   */
  readonly healthCheck?: HealthCheck;
  /**
   * Optional X-Forwarded-* headers (HTTP backend services only).
   * @default - only X-Forwarded-For
   */
  readonly forwardedHeaders?: ForwardedHeaders;
  /**
   * Send a PROXY protocol v1 header to targets (TCP backend services only).
   * @default false
   */
  readonly proxyProtocol?: boolean;
  /**
   * Seconds allowed to connect to a target (1..120).
   * @default 5
   */
  readonly connectTimeoutSeconds?: number;
  /**
   * Seconds allowed for a target's response headers before the client gets 504 (1..3600).
   * @default 60
   */
  readonly responseTimeoutSeconds?: number;
  /**
   * Passive health check.
   * @default - maxFails 3 within 10 seconds
   */
  readonly passiveHealthCheck?: PassiveHealthCheck;
}

/** Properties of a BackendService. */
export interface BackendServiceProps extends BackendServiceOptions {
  /** The load balancer the backend service belongs to. */
  readonly loadBalancer: LoadBalancer;
}

/**
 * A backend service: protocol, port, scheduling, persistence and health checking, over
 * the server groups and availability groups it sends traffic to.
 */
export class BackendService extends Construct {
  /** The load balancer the backend service belongs to. */
  public readonly loadBalancer: LoadBalancer;
  /** Protocol spoken to targets. */
  public readonly protocol: BackendProtocol;
  /** Default target port. */
  public readonly port: number;
  /** Scheduling algorithm. */
  public readonly algorithm: Algorithm;
  private readonly model: BackendServiceModel;
  private readonly groups: VirtualServerGroup[] = [];
  private readonly availabilityGroupList: AvailabilityGroup[] = [];
  private readonly attachmentOrder: ('serverGroup' | 'availabilityGroup')[] = [];

  constructor(scope: Construct, id: string, props: BackendServiceProps) {
    super(scope, id);
    const path = this.node.path;
    const { loadBalancer, ...options } = props;
    const resolved = resolveBackendService({ path, ...options });
    throwIfProblems([...tokenProblems(path, '', options), ...resolved.errors]);
    this.model = resolved.model;
    this.loadBalancer = loadBalancer;
    this.protocol = resolved.model.protocol;
    this.port = resolved.model.port;
    this.algorithm = resolved.model.algorithm;
    loadBalancer._registerBackendService(this);
    addDeferredWarnings(this, () => resolved.warnings);
  }

  /**
   * Sends traffic to a virtual server group's targets. The group must belong to this
   * backend service's load balancer (checked at synth).
   */
  public addServerGroup(group: VirtualServerGroup): void {
    if (this.groups.includes(group)) {
      throw new AlbValidationError([`${this.node.path}: serverGroups ${JSON.stringify(group.node.path)} is already attached; allowed: each server group once per backend service`]);
    }
    this.groups.push(group);
    this.attachmentOrder.push('serverGroup');
    markModelChanged();
  }

  /**
   * Sends traffic to an availability group's instances (with the group's default weight and
   * its template's port). The group must be in the load balancer's VPC (checked at synth).
   */
  public addAvailabilityGroup(group: AvailabilityGroup): void {
    if (this.availabilityGroupList.includes(group)) {
      throw new AlbValidationError([`${this.node.path}: availabilityGroups ${JSON.stringify(group.node.path)} is already attached; allowed: each availability group once per backend service`]);
    }
    this.availabilityGroupList.push(group);
    this.attachmentOrder.push('availabilityGroup');
    markModelChanged();
  }

  /** The attached server groups, in attachment order. */
  public get serverGroups(): VirtualServerGroup[] {
    return [...this.groups];
  }

  /** The attached availability groups, in attachment order. */
  public get availabilityGroups(): AvailabilityGroup[] {
    return [...this.availabilityGroupList];
  }

  /** @internal */
  public _toModel(): AttachedBackendServiceModel {
    return {
      ...this.model,
      loadBalancerPath: this.loadBalancer.node.path,
      serverGroups: this.groups.map((g) => g._toModel()),
      availabilityGroups: this.availabilityGroupList.map((g) => g._toModel()),
      attachmentOrder: [...this.attachmentOrder],
    };
  }
}
