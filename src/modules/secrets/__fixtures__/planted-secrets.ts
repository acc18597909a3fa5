/** Flows and publish texts with one or more credentials planted, and the findings each must give. */
import type { SecretFinding, SecretScanInput } from '../secret-guard';
import { fake, randomText } from './fake-secrets';
import { largeFlow, plant, supportFlow, type Json } from './flows';

export interface PlantedCase {
  name: string;
  input: SecretScanInput;
  expected: SecretFinding[];
}

/** One credential planted at `pointer` in the support flow, found at `foundAt` (inside `value`). */
function inFlow(name: string, pointer: string, value: Json, rule: string, foundAt = pointer): PlantedCase {
  return { name, input: { flow: plant(supportFlow(), pointer, value) }, expected: [{ path: foundAt, rule }] };
}

/** One credential in a text published beside the flow. */
function inText(name: string, field: 'readme' | 'description' | 'changelog' | 'name' | 'packageId', text: string, rule: string): PlantedCase {
  return { name, input: { flow: supportFlow(), [field]: text }, expected: [{ path: `/${field}`, rule }] };
}

const urlEncoded = (text: string) => encodeURIComponent(text);
const base64 = (text: string) => Buffer.from(text).toString('base64');
const half = (text: string) => [text.slice(0, text.length >> 1), text.slice(text.length >> 1)] as const;

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

function deepConfig(depth: number, leaf: Json): Json {
  let value = leaf;
  for (let level = depth; level > 0; level--) value = { [`level${level}`]: value };
  return value;
}

