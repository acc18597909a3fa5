/**
 * The baselines: a bare `node:http` + `pg` server doing the unavoidable work of each scenario and
 * nothing else. Same token verification as the service (jose, the issuer's JWKS found through
 * discovery, the same pinned options), the same SQL (the app's own repositories run on a bare
 * pool, see pg-em.ts), the same blob client, the same JSON out. No framework, no GraphQL, no ORM.
 *
 * It takes the very same request bodies as the service's /graphql (a GraphQL request whose
 * `variables` it reads); the path says which scenario:
 *   POST /list      catalogPackages(first, after)
 *   POST /entities  _entities(representations)
 *   POST /install   row lookup + bare download of the archive (the bytes are the response)
 *   POST /publish   bare upload of the archive + the same statements (quota reservation included),
 *                   in one transaction; no flow checks and no secret scan (the service's cost)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { Pool } from 'pg';
import { PERMISSION_MANAGE, PERMISSION_VIEW, type Caller } from '../src/common/caller';
import { decodeCursor, pageSize, toConnection, UUID } from '../src/common/pagination';
import { callerFromClaims } from '../src/infra/auth/oidc-verifier';
import { AzureBlobStorage } from '../src/infra/blob/blob-storage';
import { AuditRepository } from '../src/modules/audit/audit.repository';
import { buildPackageArchive, packageJsonFor } from '../src/modules/package/package-archive';
import type { PackageRecord } from '../src/modules/package/package.model';
import { mayPerform, visibleRows } from '../src/modules/access/policy';
import { PackageRepository } from '../src/modules/package/package.repository';
import { versionSortKey } from '../src/modules/package/version-sort-key';
import { QuotaRepository } from '../src/modules/quota/quota.repository';
import { loadConfig } from '../src/config';
import { pgEm } from './pg-em';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const issuer = env('OIDC_ISSUER');
const audience = env('OIDC_AUDIENCE');
// Same pool size as the service (MikroORM's pool max).
const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 10 });
const blobs = new AzureBlobStorage(env('AZURE_STORAGE_CONNECTION_STRING'), process.env.CATALOG_BLOB_CONTAINER ?? 'catalog');
const repo = new PackageRepository();
const audit = new AuditRepository();
// The service's quota limits (the bench sets none: the defaults) and the same reservation statements.
const quotas = new QuotaRepository(loadConfig({}).quotas);
const em = pgEm(pool);

let keySet: JWTVerifyGetKey;

/** Discovery once, then a remote JWKS: what OidcTokenVerifier does. */
async function discover(): Promise<void> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  const metadata = (await response.json()) as { issuer: string; jwks_uri: string };
  if (metadata.issuer !== issuer) throw new Error('issuer mismatch');
  keySet = createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 });
}

async function authenticate(req: IncomingMessage): Promise<Caller> {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
  if (!match) throw new HttpError(401, 'missing bearer token');
  try {
    const { payload } = await jwtVerify(match[1]!, keySet, {
      algorithms: ['RS256', 'ES256'],
      issuer,
      audience,
      clockTolerance: 30,
      requiredClaims: ['sub', 'exp'],
    });
    return callerFromClaims(payload);
  } catch {
    throw new HttpError(401, 'invalid token');
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<{ variables?: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'malformed JSON'));
      }
    });
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

function requirePermission(caller: Caller, permission: string): void {
  if (!caller.permissions.has(permission)) throw new HttpError(403, `needs ${permission}`);
}

/** The node selection of the bench's list query, in the same order and with the same field rules. */
function packageNode(caller: Caller, pkg: PackageRecord) {
  return {
    id: pkg.id,
    tenantId: pkg.tenantId,
    packageId: pkg.packageId,
    name: pkg.name,
    description: pkg.description,
    version: pkg.latestVersion,
    authorId: pkg.authorId,
    authorEmail: mayPerform(caller, 'package:readAuthorEmail', { pkg }) ? pkg.authorEmail : null,
    visibility: pkg.visibility.toUpperCase(),
    visibilityGroupIds: mayPerform(caller, 'package:readGroupIds', { pkg }) ? pkg.visibilityGroupIds : null,
    createdAt: pkg.createdAt.toISOString(),
    updatedAt: pkg.updatedAt.toISOString(),
  };
}

async function list(caller: Caller, variables: Record<string, unknown>): Promise<unknown> {
  requirePermission(caller, PERMISSION_VIEW);
  const limit = pageSize(variables.first as number | undefined);
  const after = decodeCursor(variables.after as string | undefined);
  const page = await repo.listVisible(em, visibleRows(caller), limit, after);
  const connection = toConnection(page, (pkg) => ({ key: pkg.sortKey, id: pkg.id }));
  return {
    data: {
      catalogPackages: {
        edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: packageNode(caller, edge.node) })),
        pageInfo: connection.pageInfo,
      },
    },
  };
}

