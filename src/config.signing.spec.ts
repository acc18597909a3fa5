import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { configProblemsOf } from '../test/support/config-problems';
import { configWith, loadConfig } from './config';

const PEM = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PRODUCTION = { NODE_ENV: 'production', OIDC_ISSUER: 'https://login.example.test', OIDC_AUDIENCE: 'catalog' };

describe('signing configuration', () => {
  it('defaults to the embedded key directory under DATA_DIR', () => {
    expect(loadConfig({}).signing).toEqual({ kind: 'directory', directory: path.resolve('.data', 'signing-keys') });
    expect(loadConfig({ DATA_DIR: '/var/lib/catalog' }).signing).toEqual({ kind: 'directory', directory: '/var/lib/catalog/signing-keys' });
    expect(configWith({ dataDir: '/tmp/catalog-x' }).signing).toEqual({ kind: 'directory', directory: '/tmp/catalog-x/signing-keys' });
  });

  it('takes the key itself, or a file holding it, and a retired keys file', () => {
    expect(loadConfig({ CATALOG_SIGNING_KEY: PEM }).signing).toEqual({ kind: 'configured', currentKey: { material: PEM.trim() }, retiredKeysFile: null });
    expect(
      loadConfig({ ...PRODUCTION, CATALOG_SIGNING_KEY_FILE: 'keys/current.pem', CATALOG_SIGNING_RETIRED_KEYS_FILE: '/etc/catalog/retired.json' }).signing,
    ).toEqual({
      kind: 'configured',
      currentKey: { file: path.resolve('keys/current.pem') },
      retiredKeysFile: '/etc/catalog/retired.json',
    });
  });

  it('refuses production without a configured key, listed with the other problems', () => {
    const problems = configProblemsOf({ NODE_ENV: 'production', PORT: 'eighty' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/OIDC_ISSUER.*production/),
        expect.stringMatching(/CATALOG_SIGNING_KEY or CATALOG_SIGNING_KEY_FILE is required when NODE_ENV=production/),
      ]),
    );
    expect(problems).toHaveLength(3);
    expect(loadConfig({ ...PRODUCTION, CATALOG_SIGNING_KEY: PEM }).signing.kind).toBe('configured');
  });

  it('refuses both forms of the key at once, and retired keys without a configured key, never quoting the key', () => {
    const problems = configProblemsOf({ CATALOG_SIGNING_KEY: PEM, CATALOG_SIGNING_KEY_FILE: '/k.pem' });
    expect(problems).toEqual(['set CATALOG_SIGNING_KEY or CATALOG_SIGNING_KEY_FILE, not both']);
    expect(problems.join('\n')).not.toContain(PEM.split('\n')[1]);
    expect(configProblemsOf({ CATALOG_SIGNING_RETIRED_KEYS_FILE: '/retired.json' })).toEqual([
      expect.stringMatching(/^CATALOG_SIGNING_RETIRED_KEYS_FILE needs CATALOG_SIGNING_KEY or CATALOG_SIGNING_KEY_FILE/),
    ]);
  });
});
