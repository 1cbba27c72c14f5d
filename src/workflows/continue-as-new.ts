/** The sentinel a step returns when the run should continue-as-new; the entry acts on it (safe-message-handlers). */
import type { Outcome } from './messages';

export const CONTINUE_AS_NEW = 'continue-as-new' as const;
/** How the steps end: an outcome, or continue-as-new with the state. */
export type Ended = Outcome | typeof CONTINUE_AS_NEW;
