import { z } from 'zod';
import { FlowSourceUnavailableError, ForbiddenError, NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { UnconfiguredFlowSource, type FlowSource } from './flow-source';

/** The permission on a flow that publishing it needs (docs/API.md "Rules"). */
const DEPLOY_PERMISSION = 'deploy';

/** Room for a 1 MiB flow (docs/FLOW-FORMAT.md) plus its envelope; a longer answer is refused. */
const MAX_FLOW_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * What a 200 from the flows service must look like (docs/FLOWS-SERVICE.md). Other top-level fields
 * are ignored; the flow itself is checked by the compiler, so a broken saved flow is reported as
 * FLOW_COMPILE_FAILED with its problems rather than as an outage.
 */
const flowAnswerSchema = z.looseObject({
  flow: z.record(z.string(), z.unknown()),
  permissions: z.array(z.string()),
});

interface HttpFlowSourceOptions {
  /** `FLOWS_API_URL`; a path prefix is kept (`https://host/flows` → `https://host/flows/api/v1/flows/…`). */
  baseUrl: string;
  /** The whole exchange, answer body included. */
  timeoutMs?: number;
  /** Failures are logged here with their cause; callers only see a short reason. */
  logger?: Logger;
}

/**
 * Reads a saved flow from the flows service with the caller's own `Authorization` header, so the
 * flows service decides what the caller may see and whether they hold `deploy`.
 */
export class HttpFlowSource implements FlowSource {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;

  constructor({ baseUrl, timeoutMs = 5000, logger }: HttpFlowSourceOptions) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    this.logger = logger;
  }

  async fetchFlowForDeploy(flowId: string, authorization: string): Promise<unknown> {
    const url = `${this.baseUrl}/api/v1/flows/${encodeURIComponent(flowId)}`;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: 'GET',
        headers: { authorization, accept: 'application/json' },
        // A redirect could carry the caller's token somewhere else: treat it as a wrong answer.
        redirect: 'manual',
        signal,
      });
      text = await readLimited(response, MAX_FLOW_ANSWER_BYTES);
    } catch (error) {
      throw this.unavailable(flowId, describeFetchFailure(error, this.timeoutMs), error);
    }

    if (response.status === 404) throw new NotFoundError(`Flow ${flowId} not found`);
    if (response.status === 401 || response.status === 403) {
      throw new ForbiddenError(`The flows service refused access to flow ${flowId} (HTTP ${response.status})`);
    }
    if (response.status !== 200) throw this.unavailable(flowId, `it answered HTTP ${response.status}`);

    const contentType = response.headers.get('content-type') ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
      throw this.unavailable(flowId, `its answer is not JSON (content-type ${JSON.stringify(contentType.slice(0, 100))})`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw this.unavailable(flowId, 'its answer is not valid JSON', error);
    }
    const parsed = flowAnswerSchema.safeParse(body);
    if (!parsed.success) {
      const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw this.unavailable(flowId, `its answer is malformed (expected { flow: object, permissions: string[] }; wrong at ${where})`);
    }
    if (!parsed.data.permissions.includes(DEPLOY_PERMISSION)) {
      throw new ForbiddenError(`Publishing flow ${flowId} needs the ${DEPLOY_PERMISSION} permission on it`);
    }
    return parsed.data.flow;
  }

  private unavailable(flowId: string, reason: string, cause?: unknown): FlowSourceUnavailableError {
    this.logger?.warn({ flowId, reason, err: cause }, 'flows service unavailable');
    return new FlowSourceUnavailableError(`Could not fetch flow ${flowId} from the flows service: ${reason}`);
  }
}

/** `FLOWS_API_URL` set: the HTTP adapter; unset: one that explains how to configure it. */
export function createFlowSource(flowsApiUrl: string | null, options: Omit<HttpFlowSourceOptions, 'baseUrl'> = {}): FlowSource {
  return flowsApiUrl ? new HttpFlowSource({ baseUrl: flowsApiUrl, ...options }) : new UnconfiguredFlowSource();
}

/** The body as text, refusing (and cancelling) one longer than `max` bytes. */
async function readLimited(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => {});
    throw new AnswerTooLargeError(max);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new AnswerTooLargeError(max);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

class AnswerTooLargeError extends Error {
  constructor(readonly max: number) {
    super(`answer larger than ${max} bytes`);
  }
}

/** A short reason for the caller; never the URL (it may hold credentials) nor the token. */
function describeFetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof AnswerTooLargeError) return `its answer is larger than ${error.max} bytes`;
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = (error as { cause?: { code?: string } } | null)?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'its host name does not resolve';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was closed';
  if (code) return `network error ${code}`;
  return 'network error';
}
