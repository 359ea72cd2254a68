import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CreateJobInput } from '../../tools/cos/create-job-xml.js';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';

const ACCOUNT = {
  uin: '100000000077',
  appId: '1250000077',
  secretId: 'AKIDclitest00000000000000000000000',
  secretKey: 'cli-test-secret-key-9a8b7c6d5e4f',
};

let emulator: RunningEmulator;
let env: Record<string, string>;
const jobs = { guangzhouSuspended: '', guangzhouActive: '', shanghaiSuspended: '' };

function input(description: string, overrides: Partial<CreateJobInput> = {}): CreateJobInput {
  return {
    clientRequestToken: `cli-${description}`,
    confirmationRequired: true,
    description,
    priority: 10,
    roleArn: `qcs::cam::uin/${ACCOUNT.uin}:roleName/COS_Batch_QcsRole`,
    manifest: {
      objectArn: `qcs::cos:ap-guangzhou:uid/${ACCOUNT.appId}:src-${ACCOUNT.appId}/m.csv`,
      etag: '"0123456789abcdef0123456789abcdef"',
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
    operation: {
      kind: 'COSPutObjectCopy',
      targetResource: `qcs::cos:ap-guangzhou:uid/${ACCOUNT.appId}:dst-${ACCOUNT.appId}`,
    },
    ...overrides,
  };
}

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT] });
  jobs.guangzhouSuspended = emulator.store.createJob('ap-guangzhou', input('nightly copy 中文'), {
    status: 'Suspended',
    totalTasks: 1200,
  }).id;
  jobs.guangzhouActive = emulator.store.createJob('ap-guangzhou', input('restore run'), {
    status: 'Active',
  }).id;
  jobs.shanghaiSuspended = emulator.store.createJob(
    'ap-shanghai',
    input('purge old logs', { operation: { kind: 'COSDeleteObject' } }),
    { status: 'Suspended' },
  ).id;
  env = {
    COS_SECRET_ID: ACCOUNT.secretId,
    COS_SECRET_KEY: ACCOUNT.secretKey,
    COS_APPID: ACCOUNT.appId,
    COS_UIN: ACCOUNT.uin,
    COS_REGIONS: 'ap-guangzhou,ap-shanghai',
    COS_ENDPOINT: emulator.url,
  };
});

afterAll(async () => {
  await emulator.close();
});

async function run(argv: string[], environment: Record<string, string | undefined> = env) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, environment, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
  });
  return { code, stdout, stderr };
}

