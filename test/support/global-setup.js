// Worker processes of the multi-process tests load the compiled library from dist/: rebuild
// it when a source file is newer, so `npx jest` never runs them against stale code.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..');
  const built = join(root, 'dist', 'cjs', 'index.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(join(root, 'lib'))) {
    execSync('npm run build', { cwd: root, stdio: 'inherit' });
  }
};
