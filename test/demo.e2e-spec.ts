import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { clearQueuePrefix } from './support/test-app';
import { dropSchema, TEST_DATABASE_URL, TEST_REDIS, uniqueName } from './support/test-database';

const run = promisify(execFile);

describe('npm run demo', () => {
  const schema = uniqueName('demo');

  afterAll(async () => {
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  it('tells the whole story and ends with every message in its expected state', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'demo'], {
      cwd: path.resolve(__dirname, '..'),
      timeout: 100_000,
      env: {
        ...process.env,
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: `redis://${TEST_REDIS.host}:${TEST_REDIS.port}`,
        DEMO_SCHEMA: schema,
        DEMO_QUEUE_PREFIX: schema,
      },
    });

    expect(stdout).toMatch(/msg_demo_delivered\s+delivered\s/);
    expect(stdout).toMatch(/msg_demo_failed\s+failed\s+Invalid phone number/);
    expect(stdout).toMatch(/msg_demo_pending_then_delivered\s+delivered\s/);
    expect(stdout).toMatch(/msg_demo_late_pending\s+delivered\s+-\s+sms\.pending@12:00:10\*, sms\.delivered@12:01:00/);
    expect(stdout).toMatch(/duplicate, not processed again/);
    expect(stdout).toMatch(/wrong secret\)\s+→ 401/);
    expect(stdout).toMatch(/processed\s+6\n/);
    expect(stdout).toContain('Demo OK');
  }, 120_000);
});
