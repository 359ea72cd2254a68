/** The Docker image and the compose file agree with the code and with what CI tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALL_SETTINGS } from '../../src/config/index.js';
import { HEALTH_PATHS } from '../../src/observability/paths.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');
const dockerfile = read('Dockerfile');
const compose = read('docker-compose.yml');
const ci = read('.ci/run');

describe('the Docker image', () => {
  it('runs the Node major that CI runs the test suite on', () => {
    const imageMajors = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((m) => m[1]);
    const ciNode = /^NODE24_VERSION=(\d+)\./m.exec(ci)?.[1];
    expect(imageMajors.length).toBeGreaterThan(0);
    for (const major of imageMajors) expect(major).toBe(ciNode);
    expect(ci).toMatch(/"\$NODE24" node_modules\/vitest\/vitest\.mjs run/);
  });

  it('checks its health on /livez with node (the slim image has no curl)', () => {
    const healthcheck = /^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
    expect(healthcheck, 'a HEALTHCHECK instruction').not.toBeNull();
    const command = JSON.parse(healthcheck![1]!) as string[];
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain(`'${HEALTH_PATHS.live}'`);
    const instructions = dockerfile.split('\n').filter((line) => !line.startsWith('#'));
    expect(instructions.join('\n')).not.toMatch(/curl|wget/);
  });

  it('bakes no setting into the image, and does not run `prepare` before the source is there', () => {
    const baked = [...dockerfile.matchAll(/^(?:ENV|ARG)\s+([A-Z_]+)/gm)].map((m) => m[1]);
    expect(baked).toEqual(['NODE_ENV']);
    for (const setting of ALL_SETTINGS.filter((s) => s.secret))
      expect(dockerfile).not.toContain(setting.name);
    for (const install of dockerfile.match(/npm ci[^\n]*/g) ?? [])
      expect(install).toContain('--ignore-scripts');
    expect(read('.dockerignore')).toMatch(/^\.env$/m);
  });
});

describe('docker-compose.yml', () => {
  it('checks the bot on /readyz with node and Redis with redis-cli ping', () => {
    expect(compose).toContain(`'${HEALTH_PATHS.ready}'`);
    expect(compose).toMatch(/redis-cli ping/);
    expect(compose).toMatch(/condition: service_healthy/);
  });

  it('keeps Redis data in a named volume with AOF on and no eviction', () => {
    expect(compose).toMatch(/--appendonly\s*\n\s*- "yes"/);
    expect(compose).toMatch(/--maxmemory-policy\s*\n\s*- noeviction/);
    expect(compose).toMatch(/- redis-data:\/data/);
    expect(compose).toMatch(/^volumes:\n\s+redis-data:/m);
  });

  it('takes settings from .env at run time and writes no secret into the file', () => {
    expect(compose).toMatch(/env_file: \.env/);
    for (const setting of ALL_SETTINGS.filter((s) => s.secret && s.name !== 'REDIS_URL')) {
      expect(compose).not.toContain(setting.name);
    }
  });
});

describe('LICENSE', () => {
  it('is the MIT licence package.json names', () => {
    expect(JSON.parse(read('package.json')).license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 cosjob contributors\n/);
  });
});
