import semver from 'semver';
import { z } from 'zod';
import { hasControlCharacters } from '../../common/control-characters';
import { BadUserInputError, toProblems } from '../../common/errors';
import { parameterDeclarationsSchema } from '../flow/parameters';
import { validRuntimeRange } from '../flow/requirements';
import { parseVersion } from './versioning';

/**
 * A release channel's name: a lowercase slug that is no semver version or range (npm's dist-tag
 * rule, so a channel can never be mistaken for a version).
 */
export const channelNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lowercase slug: a letter, then letters, digits or -, at most 64')
  .refine((name) => semver.validRange(name) === null, 'must not be a semver version or range');

/** Input limits; docs/API.md lists them. */
export const LIMITS = {
  packageIdMax: 64,
  nameMax: 200,
  descriptionMax: 2_000,
  readmeMaxBytes: 256 * 1024,
  changelogMaxBytes: 64 * 1024,
  versionMax: 64,
  flowIdMax: 128,
  groupIdMax: 128,
  groupsMax: 50,
  tagsMax: 20,
  tagMax: 50,
  runtimeMax: 100,
} as const;

/** A string without control characters (`multiline`: tab, CR and LF allowed), checked before anything is written. */
export function plainText(options: { multiline?: boolean } = {}) {
  const message = options.multiline ? 'must not contain control characters other than tab and line breaks' : 'must not contain control characters';
  return z.string().refine((value) => !hasControlCharacters(value, options), message);
}

export const packageIdSchema = z
  .string()
  .max(LIMITS.packageIdMax, `must be at most ${LIMITS.packageIdMax} characters`)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'must be a lowercase slug: a-z, 0-9 and inner hyphens');

const versionSchema = z
  .string()
  .max(LIMITS.versionMax)
  .refine((value) => parseVersion(value) === value, 'must be a semantic version such as 1.2.3');

/** Tags: lowercase slugs, at most 20; repeats are dropped and the order kept. */
export const tagsSchema = z
  .array(
    z
      .string()
      .max(LIMITS.tagMax, `must be at most ${LIMITS.tagMax} characters`)
      .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'must be a lowercase slug: a-z, 0-9 and inner hyphens'),
  )
  .transform((tags) => [...new Set(tags)])
  .refine((tags) => tags.length <= LIMITS.tagsMax, `at most ${LIMITS.tagsMax} tags`);

const nameSchema = plainText().trim().min(1, 'is required').max(LIMITS.nameMax);
const descriptionSchema = plainText({ multiline: true }).max(LIMITS.descriptionMax).nullish();
const readmeSchema = plainText({ multiline: true })
  .refine((value) => Buffer.byteLength(value) <= LIMITS.readmeMaxBytes, `must be at most ${LIMITS.readmeMaxBytes} bytes`)
  .nullish();

export const publishInputSchema = z
  .strictObject({
    packageId: packageIdSchema,
    name: nameSchema,
    description: descriptionSchema,
    version: versionSchema,
    readme: readmeSchema,
    flowId: z
      .string()
      .min(1)
      .max(LIMITS.flowIdMax)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'may contain letters, digits, _ . : -')
      .nullish(),
    content: z.unknown().optional(),
    tags: tagsSchema.nullish(),
    changelog: plainText({ multiline: true })
      .refine((value) => Buffer.byteLength(value) <= LIMITS.changelogMaxBytes, `must be at most ${LIMITS.changelogMaxBytes} bytes`)
      .nullish(),
    parameters: parameterDeclarationsSchema.nullish(),
    /** Publish for review: the version is STAGED until someone else approves it. */
    stage: z.boolean().nullish(),
    runtime: plainText()
      .max(LIMITS.runtimeMax, `must be at most ${LIMITS.runtimeMax} characters`)
      .refine(validRuntimeRange, 'must be a semver range such as >=2.3 <3')
      .nullish(),
    /** The release channel the version goes to; absent or `stable`: the default version may move (today's rule). */
    channel: channelNameSchema.nullish(),
  })
  .superRefine((input, ctx) => {
    const hasFlowId = input.flowId != null;
    const hasContent = input.content !== undefined && input.content !== null;
    if (hasFlowId === hasContent) {
      ctx.addIssue({ code: 'custom', path: [hasFlowId ? 'content' : 'flowId'], message: 'give exactly one of a flow id or inline content' });
    }
  });

export type PublishInput = z.infer<typeof publishInputSchema>;

/** The package fields an edit may change without a new version. */
export const METADATA_FIELDS = ['name', 'description', 'readme', 'tags'] as const;
export type MetadataField = (typeof METADATA_FIELDS)[number];

/**
 * An edit of the package's metadata: each field given is set (`description` and `readme` null
 * clear them), each field left out stays; at least one. The same limits as publish.
 */
export const metadataInputSchema = z
  .strictObject({
    name: nameSchema.optional(),
    description: descriptionSchema,
    readme: readmeSchema,
    tags: tagsSchema.optional(),
  })
  .refine((input) => METADATA_FIELDS.some((field) => input[field] !== undefined), 'give at least one of name, description, readme, tags');

export type MetadataInput = z.infer<typeof metadataInputSchema>;

export const groupIdsSchema = z
  .array(
    z
      .string()
      .min(1)
      .max(LIMITS.groupIdMax)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/, 'may contain letters, digits, _ . : @ -'),
  )
  .max(LIMITS.groupsMax, `at most ${LIMITS.groupsMax} groups`);

/** Parses with a zod schema, turning every issue into one BAD_USER_INPUT error. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, message = 'Invalid input'): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new BadUserInputError(message, toProblems(result.error.issues));
  return result.data;
}
