/**
 * One deployment's run: its request, state, visibility and gates, the message handlers, and the three things the
 * entry function does around the steps — run them under the deployment deadline, end them (one failure channel,
 * one cleanup), and continue-as-new when the steps return the sentinel.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  setHandler,
  sleep,
  TemporalFailure,
  workflowInfo,
} from '@temporalio/workflow';
import { cleanUp } from './cleanup';
import { CONTINUE_AS_NEW, type Ended } from './continue-as-new';
import { Gates } from './gates';
import {
  stateQuery,
  type DeployRequest,
  type DeployRequestInput,
  type DeployResult,
  type DeployState,
  type Failure,
  type FailureType,
  type Outcome,
  type Step,
} from './messages';
import { Notifier, type EventBase } from './notifier';
import { summaryLine } from './presentation';
import { clip, initialState, toResult } from './state';
import { Visibility } from './visibility';
import { deadlineStart } from './window';

export { CONTINUE_AS_NEW, type Ended } from './continue-as-new';

/** A failure the workflow itself decides (busy target, finished with errors); ends the deployment `failed`. */
export class DeploymentFailure extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
  ) {
    super(message);
  }
}

/** Any error that ends the steps → the failure the result reports. */
export function failureOf(err: unknown): Failure {
  if (err instanceof DeploymentFailure) return { type: err.type, message: err.message };
  // Activities raise only FailureTypes (activities/index.ts `toFailure`); a timeout has no type.
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    return { type: (cause.type as FailureType | null) ?? 'Unexpected', message: cause.message };
  }
  return { type: 'Unexpected', message: cause instanceof Error ? cause.message : String(cause) };
}

/** Continue-as-new past this history size, far below Temporal's 50 MB limit (1 MiB signals add up fast). */
const HISTORY_BYTES_MAX = 8 * 1024 * 1024;

export class Deployment {
  readonly s: DeployState;
  readonly vis: Visibility;
  readonly gates: Gates;
  readonly notifier: Notifier;

  constructor(
    readonly req: DeployRequest,
    resume?: DeployState,
  ) {
    this.s = resume ?? initialState(req, new Date());
    this.vis = new Visibility(req, this.s);
    this.notifier = new Notifier(
      this.s,
      () => this.eventBase(),
      () => this.vis.update(),
    );
    this.gates = new Gates({
      policies: req.policies,
      requestedBy: req.requestedBy,
      requester: () => this.s.requester,
      s: this.s,
      update: () => this.vis.update(),
      waiting: (kind) => this.vis.step(kind === 'conflicts' ? 'conflict-gate' : 'intervention-gate'),
      shouldContinueAsNew: () => this.shouldContinueAsNew(),
      notifier: this.notifier,
    });
    setHandler(stateQuery, () => this.s);
    this.gates.handle();
    this.vis.update();
  }

