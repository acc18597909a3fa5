/**
 * Credentials in the shapes of real ones, never real: bodies come from a seeded generator, and
 * every prefix is assembled at runtime so no complete token is written in the repository (which
 * would also trip secret scanning on push).
 */
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_AND_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64 = `${ALPHANUMERIC}+/`;

/** Deterministic characters from `alphabet` (mulberry32), so the corpus is the same every run. */
export function randomText(seed: number, length: number, alphabet = ALPHANUMERIC): string {
  let state = seed >>> 0;
  let text = '';
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    text += alphabet[((t ^ (t >>> 14)) >>> 0) % alphabet.length];
  }
  return text;
}

const join = (...parts: string[]) => parts.join('');
const LOWER_AND_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A PEM block of `label` whose body starts with the DER bytes `magic` (base64), padded to whole quads. */
function pem(label: string, magic: string, seed: number, bodyLength: number): string {
  const body = join(magic, randomText(seed, bodyLength - magic.length, BASE64));
  const lines = body.match(/.{1,64}/g)!.join('\n');
  return join('-----BEGIN ', label, '-----\n', lines, '\n-----END ', label, '-----');
}
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export const fake = {
  openAiProjectKey: (seed = 1) => join('sk-', 'proj-', randomText(seed, 74), 'T3Blbk', 'FJ', randomText(seed + 1, 74)),
  openAiLegacyKey: (seed = 2) => join('sk-', randomText(seed, 20), 'T3Blbk', 'FJ', randomText(seed + 1, 20)),
  anthropicKey: (seed = 3) => join('sk-', 'ant-', 'api03-', randomText(seed, 93), 'AA'),
  gitHubToken: (seed = 4) => join('gh', 'p_', randomText(seed, 36)),
  gitHubFineGrainedToken: (seed = 5) => join('github', '_pat_', randomText(seed, 22), '_', randomText(seed + 1, 59)),
  gitLabToken: (seed = 6) => join('gl', 'pat-', randomText(seed, 20)),
  slackBotToken: (seed = 7) =>
    join('xo', 'xb-', randomText(seed, 10, '0123456789'), '-', randomText(seed + 1, 13, '0123456789'), '-', randomText(seed + 2, 24)),
  slackWebhookUrl: (seed = 8) =>
    join(
      'https://hooks.',
      'slack.com/services/',
      'T',
      randomText(seed, 8, UPPER_AND_DIGITS),
      '/B',
      randomText(seed + 1, 8, UPPER_AND_DIGITS),
      '/',
      randomText(seed + 2, 24),
    ),
  awsAccessKeyId: (seed = 9) => join('AK', 'IA', randomText(seed, 16, UPPER_AND_DIGITS)),
  awsSecretAccessKey: (seed = 10) => randomText(seed, 40, BASE64),
  stripeLiveKey: (seed = 11) => join('sk_', 'live_', randomText(seed, 24)),
  npmToken: (seed = 12) => join('np', 'm_', randomText(seed, 36)),
  sendGridKey: (seed = 13) => join('S', 'G.', randomText(seed, 22), '.', randomText(seed + 1, 43)),
  googleApiKey: (seed = 14) => join('AI', 'za', randomText(seed, 35)),
  jwt: (seed = 15) => [base64url({ alg: 'HS256', typ: 'JWT' }), base64url({ sub: `user-${seed}`, iat: 1700000000 + seed }), randomText(seed, 43)].join('.'),
  opaqueToken: (seed = 16) => randomText(seed, 40),
  password: (seed = 17) => join(randomText(seed, 6), '-', randomText(seed + 1, 6, '0123456789')),
  /** SEC1 P-256 (`MHcCAQEEI…`): 164 base64 characters, shorter than secretlint's privatekey rule expects. */
  ecPrivateKeyPem: (seed = 19) => pem(join('EC ', 'PRIVATE KEY'), 'MHcCAQEEI', seed, 164),
  /** PKCS#8 Ed25519 (`MC4CAQAwBQYDK2VwBCIEI…`): 64 base64 characters. */
  ed25519PrivateKeyPem: (seed = 20) => pem(join('PRIVATE', ' KEY'), 'MC4CAQAwBQYDK2VwBCIEI', seed, 64),
  /** A Slack bot token that is also a lowercase slug, so it fits a package id or a tag. */
  slackTokenSlug: (seed = 21) =>
    join('xo', 'xb-', randomText(seed, 10, '0123456789'), '-', randomText(seed + 1, 13, '0123456789'), '-', randomText(seed + 2, 24, LOWER_AND_DIGITS)),
  gitLabTokenSlug: (seed = 22) => join('gl', 'pat-', randomText(seed, 26, LOWER_AND_DIGITS)),
  privateKeyPem: (seed = 18) => {
    const body = join('MII', 'EowIBAAKCAQEA', randomText(seed, 1500, BASE64));
    const lines = body.match(/.{1,64}/g)!.join('\n');
    return join('-----BEGIN RSA ', 'PRIVATE KEY-----\n', lines, '\n-----END RSA ', 'PRIVATE KEY-----');
  },
};
