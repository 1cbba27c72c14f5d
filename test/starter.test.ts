/**
 * The starter's request building for `deploy --plan` (an operator-built plan): mutually exclusive with the flags
 * that say what to deploy and where, each error naming the flags; without --plan, --from and --to are required.
 */
import { CliError, ExitCode } from '../src/cli/common';
import { buildRequest, defaultWorkflowId, type DeployFlags } from '../src/starter';
import { DeployRequest } from '../src/workflows/messages';

const env = { LIFETIME_DEPLOY_USER: 'ci' };
const KEY = '3f1c7a52-9d7e-4b8e-a0c4-2f6e8f1d9b10';

function refused(flags: DeployFlags): CliError {
  try {
    buildRequest(flags, env);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.InvalidInput);
    return err as CliError;
  }
  throw new Error('expected a CliError');
}

test('--plan alone → a request with planKey, no applications or environments; its own workflow ID', () => {
  const req = buildRequest({ app: [], plan: KEY, operatorPlanOnStop: 'leave' }, env);
  expect(req).toMatchObject({ applications: [], planKey: KEY, requestedBy: 'ci' });
  expect(req).not.toHaveProperty('source');
  expect(req).not.toHaveProperty('target');
  expect(DeployRequest.parse(req).policies.operatorPlanOnStop).toBe('leave');
  expect(defaultWorkflowId(req)).toBe(`deploy-plan-${KEY}`);
});

test.each([
  [{ app: ['EmployeeBackoffice'] }, /--plan cannot be combined with --app.*\(got --app "EmployeeBackoffice"\)/],
  [{ versionKey: ['abc'] }, /\(got --version-key "abc"\)/],
  [{ from: 'Development', to: 'Production' }, /\(got --from "Development", --to "Production"\)/],
])('--plan with %j → exit 2 naming the flags', (extra, message) => {
  expect(refused({ app: [], plan: KEY, ...extra }).message).toMatch(message);
});

test('without --plan: --from and --to are required; --operator-plan-on-stop needs --plan; an empty --plan is refused', () => {
  expect(refused({ app: ['EmployeeBackoffice'], from: 'Development' }).message).toBe(
    "required option '--to <env>' not specified (or give --plan <deployment key>)",
  );
  expect(refused({ app: ['EmployeeBackoffice'], to: 'Production' }).message).toMatch(/'--from <env>' not specified/);
  expect(
    refused({ app: ['EmployeeBackoffice'], from: 'Development', to: 'Production', operatorPlanOnStop: 'leave' })
      .message,
  ).toBe('--operator-plan-on-stop: only with --plan <deployment key>');
  expect(refused({ app: [], from: 'Development', to: 'Production' }).message).toMatch(
    /--app: applications must list at least one application/,
  );
  expect(refused({ app: [], plan: ' ' }).message).toMatch(/--plan: planKey must not be empty/);
});

test('the workflow schema refuses planKey together with applications, source or target', () => {
  const r = DeployRequest.safeParse({
    applications: [{ app: 'X' }],
    planKey: KEY,
    target: 'Production',
    requestedBy: 'ci',
  });
  expect(r.success).toBe(false);
  expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['applications', 'target']);
});