async function entities(caller: Caller, variables: Record<string, unknown>): Promise<unknown> {
  const ids = (variables.representations as { id: string }[]).map((r) => r.id);
  const valid = caller.permissions.has(PERMISSION_VIEW) ? ids.filter((id) => UUID.test(id)) : [];
  const found = await repo.findVisibleByIds(em, visibleRows(caller), valid);
  const byId = new Map(found.map((pkg) => [pkg.id, pkg]));
  return {
    data: {
      _entities: ids.map((id) => {
        const pkg = byId.get(id);
        return pkg ? { id: pkg.id, packageId: pkg.packageId, name: pkg.name, version: pkg.latestVersion, visibility: pkg.visibility.toUpperCase() } : null;
      }),
    },
  };
}

async function install(caller: Caller, variables: Record<string, unknown>, res: ServerResponse): Promise<void> {
  requirePermission(caller, PERMISSION_VIEW);
  const packageId = String(variables.packageId);
  const pkg = await repo.findVisible(em, visibleRows(caller), caller.tenantId, packageId);
  const version = pkg ? await repo.findVersion(em, pkg.id, pkg.latestVersion) : null;
  if (!pkg || !version) throw new HttpError(404, `package ${packageId} not found`);
  const bytes = await blobs.download(version.blobName);
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': bytes.length }).end(bytes);
}

const MANIFEST = 'apiVersion: scaicore/v1\nkind: FlowPackage\nmetadata:\n  name: bench\n  version: 0.0.0\nspec:\n  entry: flow.json\n';

async function publish(caller: Caller, variables: Record<string, unknown>): Promise<unknown> {
  requirePermission(caller, PERMISSION_MANAGE);
  const input = variables.input as { packageId: string; name: string; version: string; description?: string; content: Record<string, unknown> };
  const existing = await repo.findAny(em, visibleRows(caller), caller.tenantId, input.packageId);
  const author = existing ?? { authorId: caller.userId, authorEmail: caller.email };
  const { bytes, sha256 } = buildPackageArchive({
    flow: input.content as never,
    manifestYaml: MANIFEST,
    packageJson: packageJsonFor({
      packageId: input.packageId,
      name: input.name,
      version: input.version,
      authorId: author.authorId,
      authorEmail: author.authorEmail,
    }),
  });
  const blobName = `catalog/${caller.tenantId}/${input.packageId}/v${input.version}.scaipkg`;
  await blobs.uploadIfAbsent(blobName, bytes, sha256);

  const client = await pool.connect();
  try {
    await client.query('begin');
    const tx = pgEm(client);
    const now = new Date();
    const { row, created } = await repo.lockOrCreate(tx, {
      id: randomUUID(),
      tenantId: caller.tenantId,
      packageId: input.packageId,
      name: input.name,
      description: input.description ?? null,
      readme: null,
      latestVersion: input.version,
      defaultVersion: null,
      republishBase: null,
      authorId: caller.userId,
      authorEmail: caller.email,
      visibility: 'tenant',
      visibilityGroupIds: [],
      sourceFlowId: null,
      tags: [],
      nodeTypes: [],
      installCount: 0,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    });
    await quotas.reserve(tx, { tenantId: row.tenantId, packageUuid: created ? null : row.id, bytes: bytes.length });
    await repo.insertVersion(tx, {
      status: 'active',
      id: randomUUID(),
      packageUuid: row.id,
      version: input.version,
      sha256,
      sizeBytes: bytes.length,
      blobName,
      publisherId: caller.userId,
      publisherEmail: caller.email,
      publishedAt: now,
      tags: [],
      nodeTypes: [],
      changelog: null,
      versionSort: versionSortKey(input.version),
      // The baseline measures the plain publish of the reference service: no requirements, no provenance.
      requirements: null,
      provenance: null,
    });
    const fields = {
      name: input.name,
      description: input.description ?? null,
      readme: null,
      latestVersion: input.version,
      republishBase: null,
      sourceFlowId: null,
      tags: [],
      nodeTypes: [],
      updatedAt: now,
    };
    await repo.updateAfterPublish(tx, row.id, fields);
    await repo.refreshDefaultVersion(tx, row.id);
    await audit.record(tx, caller, {
      tenantId: row.tenantId,
      packageUuid: row.id,
      packageId: row.packageId,
      version: input.version,
      action: 'publish',
      changes: { version: input.version, sha256, sizeBytes: bytes.length, sourceFlowId: null, revived: row.deletedAt !== null },
      at: now,
    });
    await client.query('commit');
    return { data: { publishCatalogPackage: { id: row.id, packageId: row.packageId, version: input.version } } };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/healthz') return sendJson(res, { status: 'ok' });
  if (req.method !== 'POST') throw new HttpError(404, 'not found');
  const body = await readBody(req);
  const caller = await authenticate(req);
  const variables = body.variables ?? {};
  switch (req.url) {
    case '/list':
      return sendJson(res, await list(caller, variables));
    case '/entities':
      return sendJson(res, await entities(caller, variables));
    case '/install':
      return install(caller, variables, res);
    case '/publish':
      return sendJson(res, await publish(caller, variables));
    default:
      throw new HttpError(404, 'not found');
  }
}

async function main(): Promise<void> {
  await discover();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) console.error(error);
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = Number(process.env.PORT ?? 0);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('baseline failed to start:', error);
  process.exit(1);
});
