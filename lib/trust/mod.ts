/**
 * Who may talk to whom: token proofs (`auth.ts`), TLS settings and
 * certificates, known hosts, the failure rate limit, the config directory
 * and certificate pairing.
 *
 * @module
 */

export * from "./auth.ts";
export * from "./certificate.ts";
export * from "./config_dir.ts";
export * from "./failure_throttle.ts";
export * from "./known_hosts.ts";
export * from "./pairing.ts";
export * from "./rate_limit.ts";
export * from "./tls.ts";
export * from "./token_store.ts";
