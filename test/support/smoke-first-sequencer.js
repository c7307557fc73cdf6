// @ts-check
const { dirname } = require('node:path');

// Jest's own sequencer, resolved from jest itself (it is jest's dependency, not ours).
const { default: Sequencer } = require(
  require.resolve('@jest/test-sequencer', {
    paths: [dirname(require.resolve('jest/package.json'))],
  }),
);

/**
 * Jest's order (failed first, then longest first by the timings of earlier runs, then by file
 * size), with the smoke consumers moved to the front. They take about four minutes on one
 * worker; a fresh clone has no timings, and by file size jest started them last, after the other
 * worker had run nearly everything else, which left that worker idle for their whole length.
 */
class SmokeFirstSequencer extends Sequencer {
  /** @param {import('@jest/test-result').Test[]} tests */
  sort(tests) {
    const sorted = /** @type {import('@jest/test-result').Test[]} */ (super.sort(tests));
    const isSmoke = (/** @type {import('@jest/test-result').Test} */ test) =>
      test.context.config.displayName?.name === 'smoke';
    return [...sorted.filter(isSmoke), ...sorted.filter((test) => !isSmoke(test))];
  }
}

module.exports = SmokeFirstSequencer;
