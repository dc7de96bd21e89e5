import * as fs from 'fs';
import { Construct } from 'constructs';
import { CertificateModel, SniCertificateModel } from '../lib/model/certificate';
import { ListenerProtocol } from '../lib/model/enums';
import { checkCertificatesAddable, checkSniCertificateAddable, ListenerModel, ListenerSettings, resolveListener } from '../lib/model/listener';
import { AttachedListenerModel } from '../lib/model/load-balancer';
import { ModelWarning } from '../lib/model/messages';
import { WarningIds } from '../lib/model/warnings';
import { BackendService } from './backend-service';
import { Certificate, SniCertificate } from './certificate';
import type { UrlMap } from './url-map';
import { recordIssues, rememberCreationSite, tokenIssues } from './errors';
import type { LoadBalancer } from './load-balancer';
import { addDeferredWarnings } from './warnings';
import { markModelChanged } from './model-generation';

// The prop structs are declared once, documented, beside the rules that check them (lib/model).
export { HstsOptions, TlsPolicy } from '../lib/model/listener';

/** Options of lb.addListener. */
export interface ListenerOptions extends ListenerSettings {
  /** The default backend service (of the same load balancer, with the matching protocol). */
  readonly backendService: BackendService;
  /**
   * Default certificates of a TLS/HTTPS listener: one, or two with different key
   * algorithms (e.g. RSA and ECDSA). More can be added with addCertificates.
   * @default - none; a TLS/HTTPS listener without certificates fails synth
   */
  readonly certificates?: Certificate[];
  /**
   * Certificates chosen by the SNI server name (`exact.name` or `*.suffix`).
   * @default - none
   */
  readonly sniCertificates?: SniCertificate[];
  /**
   * Forwarding rules (HTTP/HTTPS listeners): a URL map of the same load balancer. Requests no
   * rule matches go to `backendService`.
   * @default - every request goes to `backendService`
   */
  readonly urlMap?: UrlMap;
}

/** Properties of a Listener. */
export interface ListenerProps extends ListenerOptions {
  /** The load balancer the listener belongs to. */
  readonly loadBalancer: LoadBalancer;
}

/** A listener: a protocol and port on a load balancer, forwarding to a default backend service. */
export class Listener extends Construct {
  /** The load balancer the listener belongs to. */
  public readonly loadBalancer: LoadBalancer;
  /** Protocol clients speak. */
  public readonly protocol: ListenerProtocol;
  /** Port on every node of the load balancer. */
  public readonly port: number;
  /** The default backend service. */
  public readonly backendService: BackendService;
  /** The listener's URL map, if any. */
  public readonly urlMap?: UrlMap;
  private readonly model: ListenerModel;
  private readonly certificateList: CertificateModel[] = [];
  private readonly sniList: SniCertificateModel[] = [];

  constructor(scope: Construct, id: string, props: ListenerProps) {
    super(scope, id);
    rememberCreationSite(this);
    const path = this.node.path;
    const { loadBalancer, backendService, certificates, sniCertificates, urlMap, ...options } = props;
    const resolved = resolveListener({ path, ...options });
    recordIssues(this, [...tokenIssues(path, '', options), ...resolved.errors]);
    this.model = resolved.model;
    this.loadBalancer = loadBalancer;
    this.protocol = resolved.model.protocol;
    this.port = resolved.model.port;
    this.backendService = backendService;
    this.urlMap = urlMap;
    if (certificates && certificates.length > 0) this.addCertificates(...certificates);
    (sniCertificates ?? []).forEach((s) => this.addSniCertificate(s.domain, s.certificate));
    loadBalancer._registerListener(this);
    addDeferredWarnings(this, () => this.missingFileWarnings());
  }

  /** Adds default certificates (TLS/HTTPS listeners; at most two in all). */
  public addCertificates(...certificates: Certificate[]): void {
    const models = certificates.map((c) => c._toModel());
    const issues = checkCertificatesAddable(this.node.path, this.protocol, this.certificateList.length, models);
    recordIssues(this, issues);
    if (issues.length > 0) return;
    this.certificateList.push(...models);
    markModelChanged();
  }

  /** Serves `certificate` to clients asking for `domain` (`exact.name` or `*.suffix`) by SNI. */
  public addSniCertificate(domain: string, certificate: Certificate): void {
    const model = { domain, certificate: certificate._toModel() };
    const issues = checkSniCertificateAddable(this.node.path, this.protocol, this.sniList, model);
    recordIssues(this, issues);
    if (issues.length > 0) return;
    this.sniList.push(model);
    markModelChanged();
  }

  /** @internal */
  public _toModel(): AttachedListenerModel {
    return {
      ...this.model,
      certificates: [...this.certificateList],
      sniCertificates: [...this.sniList],
      backendService: this.backendService._toModel(),
      urlMap: this.urlMap === undefined ? null : this.urlMap._toModel(),
    };
  }

  /** The files are read on the LB nodes; on this machine a missing file is most likely a typo. */
  private missingFileWarnings(): ModelWarning[] {
    const all = [...this.certificateList, ...this.sniList.map((s) => s.certificate)];
    const warnings: ModelWarning[] = [];
    for (const c of all) {
      for (const file of [c.certFile, c.keyFile]) {
        if (!fs.existsSync(file)) {
          warnings.push({ id: WarningIds.CERTIFICATE_FILE_MISSING, path: this.node.path, message: `certificate "${c.name}": file ${file} does not exist on this machine (LB nodes read it at start)` });
        }
      }
    }
    return warnings;
  }
}
