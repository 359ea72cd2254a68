/** `npm run demo`: the whole flow, offline, in one command (see cli.ts for options and exit codes). */
import { runDemoCli } from './cli.js';

const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());
process.once('SIGTERM', () => interrupt.abort());

const code = await runDemoCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  },
  { signal: interrupt.signal },
);
// Exit explicitly: a component that ignored stop() (a keep-alive socket, a timer) must not keep the
// terminal waiting after the summary.
process.exit(code);
