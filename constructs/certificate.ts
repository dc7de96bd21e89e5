import * as path from 'path';
import { CertificateModel } from '../lib/model/certificate';
import { Issue, issue } from '../lib/model/messages';
import { throwIfIssues } from './errors';

/**
 * A TLS certificate and its private key, as PEM files the LB nodes read. Relative paths are
 * resolved against the project directory (where `cdktf synth` runs) when the certificate is
 * created, so the config document always carries absolute paths.
 */
export class Certificate {
  /**
   * A certificate from PEM files.
   * @param certFile path of the PEM certificate chain (leaf first)
   * @param keyFile path of the PEM private key
   * @param name name in messages and in the config document (default: the certificate file's base name)
   */
  public static fromFiles(certFile: string, keyFile: string, name?: string): Certificate {
    // A static factory has no construct to record problems on: they throw at once.
    const problems: Issue[] = [];
    for (const [field, value] of [['certFile', certFile], ['keyFile', keyFile]] as const) {
      if (typeof value !== 'string' || value.trim() === '') {
        problems.push(issue('Certificate.fromFiles', field, value, 'is empty', 'a path of a PEM file'));
      }
    }
    throwIfIssues(problems);
    return new Certificate(path.resolve(certFile), path.resolve(keyFile), name ?? path.basename(certFile).replace(/\.(pem|crt|cer)$/i, ''));
  }

  /** Absolute path of the PEM certificate chain. */
  public readonly certFile: string;
  /** Absolute path of the PEM private key. */
  public readonly keyFile: string;
  /** Name in messages and in the config document. */
  public readonly name: string;

  private constructor(certFile: string, keyFile: string, name: string) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.name = name;
  }

  /** @internal */
  public _toModel(): CertificateModel {
    return { name: this.name, certFile: this.certFile, keyFile: this.keyFile };
  }
}

/** A certificate served to clients that ask for a domain by SNI. */
export interface SniCertificate {
  /** `exact.example.com` or `*.example.com`. */
  readonly domain: string;
  /** The certificate for that domain. */
  readonly certificate: Certificate;
}