export const PLANTED_CASES: PlantedCase[] = [
  inFlow('OpenAI project key deep in node config', '/nodes/1/config/llm/options/apiKeyValue', fake.openAiProjectKey(), 'secretlint/openai'),
  inFlow('OpenAI legacy key inside a prompt', '/nodes/1/config/system', `Use the key ${fake.openAiLegacyKey()} when calling.`, 'secretlint/openai'),
  inFlow(
    'Anthropic key in an array of providers',
    '/nodes/1/config/providers',
    [{ name: 'claude', key: fake.anthropicKey() }],
    'secretlint/anthropic',
    '/nodes/1/config/providers/0/key',
  ),
  inFlow('GitHub token in edge data', '/edges/2/data/ghToken', fake.gitHubToken(), 'secretlint/github'),
  inFlow('GitHub token in a node name', '/nodes/2/name', `Search ${fake.gitHubToken(40)}`, 'secretlint/github'),
  inFlow('Slack webhook URL as a node url', '/nodes/3/config/url', fake.slackWebhookUrl(), 'secretlint/slack'),
  inFlow('AWS access key id in flow config', '/config/aws/accessKeyId', fake.awsAccessKeyId(), 'secretlint/aws'),
  inFlow('Stripe live key in metadata', '/metadata/billing/stripe', fake.stripeLiveKey(), 'secretlint/stripe'),
  inFlow('GitLab token in an edge condition', '/edges/1/condition', `token == "${fake.gitLabToken()}"`, 'secretlint/gitlab'),
  inFlow('SendGrid key in an email node', '/nodes/3/config/mail/sendgrid', fake.sendGridKey(), 'secretlint/sendgrid'),
  inFlow(
    'Google API key in a URL query',
    '/nodes/3/config/url',
    `https://maps.googleapis.com/maps/api/geocode/json?key=${fake.googleApiKey()}&address=x`,
    'flow/google-api-key',
  ),
  inFlow('JWT as a bearer header', '/nodes/3/config/headers/Authorization', `Bearer ${fake.jwt()}`, 'flow/jwt'),
  inFlow('Opaque bearer token in a header', '/nodes/3/config/headers/Authorization', `Bearer ${fake.opaqueToken()}`, 'flow/authorization-header'),
  inFlow(
    'Basic credentials in a header',
    '/nodes/3/config/headers/Authorization',
    `Basic ${basic('svc-catalog', fake.password())}`,
    'flow/authorization-header',
  ),
  inFlow('PEM private key in node TLS config', '/nodes/3/config/tls/key', fake.privateKeyPem(), 'secretlint/privatekey'),
  inFlow('Basic-auth URL', '/nodes/3/config/url', `https://deploy:${fake.password(21)}@hooks.example.com/build`, 'secretlint/basicauth'),
  inFlow(
    'PostgreSQL URL with a password',
    '/nodes/4/config/connection',
    `postgres://app:${fake.password(22)}@db.example.com:5432/app`,
    'secretlint/database-connection-string',
  ),
  inFlow(
    'MySQL URL with a password',
    '/nodes/4/config/replica',
    `mysql://reporting:${fake.password(23)}@mysql.internal:3306/reports`,
    'secretlint/database-connection-string',
  ),
  inFlow(
    'MongoDB SRV URL with a password',
    '/nodes/4/config/mongo/uri',
    `mongodb+srv://svc:${fake.password(24)}@cluster0.ab1cd.mongodb.net/app`,
    'secretlint/database-connection-string',
  ),
  inFlow('Redis URL with a password and no user', '/config/cache', `redis://:${fake.password(25)}@cache.internal:6379/0`, 'flow/connection-string-password'),
  inFlow('AMQP URL with a password', '/nodes/4/config/queue', `amqp://worker:${fake.password(26)}@mq.internal:5672/vhost`, 'flow/connection-string-password'),
  inFlow(
    'SQL Server connection string',
    '/nodes/4/config/sqlServer',
    `Server=tcp:db.example.net,1433;Database=app;User ID=app;Password=${fake.password(27)};Encrypt=true;`,
    'flow/connection-string-password',
  ),
  inFlow(
    'Azure storage connection string',
    '/nodes/4/config/blob',
    `DefaultEndpointsProtocol=https;AccountName=files;AccountKey=${randomText(28, 86)}==;EndpointSuffix=core.windows.net`,
    'flow/connection-string-password',
  ),
  inFlow(
    'Access token in a URL query',
    '/nodes/3/config/url',
    `https://graph.example.com/v1/me?access_token=${fake.opaqueToken(29)}`,
    'flow/url-query-credential',
  ),
  inFlow(
    'Azure SAS signature in a URL',
    '/nodes/3/config/download',
    `https://files.blob.core.windows.net/c/a.pdf?sv=2024-11-04&sp=r&sig=${randomText(30, 43)}%3D`,
    'flow/url-query-credential',
  ),
  inFlow('Password under a password key', '/nodes/4/config/password', fake.password(31), 'flow/sensitive-key'),
  inFlow('Literal x-api-key header', '/nodes/3/config/headers/x-api-key', fake.opaqueToken(32), 'flow/sensitive-key'),
  inFlow('OAuth client secret', '/nodes/3/config/oauth/client_secret', randomText(33, 34), 'flow/sensitive-key'),
  inFlow(
    'Service Bus connection string',
    '/config/bus/connectionString',
    `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${randomText(34, 44)}=`,
    'flow/connection-string-password',
  ),
  inFlow(
    'Connection string with a token field',
    '/config/warehouse/connection_string',
    `Host=wh.example.com;Port=443;Token=${randomText(35, 32)}`,
    'flow/sensitive-key',
  ),
  inFlow('Literal private_key that is not PEM', '/nodes/3/config/signing/private_key', randomText(36, 64), 'flow/sensitive-key'),
  inFlow(
    'Sensitive key holding a reference and a literal',
    '/nodes/4/config/dbPassword',
    `{{credentials.db.user}}:${randomText(38, 16)}`,
    'flow/sensitive-key',
  ),
  inFlow('Key with a slash in its name', '/nodes/3/config/auth~1token', randomText(39, 32), 'flow/sensitive-key'),
  inFlow('Key with a tilde in its name', '/nodes/3/config/~0secret', randomText(41, 32), 'flow/sensitive-key'),
  inFlow(
    'Credential thirty levels deep',
    '/nodes/1/config/deep',
    deepConfig(30, fake.npmToken()),
    'secretlint/npm',
    `/nodes/1/config/deep${Array.from({ length: 30 }, (_, i) => `/level${i + 1}`).join('')}`,
  ),
  inFlow(
    'GCP service account as a config object',
    '/nodes/2/config/gcp',
    { type: 'service_account', project_id: 'support-prod', private_key_id: randomText(52, 40, '0123456789abcdef'), private_key: fake.privateKeyPem(53) },
    'secretlint/privatekey',
    '/nodes/2/config/gcp/private_key',
  ),
  inText('AWS secret key in the readme', 'readme', `## Setup\n\n\`\`\`ini\naws_secret_access_key = ${fake.awsSecretAccessKey()}\n\`\`\`\n`, 'secretlint/aws'),
  inText('PEM private key in the readme', 'readme', `Install the key:\n\n${fake.privateKeyPem(42)}\n`, 'secretlint/privatekey'),
  inText('GitHub fine-grained token in the readme', 'readme', `Clone with ${fake.gitHubFineGrainedToken()}`, 'secretlint/github'),
  inText('Slack bot token in the description', 'description', `Posts with ${fake.slackBotToken()} to #support`, 'secretlint/slack'),
  inText('npm token in the changelog', 'changelog', `- publish with NPM_TOKEN=${fake.npmToken(43)}`, 'secretlint/npm'),
  inText('GitHub token in the package name', 'name', `Deploy ${fake.gitHubToken(44)}`, 'secretlint/github'),
  {
    name: 'Credential used as an object key',
    input: { flow: plant(supportFlow(), '/nodes/3/config/allowed', { [fake.gitHubToken(45)]: true }) },
    // Reported by its parent's pointer and the key's index: the path never holds the key itself.
    expected: [{ path: '/nodes/3/config/allowed/#key0', rule: 'secretlint/github' }],
  },
  {
    name: 'Header list entry named X-Api-Key',
    input: {
      flow: plant(supportFlow(), '/nodes/3/config/headerParameters', {
        parameters: [
          { name: 'Content-Type', value: 'application/json' },
          { name: 'X-Api-Key', value: fake.opaqueToken(37) },
        ],
      }),
    },
    expected: [{ path: '/nodes/3/config/headerParameters/parameters/1/value', rule: 'flow/sensitive-key' }],
  },
  {
    name: 'Two API keys in an array',
    input: { flow: plant(supportFlow(), '/nodes/1/config/apiKeys', [randomText(46, 32), randomText(47, 32)]) },
    expected: [
      { path: '/nodes/1/config/apiKeys/0', rule: 'flow/sensitive-key' },
      { path: '/nodes/1/config/apiKeys/1', rule: 'flow/sensitive-key' },
    ],
  },
  {
    name: 'Several credentials across the flow and the readme',
    input: {
      flow: plant(plant(supportFlow(), '/nodes/1/config/apiKey', fake.anthropicKey(48)), '/edges/3/data/hook', fake.slackWebhookUrl(49)),
      readme: `Token: ${fake.gitHubToken(50)}`,
    },
    expected: [
      { path: '/edges/3/data/hook', rule: 'secretlint/slack' },
      { path: '/nodes/1/config/apiKey', rule: 'secretlint/anthropic' },
      { path: '/readme', rule: 'secretlint/github' },
    ],
  },
  {
    name: 'Slack token in node 150 of a 200-node flow',
    input: { flow: plant(largeFlow(200), '/nodes/150/config/headers/Authorization', `Bearer ${fake.slackBotToken(51)}`) },
    expected: [{ path: '/nodes/150/config/headers/Authorization', rule: 'secretlint/slack' }],
  },
  ...roundTwoCases(),
];

