/**
 * Preloaded into a child process by test/core/startup-footprint.test.ts (`node --import <this file> …`):
 * when the process exits it writes one line to stderr, `loaded-packages: [...]`, naming every package
 * under node_modules of which CommonJS code was loaded (Node's require cache also holds the CommonJS
 * packages that ES modules imported). It changes nothing else in the process.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

process.on('exit', () => {
  const packages = new Set();
  for (const path of Object.keys(require.cache)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    if (match) packages.add(match[1]);
  }
  process.stderr.write(`loaded-packages: ${JSON.stringify([...packages].sort())}\n`);
});
