/**
 * Certificates for the TLS server, made with `@peculiar/x509` over WebCrypto
 * (ECDSA P-256): a small CA that exists only to sign one server certificate,
 * and that certificate. The CA's private key is thrown away once it has
 * signed, so there is nothing left that could sign another one.
 *
 * Clients trust the CA (pinned after pairing, or given with `--ca`), and
 * verify the server certificate against the name {@linkcode PADLINK_TLS_NAME}.
 *
 * @module
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { toHex } from "../wire/bytes.ts";
import { configPath } from "./config_dir.ts";
import { derToPem, fingerprintOf, PADLINK_TLS_NAME, pemToDers } from "./tls.ts";

x509.cryptoProvider.set(crypto);

/** A parsed X.509 certificate, as `@peculiar/x509` gives it. */
export type X509Certificate = x509.X509Certificate;

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/** Prefix of the subject CN of every CA padlink generates. */
export const PADLINK_CA_PREFIX = "padlink CA";

/** Validity of generated certificates: 20 years, since trust is pinned, not time-based. */
const VALIDITY_MS = 20 * 365 * 24 * 3600 * 1000;

/** A certificate authority that can sign server certificates (for tests and generation). */
export interface CertificateAuthority {
  /** The CA certificate as PEM. */
  certPem: string;
  /** The CA certificate as DER. */
  der: Uint8Array<ArrayBuffer>;
  /** The CA's key pair. */
  keys: CryptoKeyPair;
  /** The parsed certificate. */
  cert: X509Certificate;
}

/** A server certificate with its private key, ready for `Deno.listenTls`. */
export interface ServerCertificate {
  /** The certificate (PEM). */
  certPem: string;
  /** The private key (PKCS#8 PEM). */
  keyPem: string;
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f; // A positive serial number.
  return toHex(bytes);
}

/**
 * Make a new CA.
 *
 * @param name Its subject common name.
 */
export async function createCa(name: string): Promise<CertificateAuthority> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: new x509.Name([{ CN: [name] }]),
    notBefore,
    notAfter: new Date(notBefore.getTime() + VALIDITY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", der: new Uint8Array(cert.rawData), keys, cert };
}

/** What {@linkcode issueServerCertificate} puts in the certificate. */
export interface IssueOptions {
  /** DNS names the certificate is valid for. */
  dnsNames: string[];
  /** IP addresses the certificate is valid for. */
  ipAddresses?: string[];
}

/** Sign a server certificate with a fresh key pair. */
export async function issueServerCertificate(
  ca: CertificateAuthority,
  options: IssueOptions,
): Promise<ServerCertificate> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  const names: x509.JsonGeneralName[] = [
    ...options.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new x509.Name([{ CN: [options.dnsNames[0] ?? PADLINK_TLS_NAME] }]),
    issuer: ca.cert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + VALIDITY_MS),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { certPem: cert.toString("pem") + "\n", keyPem: derToPem(pkcs8, "PRIVATE KEY") };
}

/** Whether a DER certificate is a CA that padlink generated (by its subject name). */
export function isPadlinkCa(der: Uint8Array): boolean {
  try {
    const cert = new x509.X509Certificate(new Uint8Array(der));
    const cn = cert.subjectName.getField("CN")[0] ?? "";
    return cn.startsWith(PADLINK_CA_PREFIX);
  } catch {
    return false;
  }
}

/** The TLS identity a server runs with. */
export interface ServerIdentity extends ServerCertificate {
  /**
   * The padlink CA that signed the certificate (DER), for pairing and
   * channel binding; null for a certificate the user brought.
   */
  caDer: Uint8Array<ArrayBuffer> | null;
  /** SHA-256 fingerprint of the CA (generated) or of the certificate (own). */
  fingerprint: string;
  /** Where the CA certificate is stored, for generated identities. */
  caFile?: string;
  /** True when it was generated by this call. */
  created: boolean;
  /**
   * Set when the private key file can be read by users other than its
   * owner (its group or everyone): a line saying so and how to fix it.
   */
  keyWarning?: string;
}

/** File names in the config directory. */
export const SERVER_FILES = {
  ca: "server-ca.pem",
  cert: "server-cert.pem",
  key: "server-key.pem",
} as const;

