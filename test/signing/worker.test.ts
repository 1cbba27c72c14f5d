/**
 * The worker process and LIFETIME_DEPLOY_APPROVERS_FILE: a bad file stops it at start (exit 2, naming the variable
 * and the line) before it connects anywhere; a good one is logged as counts (keys, principals), never as keys.
 */
import { cleanUpAfterAll, killAll, spawnWorker, workerEnv, type Child, type Exit } from '../e2e/processes';
import { expectNoSecrets, useKeyDir } from './keys';

jest.setTimeout(120_000);
afterEach(() => killAll(), 30_000);
cleanUpAfterAll();

const keys = useKeyDir();

/** Nothing listens there: a worker past its configuration fails to connect (exit 3). */
const env = (approvers: string) =>
  workerEnv({
    temporalAddress: '127.0.0.1:1',
    lifetimeUrl: 'http://127.0.0.1:9/lifetimeapi/rest/v2',
    token: 'e2e-approvers-token',
    taskQueue: 'e2e-approvers',
    env: { LIFETIME_DEPLOY_APPROVERS_FILE: approvers },
  });

async function runWorker(e: NodeJS.ProcessEnv): Promise<{ exit: Exit; child: Child }> {
  const child = spawnWorker(e);
  return { exit: await child.exited, child };
}

test('a bad line: exit 2, "invalid configuration", the variable and the line number; nothing else starts', async () => {
  const alice = keys.key('alice');
  const file = keys.write('bad', `# approvers\nalice ${alice.line}\n\nbob ssh-foo ${alice.line.split(' ')[1]}\n`);
  const { exit, child } = await runWorker(env(file));
  expect(exit).toEqual({ code: 2, signal: null });
  expect(child.stderr()).toContain(
    'lifetime-deploy worker: invalid configuration:\n  LIFETIME_DEPLOY_APPROVERS_FILE line 4: key type "ssh-foo" is not a known SSH key type',
  );
  expect(child.output()).not.toContain('worker started');
  expect(child.output()).not.toContain(alice.line.split(' ')[1]);
});

test('a missing file: exit 2 naming the variable and the path', async () => {
  const missing = `${keys.dir}/no-such-approvers`;
  const { exit, child } = await runWorker(env(missing));
  expect(exit.code).toBe(2);
  expect(child.stderr()).toContain(`LIFETIME_DEPLOY_APPROVERS_FILE: cannot read ${missing} (ENOENT)`);
});

test('a good file: the worker logs how many keys and principals it loaded, and no key material', async () => {
  const alice = keys.key('alice');
  const bob = keys.key('bob', { type: 'rsa' });
  const file = keys.write(
    'good',
    `alice ${alice.line}\nbob,robert ${bob.line}\n"carol" namespaces="git" ${alice.line}\n`,
  );
  const { exit, child } = await runWorker(env(file));
  expect(exit.code).toBe(3); // past its configuration: Temporal is unreachable here
  const loaded = child
    .stderr()
    .split('\n')
    .filter((l) => l.includes('allowed approvers'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(loaded).toEqual([
    expect.objectContaining({ level: 'INFO', message: 'allowed approvers loaded', file, keys: 3, principals: 4 }),
    expect.objectContaining({
      level: 'WARN',
      message: 'allowed approvers file',
      warning: expect.stringContaining('line 3: namespaces="git" does not include lifetime-deploy'),
    }),
  ]);
  expectNoSecrets(child.output(), [alice, bob]);
  expect(child.output()).not.toContain(alice.line.split(' ')[1]);
});
