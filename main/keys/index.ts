// Public API of HubScope's CURVE keys: key pairs, fingerprints, key files, the
// allow-list and where they live (docs/security.md).
export { hubscopeConfigDir } from './config-dir.js';
export {
  generateKeyPair,
  helloProof,
  keyFingerprint,
  keyProblem,
  loadOrCreateKeyPair,
  readKeyFile,
  requireCurve,
  writeKeyFile,
  writePublicKeyFile,
  KEY_FILE_FORMAT,
  type CurveKeyPair,
} from './key-pair.js';
export {
  parseAllowList,
  readAllowList,
  watchAllowList,
  ALLOW_LIST_POLL_MS,
  type AllowListWatch,
} from './allow-list.js';
export { isZ85Key, z85Decode, z85Encode, Z85_KEY_PATTERN } from './z85.js';
export { brokerKeyPath, clientKeyPath } from './key-places.js';
