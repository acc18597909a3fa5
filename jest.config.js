/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Starting an embedded PGlite and Azurite takes seconds, more on a loaded machine: 5 s (jest's
  // default, for tests and hooks alike) is too tight; tests that need longer say so themselves.
  testTimeout: 30_000,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
