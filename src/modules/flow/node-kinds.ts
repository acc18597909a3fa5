/**
 * Which kind of credential a node type needs, told from the vendor its type names. The installer
 * is offered only credentials of that kind for a slot, so a type that merely mentions a vendor
 * in passing (`googleSheets`, `lmChatOpenAi`) is left unknown rather than guessed.
 */
const KIND_BY_VENDOR: ReadonlyMap<string, string> = new Map([
  ['openai', 'openai'],
  ['anthropic', 'anthropic'],
  ['azure-openai', 'azure-openai'],
  ['slack', 'slack'],
  ['github', 'github'],
  ['gitlab', 'gitlab'],
  ['google', 'google'],
  ['postgres', 'postgres'],
  ['mysql', 'mysql'],
  ['smtp', 'smtp'],
  // S3 is reached with an AWS credential, like every other AWS service.
  ['s3', 'aws'],
  ['aws', 'aws'],
  ['salesforce', 'salesforce'],
  ['hubspot', 'hubspot'],
  ['notion', 'notion'],
  ['jira', 'jira'],
  ['stripe', 'stripe'],
  ['twilio', 'twilio'],
]);

/**
 * The kind of the first segment (split at `.` and `:`, compared lowercase) that names a known
 * vendor: `openai.chat`, `n8n-nodes-base.slack`, `aws:s3.upload`. Null when none does.
 */
export function credentialKindOf(nodeType: string): string | null {
  for (const segment of nodeType.toLowerCase().split(/[.:]/)) {
    const kind = KIND_BY_VENDOR.get(segment);
    if (kind !== undefined) return kind;
  }
  return null;
}
