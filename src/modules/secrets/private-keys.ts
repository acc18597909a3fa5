/**
 * PEM private keys that secretlint's privatekey rule (13.1) lets through: it wants at least 100
 * base64 characters starting with `MI`, the DER of keys longer than 127 bytes. A SEC1 P-256 key
 * (`BEGIN EC PRIVATE KEY`, `MHcC…`, 164 characters) and a PKCS#8 Ed25519 key (`MC4C…`, 64) are
 * shorter, so this rule accepts any DER sequence (`0x30`) or OpenSSH key of at least 40 characters.
 */

// The body may be split by CRLF, LF or their JSON escapes (`\n` inside a string holding JSON).
// The lazy body cannot run past the END line: `-` is not in its class, so the match is linear.
const PEM_PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY-----([A-Za-z0-9+/=\s\\]{40,20000}?)-----END \1PRIVATE KEY-----/g;
const OPENSSH_MAGIC = 'b3BlbnNzaC1rZXktdjE';

function isKeyBody(raw: string): boolean {
  const body = raw.replace(/\\[nrt]/g, '').replace(/\s+/g, '');
  if (body.length < 40 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return false; // `...`, `<key>`, `xxxx` are not keys
  return body.startsWith(OPENSSH_MAGIC) || Buffer.from(body.slice(0, 4), 'base64')[0] === 0x30;
}

export function holdsPrivateKey(text: string): boolean {
  for (const match of text.matchAll(PEM_PRIVATE_KEY)) if (isKeyBody(match[2]!)) return true;
  return false;
}
