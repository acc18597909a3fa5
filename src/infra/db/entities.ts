import { CatalogAuditEventSchema } from '../../modules/audit/audit.entity';
import { IdempotencyKeySchema } from '../../modules/idempotency/idempotency.entity';
import { CatalogChannelSchema } from '../../modules/package/channel.entity';
import { CatalogPackageSchema } from '../../modules/package/package.entity';
import { CatalogPackageVersionSchema } from '../../modules/package/package-version.entity';
import { CatalogPublishReservationSchema } from '../../modules/package/publish-reservation.entity';
import { CatalogPublishPolicyChangeSchema } from '../../modules/publish-policy/publish-policy-change.entity';
import { CatalogPublishPolicySchema } from '../../modules/publish-policy/publish-policy.entity';
import { CatalogTenantUsageSchema } from '../../modules/quota/tenant-usage.entity';

/** Every entity the ORM knows; one list shared by the app, migrations and tests. */
export const ENTITIES = [
  CatalogPackageSchema,
  CatalogPackageVersionSchema,
  CatalogAuditEventSchema,
  IdempotencyKeySchema,
  CatalogTenantUsageSchema,
  CatalogPublishReservationSchema,
  CatalogChannelSchema,
  CatalogPublishPolicySchema,
  CatalogPublishPolicyChangeSchema,
];