/** The shapes the first corpus missed (keys, encodings, documents and code inside strings, publish metadata). */
function roundTwoCases(): PlantedCase[] {
  const [anthropicStart, anthropicEnd] = half(fake.anthropicKey(80));
  const [gitHubStart, gitHubEnd] = half(fake.gitHubToken(81));
  const keyAsKey = fake.gitHubToken(82);
  return [
    inFlow('EC (SEC1) private key in node TLS config', '/nodes/3/config/tls/key', fake.ecPrivateKeyPem(), 'flow/private-key'),
    inFlow('Ed25519 PKCS#8 private key', '/nodes/3/config/signing/ed25519', fake.ed25519PrivateKeyPem(), 'flow/private-key'),
    inFlow('EC private key with CRLF line ends', '/nodes/3/config/tls/crlf', fake.ecPrivateKeyPem(83).replace(/\n/g, '\r\n'), 'flow/private-key'),
    inText('Ed25519 private key in the readme', 'readme', `Sign with:\n\n\`\`\`\n${fake.ed25519PrivateKeyPem(84)}\n\`\`\`\n`, 'flow/private-key'),
    inFlow(
      'URL-encoded Slack webhook in a redirect parameter',
      '/nodes/3/config/url',
      `https://example.com/relay?to=${urlEncoded(fake.slackWebhookUrl(85))}`,
      'secretlint/slack',
    ),
    inFlow('URL-encoded private key in a form body', '/nodes/3/config/body', `name=deploy&key=${urlEncoded(fake.privateKeyPem(86))}`, 'secretlint/privatekey'),
    inFlow(
      'Base64 of a PEM private key (a Kubernetes secret)',
      '/nodes/2/config/secret/data/tls.key',
      base64(fake.privateKeyPem(87)),
      'secretlint/privatekey',
      '/nodes/2/config/secret/data/tls.key',
    ),
    inFlow(
      'Base64 of an AWS credentials file',
      '/nodes/2/config/awsProfile',
      base64(`[default]\naws_access_key_id = ${fake.awsAccessKeyId(88)}\naws_secret_access_key = ${fake.awsSecretAccessKey(89)}\n`),
      'secretlint/aws',
    ),
    inFlow('Base64 of an Anthropic key', '/nodes/1/config/encoded', base64(fake.anthropicKey(90)), 'secretlint/anthropic'),
    inFlow('Base64 of an EC private key', '/nodes/3/config/tls/b64', base64(fake.ecPrivateKeyPem(91)), 'flow/private-key'),
    inFlow(
      'Key split across two adjacent config strings',
      '/nodes/1/config/anthropic',
      { keyStart: anthropicStart, keyEnd: anthropicEnd },
      'secretlint/anthropic',
      '/nodes/1/config/anthropic/keyStart',
    ),
    inFlow('Token split across two array items', '/nodes/3/config/tokenParts', [gitHubStart, gitHubEnd], 'secretlint/github', '/nodes/3/config/tokenParts/0'),
    inFlow(
      '.env document in a string',
      '/nodes/0/config/envFile',
      `NODE_ENV=production\nPORT=8080\nSTRIPE_SECRET=${randomText(92, 32)}\n`,
      'flow/sensitive-key',
    ),
    inFlow(
      'YAML document in a string',
      '/nodes/4/config/settingsYaml',
      `database:\n  host: db.internal\n  user: app\n  password: ${fake.password(93)}\n  pool: 10\n`,
      'flow/sensitive-key',
    ),
    inFlow(
      'JSON document in a string',
      '/nodes/3/config/oauthJson',
      JSON.stringify({ client_id: 'support-app', client_secret: randomText(94, 40), redirect_uri: 'https://example.com/cb' }),
      'flow/sensitive-key',
    ),
    inFlow(
      'Service-account JSON in a string (escaped PEM)',
      '/nodes/2/config/serviceAccountJson',
      JSON.stringify({ type: 'service_account', private_key: fake.ecPrivateKeyPem(95) }),
      'flow/private-key',
    ),
    inFlow(
      'curl command with an Authorization header',
      '/nodes/3/config/command',
      `curl -sS -H 'Authorization: Token ${randomText(96, 40)}' https://api.example.com/v1/tickets`,
      'flow/sensitive-key',
    ),
    inFlow(
      'curl command with an X-Api-Key header',
      '/nodes/3/config/shell',
      `curl -X POST -H "Content-Type: application/json" -H "X-Api-Key: ${randomText(97, 32)}" https://api.example.com`,
      'flow/sensitive-key',
    ),
    inFlow(
      'curl command with -u user:password',
      '/nodes/3/config/script',
      `curl -u admin:${fake.password(98)} https://jenkins.example.com/job/deploy/build`,
      'flow/sensitive-key',
    ),
    inFlow(
      'JavaScript code node with const apiKey',
      '/nodes/2/config/code',
      `const apiKey = '${randomText(99, 32)}';\nconst res = await fetch(url, { headers: { 'x-api-key': apiKey } });\nreturn res.json();`,
      'flow/sensitive-key',
    ),
    inFlow(
      'JavaScript code node joining a token from two literals',
      '/nodes/2/config/code',
      `const token = '${gitHubStart}' + '${gitHubEnd}';\nreturn { token };`,
      'secretlint/github',
    ),
    inFlow('$-prefixed password under a password key', '/nodes/4/config/password', `$Up3r${randomText(100, 10)}`, 'flow/sensitive-key'),
    inFlow('$-prefixed password in a .env document', '/nodes/0/config/dotenv', `DB_HOST=db\nDB_PASSWORD=$${randomText(101, 12)}7\n`, 'flow/sensitive-key'),
    inText('Slack token as the package id', 'packageId', fake.slackTokenSlug(), 'secretlint/slack'),
    {
      name: 'GitLab token as a tag',
      input: { flow: supportFlow(), tags: ['support', fake.gitLabTokenSlug()] },
      expected: [{ path: '/tags/1', rule: 'secretlint/gitlab' }],
    },
    {
      name: 'Credential key with a credential beneath it',
      input: { flow: plant(supportFlow(), '/nodes/3/config/accounts', { ops: 'x', [keyAsKey]: { password: fake.password(102) } }) },
      expected: [
        { path: '/nodes/3/config/accounts/#key1', rule: 'secretlint/github' },
        { path: '/nodes/3/config/accounts/#key1/password', rule: 'flow/sensitive-key' },
      ],
    },
  ];
}
