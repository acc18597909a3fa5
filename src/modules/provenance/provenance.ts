import { configure } from 'safe-stable-stringify';
import type { SigningJwks, SigningKeys } from '../../infra/signing/signing-keys';

/** What a publish establishes about a version, signed into its provenance statement. */
export interface ProvenanceFacts {
  tenantId: string;
  packageId: string;
  version: string;
  /** The archive's file name: the statement's subject. */
  archiveName: string;
  sha256: string;
  publisherId: string;
  /** The saved flow the version was published from; null for inline content. */
  sourceFlow: { id: string; revision: string | null } | null;
  publishedAt: Date;
  /**
   * `publishPolicy`: `none`, or each content rule of the tenant's policy that ran as
   * `rule:mode:result`, comma-separated (a string, as every check is: the predicate keeps its shape).
   */
  checks: { compile: 'passed'; secretGuard: 'passed'; publishPolicy: string };
}

/** An in-toto Statement v1 and its DSSE signature by the catalog key `keyId`. */
export interface Provenance {
  statement: Record<string, unknown>;
  /** base64url Ed25519 signature of `preAuthenticationEncoding(PAYLOAD_TYPE, canonical statement)`. */
  signature: string;
  keyId: string;
}

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** Stable: a verifier recognizes catalog publish statements by it (docs/ARCHITECTURE.md, "Signed provenance"). */
export const PREDICATE_TYPE = 'https://flow-package-catalog.dev/provenance/publish/v1';
/** DSSE's payload type for in-toto statements. */
export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * Not a CatalogError on purpose: a statement that fails to verify means stored data was altered,
 * which the caller cannot fix, so the edges mask it as a 500 and only the log tells what failed.
 */
export class ProvenanceMismatchError extends Error {
  override readonly name = 'ProvenanceMismatchError';
}

/** Sorted keys, no whitespace: RFC 8785 for values without numbers, which statements never hold. */
const canonicalJson = configure({ deterministic: true, strict: true, circularValue: Error });

/** The statement's bytes as signed; the same for any key order, so a statement read back from jsonb verifies. */
export function canonicalPayload(statement: Record<string, unknown>): Buffer {
  return Buffer.from(canonicalJson(statement), 'utf8');
}

/** DSSE's PAE: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes as ASCII decimals. */
export function preAuthenticationEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** Signs each published version's provenance statement, and checks one before an install trusts it. */
export class ProvenanceSigner {
  constructor(private readonly keys: SigningKeys) {}

  sign(facts: ProvenanceFacts): Provenance {
    const statement = statementOf(facts);
    const { signature, keyId } = this.keys.sign(preAuthenticationEncoding(PAYLOAD_TYPE, canonicalPayload(statement)));
    return { statement, signature, keyId };
  }

  /** Throws ProvenanceMismatchError naming what did not match. */
  verify(provenance: Provenance, expected: { sha256: string }): void {
    const { keyId, signature } = provenance ?? {};
    if (typeof keyId !== 'string' || !this.keys.has(keyId)) throw new ProvenanceMismatchError(`signed by an unknown key ${JSON.stringify(keyId)}`);
    const statement = statementObject(provenance.statement);
    if (!this.keys.verify(keyId, preAuthenticationEncoding(PAYLOAD_TYPE, payloadOf(statement)), signature)) {
      throw new ProvenanceMismatchError(`bad signature: the statement is not what key ${keyId} signed`);
    }
    if (statement._type !== STATEMENT_TYPE || statement.predicateType !== PREDICATE_TYPE) {
      throw new ProvenanceMismatchError('not a catalog publish statement (statement or predicate type)');
    }
    const digest = subjectDigest(statement);
    if (digest !== expected.sha256) {
      throw new ProvenanceMismatchError(`subject digest ${JSON.stringify(digest)} does not match the archive's sha256 ${JSON.stringify(expected.sha256)}`);
    }
  }

  /** The public keys a verifier needs: current first, then retired. */
  jwks(): SigningJwks {
    return this.keys.jwks();
  }
}

function statementOf(facts: ProvenanceFacts): Record<string, unknown> {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: facts.archiveName, digest: { sha256: facts.sha256 } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      tenantId: facts.tenantId,
      packageId: facts.packageId,
      version: facts.version,
      publisherId: facts.publisherId,
      sourceFlow: facts.sourceFlow ? { id: facts.sourceFlow.id, revision: facts.sourceFlow.revision } : null,
      publishedAt: facts.publishedAt.toISOString(),
      checks: { ...facts.checks },
    },
  };
}

function statementObject(statement: unknown): Record<string, unknown> {
  if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) throw new ProvenanceMismatchError('the statement is not an object');
  return statement as Record<string, unknown>;
}

function payloadOf(statement: Record<string, unknown>): Buffer {
  try {
    return canonicalPayload(statement);
  } catch {
    throw new ProvenanceMismatchError('the statement holds values that are not JSON');
  }
}

function subjectDigest(statement: Record<string, unknown>): unknown {
  const subject = statement.subject;
  if (!Array.isArray(subject) || subject.length !== 1) return undefined;
  return (subject[0] as { digest?: { sha256?: unknown } } | null)?.digest?.sha256;
}
