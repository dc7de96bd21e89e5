/** TLS material by file reference: the runtime reads PEM files on the node. */

export interface CertificateModel {
  /** Name used in messages and in the config document. */
  readonly name: string;
  /** Absolute path of the PEM certificate chain. */
  readonly certFile: string;
  /** Absolute path of the PEM private key. */
  readonly keyFile: string;
}

export interface SniCertificateModel {
  /** `exact.name` or `*.suffix`. */
  readonly domain: string;
  readonly certificate: CertificateModel;
}
