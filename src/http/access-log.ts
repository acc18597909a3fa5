import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import { REDACTED, type Logger } from '../common/logger';
import { currentRequestId, currentRequestScope, traceFields } from '../common/request-context';

/**
 * Query parameters whose value is a credential: OAuth's `access_token`/`code`, signed URLs' `sig`,
 * `api_key`, passwords, sessions. Matched on the decoded name, case-insensitively.
 */
const CREDENTIAL_PARAM = /token|secret|key|auth|pass|pwd|code|sig|session|credential|jwt|bearer|cookie/i;
/** Request headers that carry credentials (`x-api-key`, `cookie`, `proxy-authorization`, `router-secret`, …). */
const CREDENTIAL_HEADER = /token|secret|key|auth|password|cookie/i;
/** A JWT under an innocent name (`?q=eyJ…`) is still a token. */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\./;

/**
 * One line per request (pino-http), with every credential in its URL, query and headers redacted,
 * the GraphQL operation's name, and the trace it belongs to. The line is written on `finish`,
 * outside the request's async scope: what it needs of the scope is taken when the request arrives.
 */
export function accessLog(logger: Logger): RequestHandler {
  const scopes = new WeakMap<object, { scope: ReturnType<typeof currentRequestScope>; trace: ReturnType<typeof traceFields> }>();
  const log = pinoHttp({
    logger,
    genReqId: () => currentRequestId() ?? randomUUID(),
    autoLogging: { ignore: (req) => req.url === '/healthz' },
    serializers: { req: redactRequest },
    customProps: (req) => {
      const seen = scopes.get(req);
      return { ...seen?.trace, ...(seen?.scope?.operation ? { operationName: seen.scope.operation } : {}) };
    },
  });
  return (req, res, next) => {
    scopes.set(req, { scope: currentRequestScope(), trace: traceFields() });
    log(req, res, next);
  };
}

interface SerializedRequest {
  url?: unknown;
  query?: unknown;
  headers?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Runs after pino's own request serializer, on its output (a fresh object, safe to change). */
function redactRequest(req: SerializedRequest): SerializedRequest {
  if (typeof req.url === 'string') req.url = redactUrl(req.url);
  if (req.query && typeof req.query === 'object') req.query = redactFields(req.query as Record<string, unknown>, CREDENTIAL_PARAM);
  if (req.headers) req.headers = redactFields(req.headers, CREDENTIAL_HEADER);
  return req;
}

/** The URL as sent, with the value of every credential-like query parameter replaced. */
function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const [query, fragment] = splitOnce(url.slice(queryStart + 1), '#');
  const parameters = query.split('&').map((parameter) => {
    const [name, value] = splitOnce(parameter, '=');
    return isCredential(decodeLeniently(name), decodeLeniently(value), CREDENTIAL_PARAM) ? `${name}=${REDACTED}` : parameter;
  });
  return `${url.slice(0, queryStart)}?${parameters.join('&')}${fragment === '' ? '' : `#${fragment}`}`;
}

function redactFields(fields: Record<string, unknown>, credentialName: RegExp): Record<string, unknown> {
  const redacted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    redacted[name] = isCredential(name, String(value), credentialName) ? REDACTED : value;
  }
  return redacted;
}

function isCredential(name: string, value: string, credentialName: RegExp): boolean {
  return credentialName.test(name) || JWT_LIKE.test(value);
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

/** `%61ccess_token` and `access%5Ftoken` are still `access_token`; a broken escape is kept as sent. */
function decodeLeniently(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
