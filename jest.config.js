// @ts-check
/** Transpile-only TypeScript for tests; `npm run typecheck` checks the types. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  transform: {
    '^.+\\.ts$': swc,
    // ES-module-only packages that CommonJS code requires (Node 20.19+ loads them with
    // require(esm), which jest's module system does not): content-disposition 3, required by
    // @fastify/static, which Mercurius loads at once.
    '/node_modules/(?:.+/)?content-disposition/.+\\.js$': swc,
  },
  transformIgnorePatterns: ['/node_modules/(?!(?:.+/)?content-disposition/)'],
  moduleNameMapper: {
    // Sources import with the .js suffix Node's ESM resolution needs; jest resolves the .ts file.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The sample app imports the library by its package name: test it against the sources.
    '^nestjs-redis-lock$': '<rootDir>/lib/index.ts',
    '^nestjs-redis-lock/core$': '<rootDir>/lib/core/index.ts',
    '^nestjs-redis-lock/health$': '<rootDir>/lib/health/index.ts',
    '^nestjs-redis-lock/testing$': '<rootDir>/lib/testing/index.ts',
    '^nestjs-redis-lock/experimental$': '<rootDir>/lib/experimental/index.ts',
  },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.js',
  testSequencer: '<rootDir>/test/support/smoke-first-sequencer.js',
  testTimeout: 30_000,
  // Most suites wait on Redis servers and child processes, not on the CPU: two test files at a
  // time on a 2-core machine (jest's default would be one) halve the wall time of the run.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    {
      ...common,
      displayName: 'sample-app',
      testMatch: ['<rootDir>/sample-app/test/**/*.spec.ts'],
    },
    {
      // The model-based fault test's short budget (the long run: npm run test:chaos).
      ...common,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
    },
    {
      ...common,
      displayName: 'smoke',
      testMatch: ['<rootDir>/test/smoke/**/*.smoke-spec.ts'],
    },
  ],
};
