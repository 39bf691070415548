/** Fabric-compatible signing primitives: SHA-256, ECDSA P-256, DER, low-S. */
export { sha256, signLowS, toLowS, verifyLowS } from './ecdsa';
