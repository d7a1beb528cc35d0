/**
 * The security layer of a {@linkcode GossipNode}: the options that switch it on and the
 * decorators `GossipNode.start` stacks between the socket and the engine (socket → sealing →
 * signatures → engine).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { RateLimit } from "../defaults.ts";
import { Keyring } from "../security/keyring.ts";
import { SecureTransport, type SecureTransportOptions } from "../security/secure_transport.ts";
import {
  OriginSignatureFilter,
  type SignatureFilterOptions,
} from "../security/signature_filter.ts";
import { SignatureTransport } from "../security/signature_transport.ts";
import type { Transport } from "../transport/transport.ts";

const logger = getLogger(["starling", "security"]);

/** The security options of a node; every one is off when absent. */
export interface NodeSecurityOptions {
  /**
   * Cluster keys: a {@linkcode Keyring}, or raw 32-byte keys / base64 strings (the first is
   * primary). Every datagram is sealed with AES-256-GCM (30 bytes more per datagram); datagrams
   * not sealed under an installed key are dropped and counted.
   */
  keys?: Keyring | readonly (Uint8Array | string)[];
  /**
   * Cluster label: bound as associated data with `keys`, a 4-byte tag without. Nodes with another
   * label drop this node's datagrams (and count them).
   */
  label?: string;
  /**
   * This node's Ed25519 private key (base64 PKCS#8, or an imported `CryptoKey`): what it publishes
   * is signed (64 bytes of each payload); publish with `GossipNode.publishSigned`.
   */
  signing?: string | CryptoKey;
  /**
   * Ed25519 public keys (base64 raw, or imported) of the publishers whose messages are accepted;
   * datagrams carrying unsigned or otherwise signed messages are dropped and counted.
   */
  acceptPublishers?: readonly (string | CryptoKey)[];
  /**
   * Per-source rate limit of the sealing layer, applied before anything is decrypted (so it is
   * in force when `keys` or `label` is set): datagrams per second and burst per source address,
   * and how many source addresses are tracked. Fields left out keep their defaults.
   * @default {{ ratePerSecond: 2000, burst: 2000, maxSources: 4096 }}
   */
  rateLimit?: Partial<RateLimit>;
}

/** Names of the {@linkcode NodeSecurityOptions}, kept away from the engine's options. */
export const SECURITY_KEYS: readonly string[] = [
  "keys",
  "label",
  "signing",
  "acceptPublishers",
  "rateLimit",
];

/** @internal What {@linkcode prepareSecurity} builds before the socket is bound. */
export interface PreparedSecurity {
  /** Sealing options for the transport, or undefined when nothing is sealed or labelled. */
  sealing: SecureTransportOptions | undefined;
  /** The signature filter, or undefined when nothing is signed or checked. */
  filter: OriginSignatureFilter | undefined;
}

/**
 * @internal Imports keys and builds the signature filter (no socket yet, so a bad key closes
 * nothing).
 *
 * @throws {GossipError} `invalid_option` for a malformed key.
 */
export async function prepareSecurity(options: NodeSecurityOptions): Promise<PreparedSecurity> {
  let sealing: SecureTransportOptions | undefined;
  if (options.keys !== undefined || options.label !== undefined) {
    sealing = {};
    if (options.keys !== undefined) {
      sealing.keyring = options.keys instanceof Keyring
        ? options.keys
        : await Keyring.create(options.keys);
    }
    if (options.label !== undefined) sealing.label = options.label;
    const limit = options.rateLimit ?? {};
    if (limit.ratePerSecond !== undefined) sealing.ratePerSecond = limit.ratePerSecond;
    if (limit.burst !== undefined) sealing.burst = limit.burst;
    if (limit.maxSources !== undefined) sealing.maxSources = limit.maxSources;
  }
  let filter: OriginSignatureFilter | undefined;
  if (options.signing !== undefined || options.acceptPublishers !== undefined) {
    const filterOptions: SignatureFilterOptions = {};
    if (options.signing !== undefined) filterOptions.signingKey = options.signing;
    if (options.acceptPublishers !== undefined) {
      filterOptions.acceptPublishers = options.acceptPublishers;
    }
    filter = await OriginSignatureFilter.create(filterOptions);
  }
  return { sealing, filter };
}

/** @internal The transport stack {@linkcode secureTransport} built. */
export interface SecuredTransport {
  /** The top of the stack, what the engine's datagrams go through. */
  transport: Transport;
  /** The signature decorator (signing, and the engine's seen hook), when signatures are on. */
  signatures: SignatureTransport | undefined;
}

/**
 * @internal Wraps `transport` in a {@linkcode SecureTransport} when sealing or labelling is on,
 * and that in a {@linkcode SignatureTransport} when signing or checking; closes `transport` when
 * wrapping fails.
 *
 * @throws {GossipError} `invalid_option` for a bad label.
 */
export async function secureTransport(
  transport: Transport,
  prepared: PreparedSecurity,
): Promise<SecuredTransport> {
  const sealed = await sealTransport(transport, prepared);
  if (prepared.filter === undefined) return { transport: sealed, signatures: undefined };
  const signatures = new SignatureTransport(sealed, prepared.filter);
  return { transport: signatures, signatures };
}

async function sealTransport(transport: Transport, prepared: PreparedSecurity): Promise<Transport> {
  const sealing = prepared.sealing;
  if (sealing === undefined) return transport;
  let wrapped: SecureTransport;
  try {
    wrapped = await SecureTransport.wrap(transport, sealing);
  } catch (error) {
    await transport.close();
    throw error;
  }
  logger.info("Datagrams {mode} ({overhead} bytes each){keys}", {
    mode: sealing.keyring ? "sealed with AES-256-GCM" : "labelled",
    overhead: wrapped.overhead,
    keys: sealing.keyring ? `, primary key ${sealing.keyring.primary.fingerprint}` : "",
  });
  return wrapped;
}
