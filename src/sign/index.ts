export { generateKeyPair } from './generate-key-pair.js';
export { loadPrivateKey } from './load-private-key.js';
export { loadPublicKey } from './load-public-key.js';
export { signBundleManifest } from './sign-manifest.js';
export { verifyBundleSignature } from './verify-signature.js';
export { readSignatureKeyHint } from './signature-bundle.js';