describe('cosjob jobs list', () => {
  it('prints a table covering every configured region', async () => {
    const result = await run(['jobs', 'list']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^REGION\s+JOB ID\s+STATUS\s+PRIORITY\s+OPERATION/);
    const row = (id: string) => lines.find((line) => line.includes(id));
    expect(row(jobs.guangzhouSuspended)).toMatch(
      /ap-guangzhou\s+\S+\s+Suspended\s+10\s+COSPutObjectCopy\s+0\/0\/1200/,
    );
    expect(row(jobs.guangzhouActive)).toMatch(/Active/);
    expect(row(jobs.shanghaiSuspended)).toMatch(/ap-shanghai.*COSDeleteObject.*purge old logs/);
    expect(lines.at(-1)).toBe('3 jobs.');
  });

  it('filters by status and region, and prints JSON', async () => {
    const result = await run(['jobs', 'list', '--status', 'Suspended', '--region=ap-guangzhou', '--json']);
    expect(result.code).toBe(0);
    const listed = JSON.parse(result.stdout) as { region: string; id: string; status: string }[];
    expect(listed).toEqual([
      expect.objectContaining({ region: 'ap-guangzhou', id: jobs.guangzhouSuspended, status: 'Suspended' }),
    ]);
  });

  it('says so when nothing matches', async () => {
    const result = await run(['jobs', 'list', '--status', 'Failing']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('No jobs with status Failing in ap-guangzhou, ap-shanghai.\n');
  });

  it('refuses a region that is not configured, naming the configured ones', async () => {
    const result = await run(['jobs', 'list', '--region', 'eu-frankfurt']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('eu-frankfurt');
    expect(result.stderr).toContain('COS_REGIONS');
    expect(result.stderr).toContain('ap-guangzhou, ap-shanghai');
  });

  it('refuses an unknown status', async () => {
    const result = await run(['jobs', 'list', '--status', 'Pending']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a COS job status.*Suspended/);
  });

  it('exits non-zero with code and request id when COS fails, and never prints the secret', async () => {
    const result = await run(['jobs', 'list', '--region', 'ap-guangzhou'], {
      ...env,
      COS_SECRET_KEY: 'wrong-secret-key-000000',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('COS error SignatureDoesNotMatch (HTTP 403)');
    expect(result.stderr).toMatch(/request id: \S+/);
    expect(result.stderr).not.toContain('request id: (none)');
    expect(result.stderr).not.toContain('wrong-secret-key-000000');
    expect(result.stdout).not.toContain('wrong-secret-key-000000');
  });
});

describe('cosjob jobs list when COS fails', () => {
  const badKey = () => ({ ...env, COS_SECRET_KEY: 'wrong-secret-key-000000' });

  it('never says "No jobs": stdout stays empty, the error is on stderr, the exit code is 1', async () => {
    const result = await run(['jobs', 'list', '--status', 'Suspended'], badKey());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('SignatureDoesNotMatch');
  });

  it('with --json prints an error object naming each failed region, not []', async () => {
    const result = await run(['jobs', 'list', '--json'], badKey());
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout) as {
      error: { failures: { region: string; code: string; requestId: string; fix: string }[] };
      jobs: unknown[];
    };
    expect(body.jobs).toEqual([]);
    expect(body.error.failures.map((f) => f.region)).toEqual(['ap-guangzhou', 'ap-shanghai']);
    expect(body.error.failures[0]).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(body.error.failures[0]!.fix).toContain('COS_SECRET_KEY');
    expect(result.stdout).not.toContain('wrong-secret-key-000000');
  });
});

describe('cosjob jobs list with a member cosjob cannot read', () => {
  it('lists the readable jobs and names the skipped one on stderr', async () => {
    // A stand-in for COS whose listing carries one unusable JobId next to a good job.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        '<ListJobsResult><Jobs>' +
          '<member><JobId>good-job-1</JobId><Status>Suspended</Status><Priority>1</Priority></member>' +
          '<member><JobId>bad/../job</JobId><Status>Suspended</Status><Priority>1</Priority></member>' +
          '</Jobs><NextToken></NextToken></ListJobsResult>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await run(['jobs', 'list', '--region', 'ap-guangzhou'], {
        ...env,
        COS_ENDPOINT: `http://127.0.0.1:${port}`,
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('good-job-1');
      expect(result.stdout).toContain('1 job.');
      expect(result.stderr).toMatch(
        /skipped a job listed in ap-guangzhou \(bad\/\.\.\/job\): The listed JobId/,
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('cosjob jobs describe', () => {
  it('finds the job in whichever region has it and prints it in full', async () => {
    const result = await run(['jobs', 'describe', jobs.shanghaiSuspended]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Job ${jobs.shanghaiSuspended} (ap-shanghai)`);
    expect(result.stdout).toMatch(/Status:\s+Suspended/);
    expect(result.stdout).toMatch(/Operation:\s+COSDeleteObject \(DESTRUCTIVE: deletes data\)/);
    expect(result.stdout).toMatch(/Description:\s+purge old logs/);
    expect(result.stdout).toContain('ETag "0123456789abcdef0123456789abcdef"');
  });

  it('prints JSON with --json', async () => {
    const result = await run([
      'jobs',
      'describe',
      jobs.guangzhouSuspended,
      '--region',
      'ap-guangzhou',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const job = JSON.parse(result.stdout) as {
      region: string;
      id: string;
      description: string;
      progress: { totalTasks: number };
    };
    expect(job).toMatchObject({
      region: 'ap-guangzhou',
      id: jobs.guangzhouSuspended,
      description: 'nightly copy 中文',
    });
    expect(job.progress.totalTasks).toBe(1200);
  });

  it('exits 1 with NoSuchJob and the request id for an unknown job in one region', async () => {
    const result = await run(['jobs', 'describe', 'no-such-job', '--region', 'ap-shanghai']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('COS error NoSuchJob (HTTP 404)');
    expect(result.stderr).toMatch(/request id: \S+/);
    expect(result.stderr).not.toContain('(none)');
    expect(result.stderr).toContain('what to do:');
  });

  it('reports a miss in every region with each request id', async () => {
    const result = await run(['jobs', 'describe', 'no-such-job']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not found in any configured region');
    expect(result.stderr).toMatch(/ap-guangzhou: COS error NoSuchJob \(HTTP 404\), request id \S+/);
    expect(result.stderr).toMatch(/ap-shanghai: COS error NoSuchJob \(HTTP 404\), request id \S+/);
  });

  it('refuses a malformed JobId before calling COS', async () => {
    const before = emulator.stats.requests.DescribeJob;
    const result = await run(['jobs', 'describe', '../etc/passwd']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/job id .* is not valid/);
    expect(emulator.stats.requests.DescribeJob).toBe(before);
  });

  it('needs a JobId', async () => {
    const result = await run(['jobs', 'describe']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: cosjob jobs describe <JobId>');
  });
});

describe('configuration', () => {
  it('reports every missing setting at once, by name', async () => {
    const result = await run(['jobs', 'list'], {});
    expect(result.code).toBe(2);
    for (const name of ['COS_SECRET_ID', 'COS_SECRET_KEY', 'COS_APPID', 'COS_UIN', 'COS_REGIONS']) {
      expect(result.stderr).toContain(name);
    }
  });

  it('never echoes a secret, even one pasted into the wrong variable', async () => {
    const secret = 'pasted-secret-value-ffee1122';
    const result = await run(['jobs', 'list'], {
      ...env,
      COS_SECRET_KEY: secret,
      COS_APPID: secret,
      COS_UIN: 'abc',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('COS_APPID is malformed');
    expect(result.stderr).toContain('COS_UIN is malformed');
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
  });
});

describe('help and usage', () => {
  it('prints help for `help` and exits 0, and for no arguments exits 2', async () => {
    const help = await run(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('cosjob jobs list [--account A] [--region R] [--status S] [--json]');
    expect(help.stdout).toContain('cosjob jobs describe <JobId>');
    expect(help.stdout).toContain('COS_REGIONS');
    expect((await run([])).code).toBe(2);
    const one = await run(['help', 'jobs', 'describe']);
    expect(one.stdout).toMatch(/^usage: cosjob jobs describe/);
    const flag = await run(['jobs', 'list', '--help']);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/^usage: cosjob jobs list/);
  });

  it('rejects unknown commands and options', async () => {
    const unknown = await run(['jobs', 'approve', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "jobs approve"');
    const option = await run(['jobs', 'list', '--colour']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('Unknown option --colour');
    const missing = await run(['jobs', 'list', '--region']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--region needs a value');
  });
});

describe('bin/cosjob.js', () => {
  it('runs the CLI as a program', async () => {
    const bin = fileURLToPath(new URL('../../bin/cosjob.js', import.meta.url));
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'jobs', 'describe', jobs.guangzhouActive, '--region', 'ap-guangzhou', '--json'],
        { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        },
      );
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: jobs.guangzhouActive, status: 'Active' });
  });
});
