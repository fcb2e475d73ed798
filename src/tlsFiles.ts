import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ControllerError } from './api/errors';

/** PEM file paths; read when the agent starts. */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** The contents of those files. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** One TLS file that cannot be used: `field` is `ca`, `cert` or `key`. */
export class TlsFileError extends ControllerError {
  constructor(
    readonly field: keyof TlsFiles,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function read(field: keyof TlsFiles, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new TlsFileError(field, `cannot read ${path}: ${reason(cause)}`, cause);
  }
}

/**
 * Every certificate of a PEM file must parse. Node's TLS API alone would not do: it silently
 * skips anything in a CA bundle that is not a certificate, so a garbage CA only shows up later as
 * an unreachable southbound or etcd.
 */
function checkCertificates(field: 'ca' | 'cert', path: string, pem: Buffer): void {
  const blocks = pem.toString('utf8').match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) throw new TlsFileError(field, `${path} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`);
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch (cause) {
      const which = blocks.length > 1 ? `certificate ${index + 1} of ${path}` : `the certificate in ${path}`;
      throw new TlsFileError(field, `${which} does not parse: ${reason(cause)}`, cause);
    }
  });
}

/**
 * Reads the PEM files of one TLS client and checks them with Node's crypto and TLS APIs before
 * anything connects: each certificate parses, the key is an (unencrypted) PEM private key, and
 * the key belongs to the certificate. Throws a TlsFileError naming the file and the reason.
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const material: TlsMaterial = {};
  if (files.ca !== undefined) {
    material.ca = read('ca', files.ca);
    checkCertificates('ca', files.ca, material.ca);
  }
  if (files.cert !== undefined) {
    material.cert = read('cert', files.cert);
    checkCertificates('cert', files.cert, material.cert);
  }
  if (files.key !== undefined) {
    const key = read('key', files.key);
    try {
      createPrivateKey(key);
    } catch (cause) {
      throw new TlsFileError('key', `${files.key} is not a usable PEM private key: ${reason(cause)}`, cause);
    }
    material.key = key;
  }
  if (material.cert && material.key) {
    try {
      createSecureContext({ cert: material.cert, key: material.key });
    } catch (cause) {
      throw new TlsFileError('key', `${files.key} does not belong to the certificate ${files.cert}: ${reason(cause)}`, cause);
    }
  }
  return material;
}
