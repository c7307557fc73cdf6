// @ts-check
/**
 * The documentation site in a browser, apart from `npm test`: it needs the built site
 * (`npm run docs:build`), and `npm run test:docs` runs it (`.ci/run` runs both in one stage).
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '../..',
  displayName: 'docs',
  testMatch: ['<rootDir>/test/docs/**/*.docs-spec.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  testEnvironment: 'node',
  testTimeout: 180_000,
};
