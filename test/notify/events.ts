/** Sample notification events for the tests: one of each type, and one far over every size budget. */
import type { NotifyEvent } from '../../src/notify/event';

export const WORKFLOW_ID = 'deploy-employeebackoffice-development-to-production-1a2b3c4d5e';
export const UI_URL = 'http://temporal-ui.example.com:8233';
export const NAMESPACE = 'default';
export const WORKFLOW_LINK = `${UI_URL}/namespaces/${NAMESPACE}/workflows/${WORKFLOW_ID}`;
export const APPROVE_COMMAND = `npx lifetime-deploy approve ${WORKFLOW_ID} --by <your name> [--reason <text>]`;
export const DETAILS_URL = 'https://lifetime.example.com/lifetime/Deployment_Edit.aspx?DeploymentKey=dce64ad4';

const base = {
  at: '2025-03-01T10:00:00.000Z',
  workflow: { id: WORKFLOW_ID, type: 'deployApplications' as const },
  applications: [{ name: 'EmployeeBackoffice', version: '1.4.2' }, { name: 'PayrollPortal' }],
  route: ['Development', 'Production'],
  requestedBy: 'dave',
  deploymentKey: 'dce64ad4-2ddf-4e54-a639-3524bcd5b9a1',
  detailsUrl: DETAILS_URL,
};

const conflictGate = {
  id: 1,
  kind: 'conflicts' as const,
  reason: 'LifeTime reports 2 conflicts in the plan for Production.',
  conflicts: [
    'OutdatedConsumer: PayrollPortal consumes EmployeeCore, which changes its signature',
    'MissingDependency: EmployeeBackoffice needs HRCommon 2.1',
  ],
  openedAt: '2025-03-01T10:00:00.000Z',
  deadline: '2025-03-02T10:00:00.000Z',
  onTimeout: 'reject automatically (delete the plan; the deployment ends as rejected)',
  onApprove: 'start the plan despite the conflicts',
  onReject: 'delete the plan; the deployment ends as rejected',
  approvers: ['alice', 'bob'],
};

export const gateOpened: NotifyEvent = {
  ...base,
  id: `${WORKFLOW_ID}/gate-1/opened`,
  type: 'gate.opened',
  summary: 'Deploy EmployeeBackoffice, PayrollPortal: Development → Production waits for a decision on 2 conflicts',
  gate: conflictGate,
};

export const interventionReminder: NotifyEvent = {
  ...base,
  id: `${WORKFLOW_ID}/gate-2/reminder-1`,
  type: 'gate.reminder',
  at: '2025-03-01T14:00:00.000Z',
  summary: 'Deploy EmployeeBackoffice: Development → Production still waits: LifeTime needs user intervention',
  gate: {
    id: 2,
    kind: 'intervention',
    reason: 'LifeTime asks for intervention.',
    info: 'needs_configuration_or_confirmation',
    missingMappings: [{ extension: 'HRDatabase', logicalDatabase: 'HRData' }],
    openedAt: '2025-03-01T10:00:00.000Z',
    deadline: '2025-03-02T10:00:00.000Z',
    onTimeout: 'reject automatically (send `abort` to LifeTime)',
    onApprove: 'send `continue` to LifeTime',
    onReject: 'send `abort` to LifeTime and wait for the plan to be aborted',
    approvers: [],
  },
};

export const promotionOpened: NotifyEvent = {
  ...base,
  id: 'release-2025.03/gate-1/opened',
  type: 'gate.opened',
  workflow: { id: 'release-2025.03', type: 'promoteRelease' },
  route: ['Development', 'Test', 'Production'],
  stage: 'Production',
  summary: 'Release 2025.03: Test → Production waits for approval',
  gate: { ...conflictGate, kind: 'promotion', reason: 'Promotion to Production needs approval.', conflicts: [] },
  commands: {
    approve: 'npx lifetime-deploy release approve release-2025.03 --by <your name>',
    reject: 'npx lifetime-deploy release reject release-2025.03 --by <your name>',
    status: 'npx lifetime-deploy release status release-2025.03',
  },
};

export const gateDecided: NotifyEvent = {
  ...base,
  id: `${WORKFLOW_ID}/gate-1/decided`,
  type: 'gate.decided',
  at: '2025-03-01T11:00:00.000Z',
  summary: 'Deploy EmployeeBackoffice: conflicts approved by alice',
  gate: conflictGate,
  decision: { decision: 'approve', by: 'alice', reason: 'HR team agreed' },
};

export const gateExpired: NotifyEvent = {
  ...base,
  id: `${WORKFLOW_ID}/gate-1/expired`,
  type: 'gate.expired',
  at: '2025-03-02T10:00:00.000Z',
  summary: 'Deploy EmployeeBackoffice: nobody decided in 24 h; the gate rejected',
  gate: conflictGate,
  decision: { decision: 'reject', by: 'gate deadline', reason: 'no decision within 1440 min', automatic: true },
};

export const workflowEnded: NotifyEvent = {
  ...base,
  id: `${WORKFLOW_ID}/ended`,
  type: 'workflow.ended',
  at: '2025-03-01T11:20:00.000Z',
  summary: 'Deploy EmployeeBackoffice: Development → Production finished with errors',
  outcome: 'failed',
  failure: 'FinishedWithErrors: LifeTime finished the plan with errors',
  durationSeconds: 4830,
};

export const allEvents: NotifyEvent[] = [
  gateOpened,
  interventionReminder,
  promotionOpened,
  gateDecided,
  gateExpired,
  workflowEnded,
];

const long = (what: string, n: number) => `${what} ${'x'.repeat(n)}`;

/** Every list and text far past the budgets (and Slack/Teams syntax in the texts). */
export const hugeEvent: NotifyEvent = {
  ...gateOpened,
  id: `${WORKFLOW_ID}/gate-9/opened`,
  summary: long('<!channel> & summary', 5000),
  applications: Array.from({ length: 200 }, (_, i) => ({ name: long(`App${i}`, 300), version: '1.0' })),
  requestedBy: long('requester', 1000),
  gate: {
    ...conflictGate,
    reason: long('reason <https://evil.example|click> *bold*', 10_000),
    conflicts: Array.from({ length: 500 }, (_, i) => long(`conflict ${i} <@U123>`, 2000)),
    conflictsTotal: 900,
    missingMappings: Array.from({ length: 300 }, (_, i) => ({
      extension: long(`Ext${i}`, 500),
      logicalDatabase: long('DB', 500),
    })),
    approvers: Array.from({ length: 300 }, (_, i) => long(`approver${i}`, 300)),
    onTimeout: long('timeout', 3000),
  },
  failure: long('failure', 5000),
};
