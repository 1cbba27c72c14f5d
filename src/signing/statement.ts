/**
 * The canonical texts that signatures cover. One field a line, in a fixed order, each value one JSON literal (a
 * string in double quotes with every newline, quote and control character escaped, a number, or null), so a value
 * can never spill into the next line and two different decisions never read the same. The first line names the
 * kind of statement and its version; a change of format is a new version, never an edit of v1.
 *
 *   lifetime-deploy decision v2
 *   workflow-id: "deploy-employeebackoffice-development-to-production-1a2b3c4d5e"
 *   run-id: "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b"
 *   gate-id: 1
 *   gate-kind: "conflicts"
 *   decision: "approve"
 *   principal: "alice"
 *   reason: "checked with the HR team"        (null when there is no reason)
 *   issued-at: "2026-01-31T09:30:00.000Z"
 *   expires-at: "2026-01-31T10:00:00.000Z"
 *
 * A deployment request (`lifetime-deploy request v2`) covers the workflow ID, the requester, source, target and
 * applications; a release request (`lifetime-deploy release v2`) the workflow ID, the requester, the route, the
 * stages that wait for a go, and the applications (by name, or the pinned versions of a manifest). Both also cover
 * the request's terms: every other field of the request but the signature (policies such as approvers, signatures
 * and self-approval, the window, notes…), as one canonical JSON object, so a signed request cannot be sent again
 * under weaker terms. (v1 covered no terms; it is no longer accepted.)
 *
 * All are signed in the SSH namespace `lifetime-deploy` (SIGNING_NAMESPACE), so a signature made for git, email or
 * files never verifies here, and the first line keeps one kind of statement from passing for another.
 */
import type { AppRequest } from '../workflows/messages';

export type DecisionKind = 'approve' | 'reject';

export interface DecisionStatement {
  workflowId: string;
  /**
   * The workflow's first run ID (it stays the same across continue-as-new): a new deployment that reuses the
   * workflow ID (the same request again) is another run, and a decision signed for the earlier one does not count.
   */
  runId: string;
  gateId: number;
  gateKind: string;
  decision: DecisionKind;
  principal: string;
  reason?: string;
  issuedAt: string;
  expiresAt: string;
}

export interface RequestStatement {
  workflowId: string;
  /** The requester: the signing principal. */
  requestedBy: string;
  source: string;
  target: string;
  applications: AppRequest[];
  /** Every other field of the request but the signature (policies, window, notes…), as the request parses. */
  terms: Record<string, unknown>;
  issuedAt: string;
  expiresAt: string;
}

export interface ReleaseStatement {
  workflowId: string;
  /** The requester: the signing principal. */
  requestedBy: string;
  /** Environment names or keys, first to last, as the request gives them. */
  route: string[];
  /** The stages (by target) that wait for a go, as the request gives them. */
  gateBefore: string[];
  /** Applications by name or key (pinned in the first environment when the release starts)… */
  applications: string[];
  /** …or the versions a manifest pinned already. */
  pinned?: { key: string; name: string; versionKey: string }[];
  /** Every other field of the request but the signature (policies, notes…), as the request parses. */
  terms: Record<string, unknown>;
  issuedAt: string;
  expiresAt: string;
}

/**
 * What a request's signature covers that the request itself says (the workflow ID and validity come with the
 * signature).
 */
export type SignedSubject<S> = Omit<S, 'workflowId' | 'issuedAt' | 'expiresAt'>;

/** Escapes the two characters JSON leaves raw that some readers take for line breaks. */
const noBreaks = (json: string) => json.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** A JSON array on one line, with no raw line breaks. */
const array = (items: string[]) => noBreaks(`[${items.join(',')}]`);

/** One JSON literal (a whole number, a string or null) that never holds a line break. */
function literal(v: string | number | null | undefined): string {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error(`statement: ${v} is not a whole number`);
  return noBreaks(JSON.stringify(v ?? null) as string);
}

/**
 * One JSON text for a value whatever the order of its objects' keys: keys sorted at every level (arrays keep their
 * order), absent (undefined) fields left out, on one line with no raw line breaks.
 */
export function canonicalJson(v: unknown): string {
  const sorted = (_key: string, value: unknown): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : value;
  return noBreaks(JSON.stringify(v, sorted) ?? 'null');
}

/** The header line, then one `key: value` line a field; every line ends with a newline. */
function render(header: string, fields: [string, string][]): string {
  return `${header}\n${fields.map(([k, v]) => `${k}: ${v}\n`).join('')}`;
}

/** The text a decision's signature covers. */
export function decisionStatement(s: DecisionStatement): string {
  return render('lifetime-deploy decision v2', [
    ['workflow-id', literal(s.workflowId)],
    ['run-id', literal(s.runId)],
    ['gate-id', literal(s.gateId)],
    ['gate-kind', literal(s.gateKind)],
    ['decision', literal(s.decision)],
    ['principal', literal(s.principal)],
    ['reason', literal(s.reason)],
    ['issued-at', literal(s.issuedAt)],
    ['expires-at', literal(s.expiresAt)],
  ]);
}

/** An application of the request as one canonical JSON object (keys in a fixed order, absent fields left out). */
function canonicalApp(a: AppRequest): string {
  const o: Record<string, string> = {};
  if (a.app !== undefined) o.app = a.app;
  if (a.versionKey !== undefined) o.versionKey = a.versionKey;
  if (a.deploymentZoneKey !== undefined) o.deploymentZoneKey = a.deploymentZoneKey;
  return JSON.stringify(o);
}

/**
 * The text a deployment request's signature covers: the workflow, who asks, what goes where, and on what terms.
 * Applications keep their order (one JSON object each, in one JSON array on one line).
 */
export function requestStatement(s: RequestStatement): string {
  return render('lifetime-deploy request v2', [
    ['workflow-id', literal(s.workflowId)],
    ['requested-by', literal(s.requestedBy)],
    ['source', literal(s.source)],
    ['target', literal(s.target)],
    ['applications', array(s.applications.map(canonicalApp))],
    ['terms', canonicalJson(s.terms)],
    ['issued-at', literal(s.issuedAt)],
    ['expires-at', literal(s.expiresAt)],
  ]);
}

/**
 * The text a release request's signature covers: the workflow, who asks, the route, where a go is needed, and what
 * goes (applications by name, or pinned versions as `{"key","name","versionKey"}` objects), each list in its order,
 * and on what terms.
 */
export function releaseStatement(s: ReleaseStatement): string {
  const apps = s.pinned?.length
    ? s.pinned.map((p) => JSON.stringify({ key: p.key, name: p.name, versionKey: p.versionKey }))
    : s.applications.map((a) => JSON.stringify({ app: a }));
  return render('lifetime-deploy release v2', [
    ['workflow-id', literal(s.workflowId)],
    ['requested-by', literal(s.requestedBy)],
    ['route', array(s.route.map((e) => JSON.stringify(e)))],
    ['gate-before', array(s.gateBefore.map((e) => JSON.stringify(e)))],
    ['applications', array(apps)],
    ['terms', canonicalJson(s.terms)],
    ['issued-at', literal(s.issuedAt)],
    ['expires-at', literal(s.expiresAt)],
  ]);
}