  /** History is long or large (or the server suggests it): continue-as-new at the next safe point. */
  shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      info.historyLength >= this.req.policies.continueAsNewAfterEvents ||
      info.historySize >= HISTORY_BYTES_MAX
    );
  }

  /**
   * Our own error reading LifeTime (after the activity's retries): shown in the state and details, waited out by
   * the caller on a durable timer. Past `lifeTimeErrorsMaxMinutes` the deployment ends `failed` (LifeTimeUnreadable)
   * and the plan is left to LifeTime, untouched. Anything but an activity failure is rethrown.
   */
  unreadable(what: string, err: unknown): void {
    // An activity's failure (a local activity's arrives as the ApplicationFailure itself); never a cancellation.
    if (isCancellation(err) || !(err instanceof TemporalFailure)) throw err;
    const s = this.s;
    const error = clip(`${what}: ${failureOf(err).message}`);
    const since = s.unreadable?.since ?? new Date().toISOString();
    s.unreadable = { since, attempts: (s.unreadable?.attempts ?? 0) + 1, error };
    const minutes = (Date.now() - Date.parse(since)) / 60_000;
    log.warn('LifeTime unreadable; waiting it out', { error, attempts: s.unreadable.attempts, minutes });
    this.vis.update();
    const max = this.req.policies.lifeTimeErrorsMaxMinutes;
    if (minutes >= max) {
      throw new DeploymentFailure(
        'LifeTimeUnreadable',
        `LifeTime could not be read for ${Math.round(minutes)} min (limit ${max} min; last error: ${error}); ` +
          `the plan's last known status was ${s.lifetimeStatus ?? 'unknown'}, and it was left to LifeTime`,
      );
    }
  }

  /** A good read after errors: the deployment goes on, and says so. */
  readable(): void {
    if (!this.s.unreadable) return;
    log.info('LifeTime readable again', { after: this.s.unreadable.attempts });
    this.s.unreadable = undefined;
    this.vis.update();
  }

  /** A LifeTime read whose failures are waited out on durable timers (see `unreadable`), never decided on. */
  async patiently<T>(what: string, read: () => Promise<T>): Promise<T> {
    const p = this.req.policies.polling;
    for (let wait = p.minIntervalSeconds; ; wait = Math.min(p.maxIntervalSeconds, wait * p.backoff)) {
      try {
        const value = await read();
        this.readable();
        return value;
      } catch (err) {
        this.unreadable(what, err);
      }
      await sleep(Math.round(wait * 1000), { summary: `wait out LifeTime errors (${what})` });
    }
  }

  /** Enters a step: the state, the workflow log, the search attributes and the current details say so. */
  step(step: Step): void {
    this.vis.step(step);
  }

  /**
   * Runs the steps under the deployment deadline. Cancellation, the deadline and any failure end here, once:
   * the ending is recorded and LifeTime is cleaned up (a saved plan deleted, a running plan aborted and followed).
   * Unless the steps continue-as-new, the outcome is recorded before this returns.
   */
  async run(steps: () => Promise<Ended>): Promise<Ended> {
    const s = this.s;
    // Resumed (continue-as-new) while following an aborted plan: the ending was decided in an earlier run.
    if (s.ending) return this.end(await CancellationScope.nonCancellable(() => cleanUp(this, true)));
    // Counted from the request, or from the deployment window's opening (which only moves later: re-armed then).
    const deadlineAt = () => deadlineStart(s) + this.req.policies.deadlineMinutes * 60_000;
    const main = new CancellationScope();
    const deadline = new CancellationScope();
    let timedOut = false;
    deadline
      .run(async () => {
        do await sleep(Math.max(1, deadlineAt() - Date.now()), { summary: 'deployment deadline' });
        while (deadlineAt() > Date.now());
        timedOut = true;
        log.warn('deployment deadline passed', { deadline: new Date(deadlineAt()).toISOString() });
        main.cancel();
      })
      .catch(() => undefined);
    let ended: Ended;
    try {
      ended = await main.run(steps);
    } catch (err) {
      if (isCancellation(err)) s.ending = timedOut ? 'timed_out' : 'cancelled';
      else {
        s.ending = 'failed';
        s.failure = failureOf(err);
        log.warn('deployment failed', { ...s.failure });
      }
      ended = await CancellationScope.nonCancellable(() => cleanUp(this));
    } finally {
      deadline.cancel();
    }
    // Synchronously after the cancel: the outcome's search attribute is upserted before the timer is cancelled.
    return this.end(ended);
  }

  private end(ended: Ended): Ended {
    if (ended === CONTINUE_AS_NEW) return ended;
    this.s.outcome = ended;
    this.s.timings.finishedAt = new Date().toISOString();
    this.vis.step('done');
    return ended;
  }

  /** Tells people how it ended, waits for running handlers and notifications, and returns the result. */
  async finish(outcome: Outcome): Promise<DeployResult> {
    const s = this.s;
    const seconds = Math.round((Date.now() - Date.parse(s.timings.requestedAt)) / 1000);
    // Non-cancellable: after a cancellation the root scope is cancelled, and the result must still be returned.
    await CancellationScope.nonCancellable(async () => {
      await this.notifier.emit('workflow.ended', {
        summary: `Deployment ${outcome}: ${summaryLine(this.req, s)}`,
        outcome,
        durationSeconds: seconds,
        ...(s.failure ? { failure: `${s.failure.type}: ${s.failure.message}` } : {}),
      });
      await this.notifier.drain();
      await condition(allHandlersFinished);
    });
    return toResult(s, outcome, new Date());
  }

  /** What every notification of this deployment says about it. */
  private eventBase(): EventBase {
    const { req, s } = this;
    return {
      workflow: { id: workflowInfo().workflowId, type: 'deployApplications' },
      summary: summaryLine(req, s),
      applications: s.applications.length
        ? s.applications.map((a) => ({ name: a.name, ...(a.versionLabel ? { version: a.versionLabel } : {}) }))
        : req.applications.map((a) => ({ name: a.app ?? a.versionKey ?? '?' })),
      route: [s.source?.name ?? req.source ?? '?', s.target?.name ?? req.target ?? '?'],
      requestedBy: req.requestedBy,
      ...(s.deploymentKey ? { deploymentKey: s.deploymentKey } : {}),
      ...(s.detailsUrl ? { detailsUrl: s.detailsUrl } : {}),
    };
  }

  async continueAsNew(raw: DeployRequestInput): Promise<never> {
    // Non-cancellable: a cancelled deployment may continue-as-new while it follows its aborted plan.
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    this.s.runs += 1;
    log.info('continuing as new', { historyLength: workflowInfo().historyLength, runs: this.s.runs });
    return continueAsNew<(raw: DeployRequestInput, resume?: DeployState) => Promise<DeployResult>>(raw, this.s);
  }
}
