import type { Request, Response } from 'express';
import { BadUserInputError, PreconditionFailedError, RevisionMismatchError } from '../common/errors';
import type { PackageView } from '../modules/package/package.view';

/**
 * A package's REST ETag is its revision, quoted (a strong validator: every change moves it). What
 * a summary shows also depends on who asks (redacted fields), hence `Vary: Authorization` beside it.
 */
export function etagOf(pkg: Pick<PackageView, 'revision'>): string {
  return `"${pkg.revision}"`;
}

export function setEtag(res: Response, pkg: Pick<PackageView, 'revision'>): void {
  res.setHeader('etag', etagOf(pkg));
  res.vary('authorization');
}

/** Whether `If-None-Match` names the package's current ETag (`*` or a list; weak ones compare weakly, RFC 9110 13.1.2). */
export function matchesIfNoneMatch(req: Request, pkg: Pick<PackageView, 'revision'>): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(pkg));
}

const STRONG_REVISION_TAG = /^"(\d{1,15})"$/;

/**
 * The revision an `If-Match` header requires: null without one (or `*`: any current revision).
 * Only a strong ETag of this API can match (RFC 9110 13.1.1): anything else is refused as input.
 */
export function revisionFromIfMatch(req: Request): number | null {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return null;
  const tags = header.split(',').map((tag) => tag.trim());
  const revisions = tags.map((tag) => STRONG_REVISION_TAG.exec(tag)?.[1]);
  if (tags.length !== 1 || revisions[0] === undefined) {
    throw new BadUserInputError('Invalid If-Match header', [{ path: 'If-Match', message: 'must be "*" or one ETag of this package, as a summary gave it' }]);
  }
  return Number(revisions[0]);
}

/** A revision that moved under an `If-Match` is the precondition failing: REST's 412. */
export function asPreconditionFailure(error: unknown): unknown {
  return error instanceof RevisionMismatchError ? new PreconditionFailedError(error.currentRevision) : error;
}
