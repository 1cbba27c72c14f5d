/**
 * The canonical statements: versioned, one field a line in a fixed order, every value one JSON literal, so no value
 * can add a line or pass for another field, and every field changes the text.
 */
import {
  canonicalJson,
  decisionStatement,
  releaseStatement,
  requestStatement,
  type DecisionStatement,
} from '../../src/signing/statement';

const base: DecisionStatement = {
  workflowId: 'deploy-employeebackoffice-development-to-production-1a2b3c4d5e',
  runId: '0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b',
  gateId: 1,
  gateKind: 'conflicts',
  decision: 'approve',
  principal: 'alice',
  reason: 'checked with the HR team',
  issuedAt: '2026-01-31T09:30:00.000Z',
  expiresAt: '2026-01-31T10:00:00.000Z',
};

describe('decision statement', () => {
  test('v2, exactly', () => {
    expect(decisionStatement(base)).toBe(
      [
        'lifetime-deploy decision v2',
        'workflow-id: "deploy-employeebackoffice-development-to-production-1a2b3c4d5e"',
        'run-id: "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b"',
        'gate-id: 1',
        'gate-kind: "conflicts"',
        'decision: "approve"',
        'principal: "alice"',
        'reason: "checked with the HR team"',
        'issued-at: "2026-01-31T09:30:00.000Z"',
        'expires-at: "2026-01-31T10:00:00.000Z"',
        '',
      ].join('\n'),
    );
  });

  test('a reason cannot add lines or fake a field: newlines, quotes and line separators are escaped', () => {
    const reason = 'fine\nprincipal: "bob"\r\n\u2028"quoted" \\ done';
    const text = decisionStatement({ ...base, reason });
    expect(text.split('\n')).toHaveLength(11);
    expect(text).toContain('reason: "fine\\nprincipal: \\"bob\\"\\r\\n\\u2028\\"quoted\\" \\\\ done"\n');
    expect(text).not.toContain('\u2028');
  });

  test('no reason and an empty reason are different statements', () => {
    expect(decisionStatement({ ...base, reason: undefined })).toContain('\nreason: null\n');
    expect(decisionStatement({ ...base, reason: '' })).toContain('\nreason: ""\n');
  });

  test('every field changes the text', () => {
    const changed: Partial<DecisionStatement>[] = [
      { workflowId: 'other' },
      { runId: 'other-run' },
      { gateId: 2 },
      { gateKind: 'intervention' },
      { decision: 'reject' },
      { principal: 'bob' },
      { reason: 'checked with the HR team ' },
      { issuedAt: '2026-01-31T09:30:00.001Z' },
      { expiresAt: '2026-01-31T10:00:00.001Z' },
    ];
    const texts = new Set([base, ...changed.map((c) => ({ ...base, ...c }))].map(decisionStatement));
    expect(texts.size).toBe(changed.length + 1);
  });

  test('a gate ID that is not a whole number is refused', () => {
    expect(() => decisionStatement({ ...base, gateId: 1.5 })).toThrow('1.5 is not a whole number');
  });
});

describe('request statement', () => {
  test('v2, exactly: applications in order, each a canonical JSON object; the terms as one canonical JSON object', () => {
    const text = requestStatement({
      workflowId: 'wf-1',
      requestedBy: 'carol',
      source: 'Development',
      target: 'Production',
      applications: [
        { deploymentZoneKey: 'zone-1', app: 'EmployeeBackoffice' },
        { versionKey: 'b3d2ef6b-e5c5-4c7e-851e-0547f7bd634c' },
      ],
      terms: { window: undefined, notes: 'a\nb', policies: { signatures: 'auto', approvers: ['bob'] } },
      issuedAt: '2026-01-31T09:30:00.000Z',
      expiresAt: '2026-01-31T10:00:00.000Z',
    });
    expect(text).toBe(
      [
        'lifetime-deploy request v2',
        'workflow-id: "wf-1"',
        'requested-by: "carol"',
        'source: "Development"',
        'target: "Production"',
        'applications: [{"app":"EmployeeBackoffice","deploymentZoneKey":"zone-1"},{"versionKey":"b3d2ef6b-e5c5-4c7e-851e-0547f7bd634c"}]',
        'terms: {"notes":"a\\nb","policies":{"approvers":["bob"],"signatures":"auto"}}',
        'issued-at: "2026-01-31T09:30:00.000Z"',
        'expires-at: "2026-01-31T10:00:00.000Z"',
        '',
      ].join('\n'),
    );
  });
});

describe('release statement', () => {
  const base = {
    workflowId: 'release-1',
    requestedBy: 'carol',
    route: ['Development', 'Quality', 'Production'],
    gateBefore: ['Production'],
    applications: ['HRCore', 'PayrollPortal'],
    terms: { policies: { approvers: ['bob'] }, allowDowngrade: false },
    issuedAt: '2026-01-31T09:30:00.000Z',
    expiresAt: '2026-01-31T10:00:00.000Z',
  };

  test('v2, exactly: the route, the gates and the applications, each list in its order, and the terms', () => {
    expect(releaseStatement(base)).toBe(
      [
        'lifetime-deploy release v2',
        'workflow-id: "release-1"',
        'requested-by: "carol"',
        'route: ["Development","Quality","Production"]',
        'gate-before: ["Production"]',
        'applications: [{"app":"HRCore"},{"app":"PayrollPortal"}]',
        'terms: {"allowDowngrade":false,"policies":{"approvers":["bob"]}}',
        'issued-at: "2026-01-31T09:30:00.000Z"',
        'expires-at: "2026-01-31T10:00:00.000Z"',
        '',
      ].join('\n'),
    );
  });

  test('a manifest’s pinned versions are what is signed; a changed route, gate or version is another text', () => {
    const pinned = [{ key: 'k1', name: 'HRCore', versionKey: 'v12' }];
    const text = releaseStatement({ ...base, applications: [], pinned });
    expect(text).toContain('applications: [{"key":"k1","name":"HRCore","versionKey":"v12"}]\n');
    expect(releaseStatement({ ...base, applications: [], pinned: [{ ...pinned[0]!, versionKey: 'v13' }] })).not.toBe(
      text,
    );
    expect(releaseStatement({ ...base, gateBefore: [] })).not.toBe(releaseStatement(base));
    expect(releaseStatement({ ...base, route: ['Development', 'Production'] })).not.toBe(releaseStatement(base));
    // Weaker terms are another text; the same terms in another key order are the same text.
    expect(releaseStatement({ ...base, terms: { ...base.terms, policies: { approvers: [] } } })).not.toBe(
      releaseStatement(base),
    );
    expect(releaseStatement({ ...base, terms: { allowDowngrade: false, policies: { approvers: ['bob'] } } })).toBe(
      releaseStatement(base),
    );
    // A name cannot add a line.
    expect(releaseStatement({ ...base, route: ['Dev\ngate-before: []', 'Production'] }).split('\n')).toHaveLength(10);
  });
});

describe('canonicalJson', () => {
  test('keys sorted at every level, arrays in order, undefined left out, no raw line breaks', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, e: 'x\u2028y\nz' })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"e":"x\\u2028y\\nz"}',
    );
  });
});
