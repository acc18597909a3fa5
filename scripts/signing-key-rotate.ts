/**
 * Rotates the embedded signing key (DATA_DIR/signing-keys): the current key is retired, so what it
 * signed stays verifiable, and a new one signs from the service's next start on.
 *   npm run signing-key:rotate
 * Run it with the same DATA_DIR as the service, then restart the service.
 */
import { loadConfig } from '../src/config';
import { rotateKeyDirectory } from '../src/infra/signing/key-files';

const CONFIGURED_KEY_ROTATION = `The signing key is configured (CATALOG_SIGNING_KEY or CATALOG_SIGNING_KEY_FILE): rotate it there.
Set the new key, add the old key's public JWK to the JWKS file named by CATALOG_SIGNING_RETIRED_KEYS_FILE
(GET /.well-known/catalog-keys serves it, with its kid), and restart every instance.`;

async function main(): Promise<void> {
  const { signing } = loadConfig();
  if (signing.kind !== 'directory') {
    process.stderr.write(`${CONFIGURED_KEY_ROTATION}\n`);
    process.exitCode = 2;
    return;
  }
  const { retiredKeyId, currentKeyId } = await rotateKeyDirectory(signing.directory);
  process.stdout.write(`retired key: ${retiredKeyId}\ncurrent key: ${currentKeyId}\nRestart the service to sign with the new key.\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
