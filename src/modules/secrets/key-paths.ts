import type { StringAt } from './json-strings';

interface Finding {
  path: string;
  rule: string;
}

/**
 * A finding's path names each object key it passes through, so a key that is itself a credential
 * would be echoed in every path below it. Such a key is named by its position among its object's
 * keys instead (`/nodes/3/config/accounts/#key0`), in its own finding and in those beneath it.
 */
export function redactKeyPaths<T extends Finding>(findings: T[], credentialKeys: readonly StringAt[]): T[] {
  if (credentialKeys.length === 0) return findings;
  const renamed = new Map(credentialKeys.map(({ pointer, keyIndex }) => [pointer, `#key${keyIndex}`]));
  return findings.map((finding) => {
    const segments = finding.path.split('/').slice(1);
    let original = '';
    const reported = segments.map((segment) => {
      original += `/${segment}`;
      return renamed.get(original) ?? segment;
    });
    return { ...finding, path: `/${reported.join('/')}` };
  });
}
