/**
 * Security pieces a node uses when `keys`, `label`, `signing` or `acceptPublishers` is set, for
 * applications that build keys or transports themselves: cluster keys and the {@linkcode Keyring},
 * the AES-256-GCM sealing transport, Ed25519 origin signatures and the key-file helpers behind
 * `cli.ts keygen`. What each defends against: docs/SECURITY.md.
 *
 * @example A sealed, labelled node with a fresh key
 * ```ts
 * import { GossipNode } from "@starling/gossip";
 * import { generateKey, Keyring } from "@starling/gossip/security";
 *
 * const keyring = await Keyring.create([generateKey()]);
 * await using node = await GossipNode.start({ listen: "127.0.0.1:0", keys: keyring, label: "prod" });
 * console.log(node.stats().transport.security?.sealed);
 * ```
 *
 * @module
 */

export { type KeyInfo, type KeyInput, Keyring, type RingKey } from "./lib/security/keyring.ts";
export { deriveKeyFromPassphrase, generateKey, parseKeyFile } from "./lib/security/key_material.ts";
export {
  SecureTransport,
  type SecureTransportOptions,
  type SecureTransportStats,
  type SecurityStats,
} from "./lib/security/secure_transport.ts";
export { type OpenReason, SEAL_OVERHEAD, type SealerOptions } from "./lib/security/sealer.ts";
export {
  OriginSignatureFilter,
  type SignatureFilterOptions,
  type SignatureReason,
  type SignatureStats,
  stripSignature,
} from "./lib/security/signature_filter.ts";
export {
  SignatureTransport,
  type SignatureTransportStats,
} from "./lib/security/signature_transport.ts";
export {
  generateSigningKeyPair,
  SIGNATURE_BYTES,
  type SigningKeyPair,
} from "./lib/security/origin_signer.ts";
export { keygenCommand, type KeygenIo, loadKeyring } from "./lib/cli/keygen_command.ts";
export type { RateLimit } from "./lib/defaults.ts";
