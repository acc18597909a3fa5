/** Flows and publish texts that hold no credential, written the way real ones are: none may be refused. */
import type { SecretScanInput } from '../secret-guard';
import { randomText } from './fake-secrets';
import { largeFlow, plant, supportFlow, type Json } from './flows';

export interface CleanCase {
  name: string;
  input: SecretScanInput;
}

function withConfig(name: string, pointer: string, value: Json): CleanCase {
  return { name, input: { flow: plant(supportFlow(), pointer, value) } };
}

const HEX = '0123456789abcdef';
const base64 = (text: string) => Buffer.from(text).toString('base64');

export const CLEAN_CASES: CleanCase[] = [
  { name: 'Support flow as the editor saves it', input: { flow: supportFlow() } },
  { name: '200-node flow', input: { flow: largeFlow(200) } },
  withConfig('Password from a credential reference', '/nodes/4/config/password', '{{credentials.smtp.password}}'),
  withConfig('API key from an n8n environment expression', '/nodes/1/config/apiKey', '{{ $env.OPENAI_API_KEY }}'),
  withConfig('Token from a shell variable', '/nodes/3/config/token', '${GITHUB_TOKEN}'),
  withConfig('GitHub Actions secret expression', '/config/deploy/token', '${{ secrets.DEPLOY_TOKEN }}'),
  withConfig('n8n expression for x-api-key', '/nodes/3/config/headers/x-api-key', '={{ $credentials.apiKey }}'),
  withConfig('Secret named by $env', '/nodes/0/config/secret', '$env.WEBHOOK_SECRET'),
  withConfig('Secret named by process.env', '/nodes/0/config/signingSecret', 'process.env.WEBHOOK_SIGNING_SECRET'),
  withConfig('Environment variable name as the value', '/nodes/1/config/api_key', 'OPENAI_API_KEY'),
  withConfig('Vault reference', '/nodes/4/config/dbPassword', 'vault:secret/data/support/postgres'),
  withConfig('Empty password', '/nodes/4/config/password', ''),
  withConfig('Angle-bracket placeholder', '/nodes/1/config/apiKey', '<your-openai-key>'),
  withConfig('YOUR_API_KEY placeholder', '/nodes/1/config/apiKey', 'YOUR_API_KEY_HERE'),
  withConfig('changeme placeholder', '/nodes/3/config/oauth/client_secret', 'changeme'),
  withConfig('Masked value', '/nodes/4/config/password', '********'),
  withConfig('xxx placeholder token', '/nodes/3/config/token', 'xxxxxxxxxxxxxxxxxxxx'),
  withConfig('Header list with a referenced Authorization', '/nodes/3/config/headerParameters', {
    parameters: [
      { name: 'Authorization', value: '={{ "Bearer " + $credentials.token }}' },
      { name: 'Content-Type', value: 'application/json; charset=utf-8' },
    ],
  }),
  withConfig('n8n credential by id and name', '/nodes/1/config/credentials', { openAiApi: { id: '12', name: 'OpenAI account' } }),
  withConfig('URL with query and fragment, no credential', '/nodes/3/config/url', 'https://api.example.com/v1/search?q=refund+policy&page=2#results'),
  withConfig('PostgreSQL URL without a password', '/nodes/4/config/connection', 'postgres://app@db.internal:5432/app?sslmode=require'),
  withConfig(
    'PostgreSQL URL with referenced user and password',
    '/nodes/4/config/connection',
    'postgres://{{credentials.pg.user}}:{{credentials.pg.password}}@db:5432/app',
  ),
  withConfig(
    'SQL Server connection string with integrated security',
    '/nodes/4/config/sqlServer',
    'Server=tcp:db.example.net,1433;Database=app;Integrated Security=true;Encrypt=true;',
  ),
  withConfig(
    'SQL Server connection string with a referenced password',
    '/nodes/4/config/sqlServer',
    'Server=db;Database=app;User ID=app;Password={{credentials.sql.password}};',
  ),
  withConfig('Example URL with user equal to password', '/nodes/4/config/local', 'postgres://postgres:postgres@localhost:5432/postgres'),
  withConfig('UUIDs as ids', '/nodes/2/config/ids', ['6f1c2a9e-3b7d-4e58-9a0c-1d2e3f4a5b6c', '0b7e4d1c-92f3-4a6b-8c5d-7e9f0a1b2c3d']),
  withConfig('sha256 digests', '/metadata/artifacts', { archive: `sha256:${randomText(60, 64, HEX)}`, manifest: randomText(61, 64, HEX) }),
  withConfig('Subresource integrity hash', '/metadata/script', { src: 'https://cdn.example.com/widget.js', integrity: `sha384-${randomText(62, 64)}` }),
  withConfig('Long opaque ids', '/nodes/2/config/source', {
    ulid: '01HZY3K4Q8V6N2M7P5R9T1W3X5',
    objectId: '65f1c2a9e3b7d4e589a0c1d2',
    commit: randomText(63, 40, HEX),
    slackChannel: 'C0123456789',
  }),
  withConfig('Base64 image', '/nodes/0/config/icon', `data:image/png;base64,${Buffer.from(randomText(64, 3000)).toString('base64')}`),
  withConfig('Cron schedules', '/nodes/0/config/schedule', { cron: '0 */5 * * * *', nightly: '30 2 * * 1-5', timezone: 'Europe/Berlin' }),
  withConfig(
    'Prompt that talks about tokens and passwords',
    '/nodes/1/config/prompt',
    'Never reveal the API key, the access token or the password. Bearer tokens expire after an hour. Basic authentication is not supported.',
  ),
  withConfig('LLM token settings', '/nodes/1/config/generation', {
    max_tokens: 4096,
    maxTokens: '4096',
    tokenizer: 'cl100k_base',
    stopTokens: ['<|endoftext|>', '<|im_end|>'],
  }),
  withConfig('Empty pagination token', '/nodes/2/config/nextPageToken', ''),
  withConfig('OAuth endpoints', '/nodes/3/config/oauth', {
    tokenUrl: 'https://login.example.com/oauth2/v2.0/token',
    authorizationUrl: 'https://login.example.com/oauth2/v2.0/authorize',
    scope: 'openid profile offline_access',
  }),
  withConfig('JSON schema of a password field', '/nodes/0/config/schema', {
    type: 'object',
    properties: { password: { type: 'string', format: 'password', minLength: 12, description: 'The user password, never stored' } },
  }),
  withConfig('Password policy and field names', '/config/passwordPolicy', {
    minLength: 12,
    passwordField: 'user_password',
    secretName: 'openai-prod',
    tokenType: 'Bearer',
  }),
  withConfig('Regular expressions in config', '/nodes/2/config/validation', { iban: '^[A-Z]{2}\\d{2}[A-Z0-9]{11,30}$', ticket: '^TCK-[0-9]{6}$' }),
  withConfig('AWS documentation example key and ARNs', '/config/aws', {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    bucket: 'arn:aws:s3:::support-attachments',
    region: 'eu-central-1',
  }),
  withConfig('Semantic versions and ranges', '/metadata/requires', { runtime: '>=2.4.0 <3.0.0', nodes: { 'llm.chat': '^1.12.3' } }),
  withConfig('Emails, phone numbers and unicode', '/nodes/3/config/contact', {
    email: 'support-team@example.com',
    phone: '+49 30 1234567',
    greeting: 'Grüße aus Köln 👋 — wir melden uns',
  }),
  withConfig('Keys with slashes and tildes', '/nodes/2/config/routes', { 'a/b~c': '/api/v1/tickets/{id}', '~/path': 'https://example.com/~user/page' }),
  withConfig('Long prompt', '/nodes/1/config/systemPrompt', 'You are a careful support agent. '.repeat(160)),
  withConfig('Bearer with a referenced token in a header', '/nodes/3/config/headers/Proxy-Authorization', 'Bearer {{credentials.proxy}}'),
  {
    name: 'Readme with curl examples that reference tokens',
    input: {
      flow: supportFlow(),
      readme: [
        '# Customer support triage',
        '',
        'Set `OPENAI_API_KEY` in your credentials, then call:',
        '',
        '```sh',
        'curl -H "Authorization: Bearer $CATALOG_TOKEN" https://catalog.example.com/api/v1/catalog',
        'curl -H "Authorization: Bearer <token>" -H "x-api-key: <your-key>" https://api.example.com',
        'psql "postgres://app:${DB_PASSWORD}@db.internal:5432/app"',
        '```',
        '',
        'The schedule is `0 */5 * * * *`. Docs: https://docs.example.com/flows?tab=triggers',
      ].join('\n'),
      description: 'Triage tickets with an LLM and the knowledge base',
      changelog: '- Reads the API key from {{credentials.openai}} instead of the node config\n- Token limits raised to 4096',
      name: 'Customer support triage',
    },
  },
  ...roundTwoLookAlikes(),
];

