/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Starting an embedded PGlite and Azurite takes seconds, and up to half a minute on a loaded CI
  // machine: 5 s (jest's default, for tests and hooks alike) is far too tight. A test that times out
  // leaves its app starting after the file's environment is gone, which fails the whole run.
  testTimeout: 60_000,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
