import { execFileSync } from 'node:child_process';

/** Fails the run at once, with a fix, when a component the suite starts itself is missing. */
export default function checkPrerequisites(): void {
  if (process.env.REDIS_URL) return;
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'redis-server is not on the PATH. Install it (Debian: apt-get install -y redis-server) or set REDIS_URL.',
    );
  }
}
