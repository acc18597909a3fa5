/**
 * Prints a token from the local development issuer, and nothing else on stdout:
 *   TOKEN=$(npm run -s token -- --tenant acme --user alice)
 * It signs with the key the app keeps in DATA_DIR, for the issuer the app serves at HOST:PORT,
 * so run it with the same DATA_DIR/HOST/PORT as the app.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config';
import { DevIssuer, devIssuerUrl } from '../src/infra/auth/dev-issuer';

const USAGE = `Usage: npm run -s token -- --tenant <tid> --user <sub> [options]

Prints a bearer token signed by the local development issuer.

  --tenant <id>      tenant id (tid claim), required
  --user <id>        user id (sub claim), required
  --email <email>    email claim
  --scopes "<list>"  space-separated permissions (default "scaicore:view scaicore:manage")
  --groups <a,b>     comma-separated group ids
  --roles <a,b>      comma-separated roles, e.g. tenant_admin or super_admin
  --ttl <duration>   lifetime such as 30m, 1h, 7d, or seconds (default 1h)
  --help             this text

Only works with the development issuer: not with OIDC_ISSUER set, nor with NODE_ENV=production.`;

class UsageError extends Error {}

const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      user: { type: 'string' },
      email: { type: 'string' },
      scopes: { type: 'string', default: 'scaicore:view scaicore:manage' },
      groups: { type: 'string' },
      roles: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.tenant || !values.user) throw new UsageError('--tenant and --user are required');
  if (!/^(\d+|\d+\s*[a-z]+)$/i.test(values.ttl)) throw new UsageError(`--ttl "${values.ttl}" is not a duration like 1h or 3600`);

  const config = loadConfig();
  if (config.auth.kind !== 'dev-issuer') {
    throw new Error('OIDC_ISSUER is configured: get tokens from that issuer; npm run token only signs for the development issuer');
  }
  const issuer = await DevIssuer.loadOrCreate(config.auth.keyDir, devIssuerUrl(config.host, config.port));
  const token = await issuer.signToken(
    {
      sub: values.user,
      tid: values.tenant,
      email: values.email,
      groups: list(values.groups),
      roles: list(values.roles),
      scope: values.scopes,
    },
    { audience: config.auth.audience, expiresIn: /^\d+$/.test(values.ttl) ? Number(values.ttl) : values.ttl },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\nnpm run token only signs for the development issuer.\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
});
