import { errors, jwtVerify, type JWTPayload } from 'jose';
import { hasControlCharacters } from '../../common/control-characters';
import { isTenantId, TENANT_ID_MAX, type Caller } from '../../common/caller';
import { UnauthenticatedError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { IssuerKeySet, TokenIssuerUnavailableError } from './issuer-key-set';
import { VerifiedTokenCache } from './token-cache';

export { TokenIssuerUnavailableError };

interface OidcTokenVerifierOptions {
  issuer: string;
  audience: string;
  /** Pinned signature algorithms; anything else (including `none` and HS*) is refused. */
  algorithms?: string[];
  clockToleranceSeconds?: number;
  /** Deadline of one discovery or JWKS fetch. */
  fetchTimeoutMs?: number;
  /**
   * How old the known signing keys may be before a request waits for a fresh JWKS (so a removed
   * key stops working within it), and the least time between two fetches (an unknown `kid` waits
   * for the next one).
   */
  jwksCooldownMs?: number;
  jwksCacheMaxAgeMs?: number;
  logger?: Logger;
}

// RFC 6750 b64token; the scheme is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

// jose failures that mean "the issuer could not be asked", as opposed to "this token is bad".
const ISSUER_SIDE_JOSE_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

/** Verifies `Authorization: Bearer <JWT>` against an OIDC issuer and maps claims to a Caller. */
export class OidcTokenVerifier {
  private readonly issuer: string;
  private readonly audience: string;
  private readonly algorithms: string[];
  private readonly clockTolerance: number;
  private readonly fetchTimeoutMs: number;
  private readonly jwksCooldownMs: number;
  private readonly jwksCacheMaxAgeMs: number;
  private readonly logger: Logger | undefined;
  /** Discovery result; dropped again when it fails so that the next request retries. */
  private keySet: Promise<IssuerKeySet> | undefined;
  private readonly verifiedTokens = new VerifiedTokenCache<Caller>();

  constructor(options: OidcTokenVerifierOptions) {
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.algorithms = options.algorithms ?? ['RS256', 'ES256'];
    this.clockTolerance = options.clockToleranceSeconds ?? 30;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
    this.jwksCooldownMs = options.jwksCooldownMs ?? 3_000;
    this.jwksCacheMaxAgeMs = options.jwksCacheMaxAgeMs ?? 10 * 60_000;
    this.logger = options.logger;
  }

  async verify(authorizationHeader: string | undefined): Promise<Caller> {
    try {
      const token = bearerToken(authorizationHeader);
      const keys = await this.getKeySet();
      // A fresh set forgets the tokens of keys that left it, before the cache is asked.
      await keys.keepCurrent();
      return this.verifiedTokens.get(token) ?? (await this.verifyToken(token, keys));
    } catch (error) {
      if (error instanceof TokenIssuerUnavailableError) {
        this.logger?.warn({ dependency: 'issuer', detail: error.detail, err: error.cause }, 'token issuer unavailable');
      }
      throw error;
    }
  }

  private async verifyToken(token: string, keys: IssuerKeySet): Promise<Caller> {
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(token, keys.getKey, {
        algorithms: this.algorithms,
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: this.clockTolerance,
        requiredClaims: ['sub', 'exp'],
      });
    } catch (error) {
      throw classifyJoseError(error);
    }
    return this.verifiedTokens.remember(token, verified.protectedHeader.kid, callerFromClaims(verified.payload));
  }

  private getKeySet(): Promise<IssuerKeySet> {
    if (!this.keySet) {
      const pending = this.discoverKeySet();
      this.keySet = pending;
      pending.catch(() => {
        if (this.keySet === pending) this.keySet = undefined;
      });
    }
    return this.keySet;
  }

  private async discoverKeySet(): Promise<IssuerKeySet> {
    const url = `${this.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let metadata: unknown;
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.fetchTimeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      metadata = await response.json();
    } catch (cause) {
      throw new TokenIssuerUnavailableError(`OIDC discovery failed at ${url}`, { cause });
    }
    const { issuer, jwks_uri: jwksUri } = (metadata ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    // OIDC Discovery §4.3: the advertised issuer must be exactly the one we were configured with.
    if (issuer !== this.issuer) {
      throw new TokenIssuerUnavailableError(`OIDC discovery at ${url} advertises issuer ${JSON.stringify(issuer)}`);
    }
    // Keys must come over a channel at least as safe as the issuer's own (no https → http downgrade).
    const allowed = this.issuer.startsWith('https:') ? ['https:'] : ['https:', 'http:'];
    if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri) || !allowed.includes(new URL(jwksUri).protocol)) {
      throw new TokenIssuerUnavailableError(`OIDC discovery at ${url} has no usable jwks_uri`);
    }
    // The set refetches when it is older than the cooldown and on an unknown `kid`, so key rotation
    // and removal need no restart.
    return new IssuerKeySet({
      jwksUri: new URL(jwksUri),
      cooldownMs: this.jwksCooldownMs,
      maxAgeMs: this.jwksCacheMaxAgeMs,
      fetchTimeoutMs: this.fetchTimeoutMs,
      onKeysRemoved: (kids) => this.verifiedTokens.forgetKeys(kids),
    });
  }
}

function bearerToken(header: string | undefined): string {
  if (!header) throw new UnauthenticatedError('Missing Authorization header with a bearer token');
  const match = BEARER.exec(header);
  if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
  return match[1]!;
}

/** Token problems become a 401 with a fixed message; the token itself is never echoed. */
function classifyJoseError(error: unknown): Error {
  if (error instanceof TokenIssuerUnavailableError) return error;
  if (error instanceof errors.JOSEError && !ISSUER_SIDE_JOSE_CODES.has(error.code)) {
    return new UnauthenticatedError(unauthenticatedMessage(error.code));
  }
  return new TokenIssuerUnavailableError('Could not fetch the token signing keys', { cause: error });
}

function unauthenticatedMessage(code: string): string {
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'The token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return 'The token claims are not valid here';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The token algorithm is not allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'The token signature is not valid';
    default:
      return 'The token is malformed';
  }
}

/** Claim limits, matched to the columns they are stored in (the tenant id's shape: `isTenantId`). */
const CLAIM_LIMITS = { tenantIdMax: TENANT_ID_MAX, subjectMax: 256, emailMax: 320, groupIdMax: 128, groupsMax: 200 } as const;

/**
 * Maps verified claims to a Caller (docs/API.md "Rules"). A claim that could not be stored as is (too
 * long, control characters, a tenant id unsafe in a blob name) refuses the token with a 401, before
 * anything is written; groups past the limit refuse it too rather than silently losing access.
 */
export function callerFromClaims(claims: JWTPayload): Caller {
  const tenantId = requiredClaim(claims['tid'], 'tid', 'tenant', CLAIM_LIMITS.tenantIdMax);
  if (!isTenantId(tenantId)) {
    throw new UnauthenticatedError('The token tenant (tid) may only contain letters, digits and . _ : @ -, starting with a letter or digit');
  }
  const userId = requiredClaim(claims.sub, 'sub', 'subject', CLAIM_LIMITS.subjectMax);
  const email = claims['email'];
  if (typeof email === 'string') checkClaimText(email, 'email', CLAIM_LIMITS.emailMax);
  const groups = stringArray(claims['groups']);
  if (groups.length > CLAIM_LIMITS.groupsMax) throw new UnauthenticatedError(`The token has more than ${CLAIM_LIMITS.groupsMax} groups`);
  for (const group of groups) checkClaimText(group, 'groups', CLAIM_LIMITS.groupIdMax);
  const permissions = new Set([...scopeList(claims['scp']), ...scopeList(claims['scope']), ...stringArray(claims['permissions'])]);
  return {
    tenantId,
    userId,
    email: typeof email === 'string' && email !== '' ? email : null,
    groups,
    permissions,
    roles: new Set(stringArray(claims['roles'])),
  };
}

function requiredClaim(value: unknown, claim: string, what: string, max: number): string {
  if (typeof value !== 'string' || value === '') throw new UnauthenticatedError(`The token has no ${what} (${claim})`);
  checkClaimText(value, claim, max);
  return value;
}

function checkClaimText(value: string, claim: string, max: number): void {
  if (value.length > max) throw new UnauthenticatedError(`The token claim ${claim} is longer than ${max} characters`);
  if (hasControlCharacters(value)) throw new UnauthenticatedError(`The token claim ${claim} contains control characters`);
}

/** Space-separated per RFC 8693; some issuers (Okta) send an array instead. */
function scopeList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '');
  return stringArray(value);
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}