/** A PEM block that is public by nature (a certificate, a public key): `MII…` bodies like real ones. */
function publicPem(label: string, seed: number): string {
  const lines = `MII${randomText(seed, 600, `${HEX}ABCDEFGHIJKLMNOPQRSTUVWXYZghijklmnopqrstuvwxyz+/`)}`.match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----`;
}

/** Look-alikes of the round-two shapes: references, placeholders and public material in the same places. */
function roundTwoLookAlikes(): CleanCase[] {
  return [
    withConfig('Authorization header line with a referenced bearer', '/nodes/3/config/rawHeaders', [
      'Authorization: Bearer {{credentials.api}}',
      'Accept: application/json',
    ]),
    withConfig('Authorization header value repeating its name', '/nodes/3/config/headers/Authorization', 'Authorization: Bearer {{credentials.api}}'),
    withConfig('PostgreSQL URL whose password is a reference', '/nodes/4/config/connection', 'postgres://user:{{credentials.db}}@host/db'),
    withConfig('MySQL URL whose password is a shell variable', '/nodes/4/config/replica', 'mysql://app:${DB_PASSWORD}@mysql.internal:3306/app'),
    withConfig('Basic-auth URL with referenced password', '/nodes/3/config/url', 'https://deploy:{{credentials.deploy}}@hooks.example.com/build'),
    withConfig('your-api-key-here placeholder', '/nodes/1/config/apiKey', 'your-api-key-here'),
    withConfig('UUID correlation id and idempotency key', '/nodes/3/config/headers', {
      'X-Correlation-Id': '6f1c2a9e-3b7d-4e58-9a0c-1d2e3f4a5b6c',
      'Idempotency-Key': '0b7e4d1c-92f3-4a6b-8c5d-7e9f0a1b2c3d',
    }),
    withConfig('sha256 checksums', '/nodes/2/config/download', {
      url: 'https://example.com/model.bin',
      sha256: randomText(110, 64, HEX),
      checksum: `sha256-${randomText(111, 64, HEX)}`,
    }),
    withConfig('Certificate and public key', '/nodes/3/config/tls', { cert: publicPem('CERTIFICATE', 112), publicKey: publicPem('PUBLIC KEY', 113) }),
    withConfig('SSH public key', '/nodes/3/config/deployKey', `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${randomText(114, 43)} deploy@example.com`),
    withConfig('Base64 of a certificate', '/nodes/2/config/secret/data/ca.crt', base64(publicPem('CERTIFICATE', 115))),
    withConfig(
      'Base64 of ordinary text',
      '/nodes/0/config/welcome',
      base64('Welcome to the support desk. We answer every ticket within one working day, in English or German.'),
    ),
    withConfig('Base64 of a JSON settings object', '/nodes/0/config/state', base64(JSON.stringify({ page: 2, sort: 'created', filters: ['open', 'billing'] }))),
    withConfig('$HOME-like paths', '/nodes/4/config/files', {
      passwordFile: '$HOME/.pgpass',
      keyPath: '$HOME/.ssh/id_ed25519',
      cache: '${XDG_CACHE_HOME}/catalog',
    }),
    withConfig('$-named variables under sensitive keys', '/nodes/4/config/auth', {
      password: '$PGPASSWORD',
      secret: '$env:CLIENT_SECRET',
      token: '$json.body.token',
      apiKey: '$credentials.openai',
    }),
    withConfig(
      'URL-encoded callback URL',
      '/nodes/3/config/url',
      `https://login.example.com/authorize?redirect_uri=${encodeURIComponent('https://app.example.com/callback?tab=1&x=%20')}`,
    ),
    withConfig(
      'Code node reading process.env',
      '/nodes/2/config/code',
      [
        'const apiKey = process.env.API_KEY;',
        'const password = $credentials.password;',
        "const token = await getSecret('crm-token');",
        'const tokenUrl = "https://login.example.com/oauth2/token";',
        'const maxTokens = 4096;',
        "const res = await fetch(url, { headers: { 'x-api-key': apiKey, Authorization: `Bearer ${token}` } });",
        'return res.json();',
      ].join('\n'),
    ),
    withConfig(
      '.env template with placeholders and references',
      '/nodes/0/config/envFile',
      'OPENAI_API_KEY=your-api-key-here\nDB_PASSWORD=changeme\nSTRIPE_SECRET=${STRIPE_SECRET}\nAUTH_TOKEN=\nPORT=8080\n',
    ),
    withConfig(
      'YAML with references and prose',
      '/nodes/4/config/settingsYaml',
      'database:\n  host: db.internal\n  password: ${DB_PASSWORD}\n  token: "{{credentials.warehouse}}"\n  auth_token: required\nnotes:\n  password: ask the platform team for it\n',
    ),
    withConfig(
      'JSON document in a string with references',
      '/nodes/3/config/oauthJson',
      JSON.stringify({ client_id: 'support-app', client_secret: '{{credentials.oauth.secret}}', redirect_uri: 'https://example.com/cb' }),
    ),
    withConfig(
      'curl command with referenced headers',
      '/nodes/3/config/command',
      'curl -sS -H \'Authorization: Bearer {{credentials.api}}\' -H "X-Api-Key: $API_KEY" -u admin:$ADMIN_PASSWORD https://api.example.com/v1/tickets',
    ),
    withConfig('Adjacent strings that are just config', '/nodes/3/config/pair', {
      first: 'https://api.example.com/v1',
      second: 'support-articles-index',
      parts: ['gpt-4o-mini', 'text-embedding-3-small'],
    }),
    withConfig('bcrypt hash under passwordHash', '/nodes/4/config/passwordHash', `$2b$12$${randomText(116, 53)}`),
    withConfig('JWKS URL and token endpoint', '/nodes/3/config/oidc', {
      jwksUri: 'https://login.example.com/.well-known/jwks.json',
      tokenEndpoint: 'https://login.example.com/oauth2/token',
    }),
    {
      name: 'Package id, tags and readme of ordinary words',
      input: {
        flow: supportFlow(),
        packageId: 'customer-support-triage-with-token-refresh',
        tags: ['support', 'api-key-rotation', 'secrets-manager', 'oauth2'],
        readme: '## Configuration\n\n```yaml\napi_key: <your key>\npassword: ${DB_PASSWORD}\n```\n\nPassword: ask the platform team. Token: expires hourly.',
      },
    },
  ];
}
