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
  workflowInfo,
} from '@temporalio/workflow';
import { cleanUp } from './cleanup';
import { Gates } from './gates';
import {
  approveSignal,
  rejectSignal,
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
import { initialState, toResult } from './state';
import { Visibility } from './visibility';

/** What steps return when history is long: the entry continues-as-new with the state (safe-message-handlers). */
export const CONTINUE_AS_NEW = 'continue-as-new' as const;
export type Ended = Outcome | typeof CONTINUE_AS_NEW;

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
  if (err instanceof ActivityFailure && err.cause) {
    // Activities raise only FailureTypes (activities/index.ts `toFailure`); a timeout has no type.
    const type = err.cause instanceof ApplicationFailure ? (err.cause.type as FailureType | null) : null;
    return { type: type ?? 'Unexpected', message: err.cause.message };
  }
  return { type: 'Unexpected', message: err instanceof Error ? err.message : String(err) };
}

export class Deployment {
  readonly s: DeployState;
  readonly vis: Visibility;
  readonly gates: Gates;

  constructor(
    readonly req: DeployRequest,
    resume?: DeployState,
  ) {
    this.s = resume ?? initialState(req, new Date());
    this.vis = new Visibility(req, this.s);
    this.gates = new Gates(req, this.s, this.vis);
    setHandler(stateQuery, () => this.s);
    setHandler(approveSignal, (d) => this.gates.receive('approve', d));
    setHandler(rejectSignal, (d) => this.gates.receive('reject', d));
    this.vis.update();
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
    const deadlineAt = Date.parse(s.timings.requestedAt) + this.req.policies.deadlineMinutes * 60_000;
    const main = new CancellationScope();
    const deadline = new CancellationScope();
    let timedOut = false;
    deadline
      .run(async () => {
        await sleep(Math.max(1, deadlineAt - Date.now()), { summary: 'deployment deadline' });
        timedOut = true;
        log.warn('deployment deadline passed', { deadline: new Date(deadlineAt).toISOString() });
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

  /** Waits for running handlers and returns the result. */
  async finish(outcome: Outcome): Promise<DeployResult> {
    // Non-cancellable: after a cancellation the root scope is cancelled, and the result must still be returned.
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    return toResult(this.s, outcome, new Date());
  }

  async continueAsNew(raw: DeployRequestInput): Promise<never> {
    // Non-cancellable: a cancelled deployment may continue-as-new while it follows its aborted plan.
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    this.s.runs += 1;
    log.info('continuing as new', { historyLength: workflowInfo().historyLength, runs: this.s.runs });
    return continueAsNew<(raw: DeployRequestInput, resume?: DeployState) => Promise<DeployResult>>(raw, this.s);
  }
}
