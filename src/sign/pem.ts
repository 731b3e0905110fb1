/**
 * A small PEM codec (RFC 7468). Node's crypto only parses the labels OpenSSL knows; cosign's encrypted key labels
 * ("ENCRYPTED SIGSTORE PRIVATE KEY") must be read by hand, and one file may hold several blocks (for example
 * `openssl ecparam -genkey` writes "EC PARAMETERS" before "EC PRIVATE KEY").
 */

/** PemBlock is one `-----BEGIN label-----` … `-----END label-----` block of a PEM file. */
export interface PemBlock {
  /** The label, e.g. `PUBLIC KEY`. */
  label: string;
  /** The block's RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`), if any. */
  headers: Record<string, string>;
  /** The base64-decoded body. */
  der: Buffer;
  /** The block's own text, BEGIN to END line, for APIs that take PEM. */
  text: string;
}

/** The label current cosign writes on its encrypted private keys. */
export const SIGSTORE_ENCRYPTED_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
/** The label of older cosign key files, which cosign still reads. */
export const COSIGN_ENCRYPTED_KEY_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY';
/** PKCS#8 private key (RFC 5208), unencrypted. */
export const PKCS8_LABEL = 'PRIVATE KEY';
/** PKCS#8 private key encrypted under a passphrase (PBES2). */
export const PKCS8_ENCRYPTED_LABEL = 'ENCRYPTED PRIVATE KEY';
/** SEC1 EC private key (RFC 5915), as `openssl ecparam -genkey` writes. */
export const SEC1_LABEL = 'EC PRIVATE KEY';
/** SubjectPublicKeyInfo public key (RFC 5280), as cosign.pub. */
export const SPKI_LABEL = 'PUBLIC KEY';

/** isPrivateKeyLabel tells whether a PEM label names a private key of any kind (PKCS#8, SEC1, RSA, OpenSSH, cosign). */
export function isPrivateKeyLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY');
}

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const HEADER_RE = /^([A-Za-z0-9-]+):\s*(.*)$/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * decodePem returns every well-formed PEM block of `text`, in order. A block whose body is not base64 is left
 * out, so a garbled file yields no blocks rather than a half-decoded key.
 */
export function decodePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK_RE)) {
    const label = m[1] ?? '';
    const lines = (m[2] ?? '').split(/\r?\n/).map((l) => l.trim());
    const headers: Record<string, string> = {};
    let i = 0;
    // RFC 1421 headers come first and end at a blank line.
    if (lines.length > 0 && HEADER_RE.test(lines[0] ?? '')) {
      for (; i < lines.length && lines[i] !== ''; i++) {
        const h = HEADER_RE.exec(lines[i] ?? '');
        if (h !== null) headers[h[1] ?? ''] = h[2] ?? '';
      }
    }
    const body = lines.slice(i).join('');
    if (body.length === 0 || !BASE64_RE.test(body)) continue;
    blocks.push({ label, headers, der: Buffer.from(body, 'base64'), text: m[0] });
  }
  return blocks;
}

/** encodePem writes one PEM block with 64-character lines, as Go's `pem.Encode` does. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