/**
 * A warning when the private key file `path` is readable by its group or by
 * everyone (mode bits 0o077), or null when it is not, or on a system
 * without Unix modes.
 *
 * @example Usage
 * ```ts
 * import { keyFileWarning } from "./certificate.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.chmod(path, 0o644);
 * if (!(await keyFileWarning(path))?.includes("chmod 600")) throw new Error();
 * await Deno.chmod(path, 0o600);
 * if ((await keyFileWarning(path)) !== null) throw new Error();
 * await Deno.remove(path);
 * ```
 */
export async function keyFileWarning(path: string): Promise<string | null> {
  let mode: number | null;
  try {
    mode = (await Deno.stat(path)).mode;
  } catch {
    return null;
  }
  if (mode === null || (mode & 0o077) === 0) return null;
  const who = (mode & 0o007) !== 0 ? "every user on this machine" : "its group";
  return `WARNING: the private key ${path} can be read by ${who} (mode ${
    (mode & 0o777).toString(8)
  }); anyone who reads it can impersonate this server. Run: chmod 600 ${path}`;
}

/** A certificate or key file that cannot be used. */
export class CertificateError extends Error {
  /** Create the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CertificateError";
  }
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new CertificateError(`cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Load the server's generated TLS identity from `dir`, or make one (a new CA
 * and a certificate it signs for {@linkcode PADLINK_TLS_NAME} and localhost)
 * and store it there, the key readable by the owner only.
 *
 * @throws {CertificateError} when the files exist but cannot be used.
 */
export async function loadOrCreateServerIdentity(dir: string): Promise<ServerIdentity> {
  const caFile = configPath(dir, SERVER_FILES.ca);
  const certFile = configPath(dir, SERVER_FILES.cert);
  const keyFile = configPath(dir, SERVER_FILES.key);
  const caPem = await readIfExists(caFile);
  const certPem = await readIfExists(certFile);
  const keyPem = await readIfExists(keyFile);
  if (caPem !== null && certPem !== null && keyPem !== null) {
    const caDer = pemToDers(caPem)[0];
    if (
      !caDer || pemToDers(certPem).length === 0 || pemToDers(keyPem, "PRIVATE KEY").length === 0
    ) {
      throw new CertificateError(
        `the TLS files in ${dir} are damaged; delete ${SERVER_FILES.ca}, ${SERVER_FILES.cert} and ${SERVER_FILES.key} there to make new ones (clients must then pair again)`,
      );
    }
    return {
      certPem,
      keyPem,
      caDer,
      fingerprint: await fingerprintOf(caDer),
      caFile,
      created: false,
      keyWarning: await keyFileWarning(keyFile) ?? undefined,
    };
  }
  const tag = toHex(crypto.getRandomValues(new Uint8Array(4)));
  const ca = await createCa(`${PADLINK_CA_PREFIX} ${tag}`);
  const server = await issueServerCertificate(ca, {
    dnsNames: [PADLINK_TLS_NAME, "localhost"],
  });
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(keyFile, server.keyPem, { mode: 0o600 });
    await Deno.writeTextFile(certFile, server.certPem);
    await Deno.writeTextFile(caFile, ca.certPem);
  } catch (error) {
    throw new CertificateError(
      `cannot store the TLS certificate in ${dir}: ${
        (error as Error).message
      }; pass a writable --config-dir`,
      { cause: error },
    );
  }
  return {
    ...server,
    caDer: ca.der,
    fingerprint: await fingerprintOf(ca.der),
    caFile,
    created: true,
  };
}

/**
 * Load a certificate and key the user brought (`--tls-cert`, `--tls-key`).
 *
 * @throws {CertificateError} when a file is missing or holds no certificate or key.
 */
export async function loadOwnIdentity(certFile: string, keyFile: string): Promise<ServerIdentity> {
  const certPem = await readIfExists(certFile);
  if (certPem === null) throw new CertificateError(`--tls-cert ${certFile}: no such file`);
  const keyPem = await readIfExists(keyFile);
  if (keyPem === null) throw new CertificateError(`--tls-key ${keyFile}: no such file`);
  const first = pemToDers(certPem)[0];
  if (!first) {
    throw new CertificateError(`--tls-cert ${certFile}: no PEM certificate in it`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) {
    throw new CertificateError(`--tls-key ${keyFile}: no PEM private key in it`);
  }
  return {
    certPem,
    keyPem,
    caDer: null,
    fingerprint: await fingerprintOf(first),
    created: false,
    keyWarning: await keyFileWarning(keyFile) ?? undefined,
  };
}
