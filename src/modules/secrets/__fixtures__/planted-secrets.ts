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
function inText(name: string, field: 'readme' | 'description' | 'changelog' | 'name', text: string, rule: string): PlantedCase {
  return { name, input: { flow: supportFlow(), [field]: text }, expected: [{ path: `/${field}`, rule }] };
}

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

function deepConfig(depth: number, leaf: Json): Json {
  let value = leaf;
  for (let level = depth; level > 0; level--) value = { [`level${level}`]: value };
  return value;
}

export const PLANTED_CASES: PlantedCase[] = [
  inFlow('OpenAI project key deep in node config', '/nodes/1/config/llm/options/apiKeyValue', fake.openAiProjectKey(), 'secretlint/openai'),
  inFlow('OpenAI legacy key inside a prompt', '/nodes/1/config/system', `Use the key ${fake.openAiLegacyKey()} when calling.`, 'secretlint/openai'),
  inFlow('Anthropic key in an array of providers', '/nodes/1/config/providers', [{ name: 'claude', key: fake.anthropicKey() }], 'secretlint/anthropic', '/nodes/1/config/providers/0/key'),
  inFlow('GitHub token in edge data', '/edges/2/data/ghToken', fake.gitHubToken(), 'secretlint/github'),
  inFlow('GitHub token in a node name', '/nodes/2/name', `Search ${fake.gitHubToken(40)}`, 'secretlint/github'),
  inFlow('Slack webhook URL as a node url', '/nodes/3/config/url', fake.slackWebhookUrl(), 'secretlint/slack'),
  inFlow('AWS access key id in flow config', '/config/aws/accessKeyId', fake.awsAccessKeyId(), 'secretlint/aws'),
  inFlow('Stripe live key in metadata', '/metadata/billing/stripe', fake.stripeLiveKey(), 'secretlint/stripe'),
  inFlow('GitLab token in an edge condition', '/edges/1/condition', `token == "${fake.gitLabToken()}"`, 'secretlint/gitlab'),
  inFlow('SendGrid key in an email node', '/nodes/3/config/mail/sendgrid', fake.sendGridKey(), 'secretlint/sendgrid'),
  inFlow('Google API key in a URL query', '/nodes/3/config/url', `https://maps.googleapis.com/maps/api/geocode/json?key=${fake.googleApiKey()}&address=x`, 'flow/google-api-key'),
  inFlow('JWT as a bearer header', '/nodes/3/config/headers/Authorization', `Bearer ${fake.jwt()}`, 'flow/jwt'),
  inFlow('Opaque bearer token in a header', '/nodes/3/config/headers/Authorization', `Bearer ${fake.opaqueToken()}`, 'flow/authorization-header'),
  inFlow('Basic credentials in a header', '/nodes/3/config/headers/Authorization', `Basic ${basic('svc-catalog', fake.password())}`, 'flow/authorization-header'),
  inFlow('PEM private key in node TLS config', '/nodes/3/config/tls/key', fake.privateKeyPem(), 'secretlint/privatekey'),
  inFlow('Basic-auth URL', '/nodes/3/config/url', `https://deploy:${fake.password(21)}@hooks.example.com/build`, 'secretlint/basicauth'),
  inFlow('PostgreSQL URL with a password', '/nodes/4/config/connection', `postgres://app:${fake.password(22)}@db.example.com:5432/app`, 'secretlint/database-connection-string'),
  inFlow('MySQL URL with a password', '/nodes/4/config/replica', `mysql://reporting:${fake.password(23)}@mysql.internal:3306/reports`, 'secretlint/database-connection-string'),
  inFlow('MongoDB SRV URL with a password', '/nodes/4/config/mongo/uri', `mongodb+srv://svc:${fake.password(24)}@cluster0.ab1cd.mongodb.net/app`, 'secretlint/database-connection-string'),
  inFlow('Redis URL with a password and no user', '/config/cache', `redis://:${fake.password(25)}@cache.internal:6379/0`, 'flow/connection-string-password'),
  inFlow('AMQP URL with a password', '/nodes/4/config/queue', `amqp://worker:${fake.password(26)}@mq.internal:5672/vhost`, 'flow/connection-string-password'),
  inFlow('SQL Server connection string', '/nodes/4/config/sqlServer', `Server=tcp:db.example.net,1433;Database=app;User ID=app;Password=${fake.password(27)};Encrypt=true;`, 'flow/connection-string-password'),
  inFlow('Azure storage connection string', '/nodes/4/config/blob', `DefaultEndpointsProtocol=https;AccountName=files;AccountKey=${randomText(28, 86)}==;EndpointSuffix=core.windows.net`, 'flow/connection-string-password'),
  inFlow('Access token in a URL query', '/nodes/3/config/url', `https://graph.example.com/v1/me?access_token=${fake.opaqueToken(29)}`, 'flow/url-query-credential'),
  inFlow('Azure SAS signature in a URL', '/nodes/3/config/download', `https://files.blob.core.windows.net/c/a.pdf?sv=2024-11-04&sp=r&sig=${randomText(30, 43)}%3D`, 'flow/url-query-credential'),
  inFlow('Password under a password key', '/nodes/4/config/password', fake.password(31), 'flow/sensitive-key'),
  inFlow('Literal x-api-key header', '/nodes/3/config/headers/x-api-key', fake.opaqueToken(32), 'flow/sensitive-key'),
  inFlow('OAuth client secret', '/nodes/3/config/oauth/client_secret', randomText(33, 34), 'flow/sensitive-key'),
  inFlow('Service Bus connection string', '/config/bus/connectionString', `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${randomText(34, 44)}=`, 'flow/connection-string-password'),
  inFlow('Connection string with a token field', '/config/warehouse/connection_string', `Host=wh.example.com;Port=443;Token=${randomText(35, 32)}`, 'flow/sensitive-key'),
  inFlow('Literal private_key that is not PEM', '/nodes/3/config/signing/private_key', randomText(36, 64), 'flow/sensitive-key'),
  inFlow('Sensitive key holding a reference and a literal', '/nodes/4/config/dbPassword', `{{credentials.db.user}}:${randomText(38, 16)}`, 'flow/sensitive-key'),
  inFlow('Key with a slash in its name', '/nodes/3/config/auth~1token', randomText(39, 32), 'flow/sensitive-key'),
  inFlow('Key with a tilde in its name', '/nodes/3/config/~0secret', randomText(41, 32), 'flow/sensitive-key'),
  inFlow('Credential thirty levels deep', '/nodes/1/config/deep', deepConfig(30, fake.npmToken()), 'secretlint/npm', `/nodes/1/config/deep${Array.from({ length: 30 }, (_, i) => `/level${i + 1}`).join('')}`),
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
    expected: [{ path: `/nodes/3/config/allowed/${fake.gitHubToken(45)}`, rule: 'secretlint/github' }],
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
];
