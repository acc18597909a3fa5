import type DataLoader from 'dataloader';
import type { Caller } from '../common/caller';
import type { Logger } from '../common/logger';
import type { IdempotencyService } from '../modules/idempotency/idempotency.service';
import type { PackageRecord } from '../modules/package/package.model';
import type { PackageService } from '../modules/package/package.service';

/** Built once per GraphQL request, after the caller has been authenticated. */
export interface GraphQLContext {
  caller: Caller;
  /** The caller's own `Authorization` header, forwarded to the flows service. */
  authorization: string;
  requestId: string;
  /** The `Idempotency-Key` header, for publish. */
  idempotencyKey: string | null;
  logger: Logger;
  services: { packages: PackageService; idempotency: IdempotencyService };
  loaders: { packageById: DataLoader<string, PackageRecord | null> };
}
