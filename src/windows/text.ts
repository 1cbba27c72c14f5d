/**
 * A deployment window as people read it, in the state's words: `waiting for window: opens at Sat 5 Dec 2026 22:00
 * Europe/Lisbon (UTC+00:00) (in 5 h 12 min)`. Pure (no clock of its own: the caller passes "now"), so the workflow's
 * current details and the CLI print the same text.
 */
import type { WindowView } from '../workflows/messages';

/** `5 h 12 min`, `2 d 3 h`, `12 min`, `less than a minute`. */
export function span(ms: number): string {
  const min = Math.floor(ms / 60_000);
  if (min < 1) return 'less than a minute';
  const d = Math.floor(min / 1440);
  const h = Math.floor((min % 1440) / 60);
  const m = min % 60;
  if (d) return `${d} d${h ? ` ${h} h` : ''}`;
  if (h) return `${h} h${m ? ` ${m} min` : ''}`;
  return `${m} min`;
}

/**
 * One line about the window. `waiting`: the deployment is waiting for it now (step `wait-for-window`); otherwise the
 * window it will start in (or is in).
 */
export function windowLine(w: WindowView, now: number, waiting: boolean): string {
  const opens = Date.parse(w.opensAt);
  const closes = w.closesAt ? ` until ${w.closesAtLocal}` : '';
  if (opens > now) {
    const at = `opens at ${w.opensAtLocal} (in ${span(opens - now)})`;
    return waiting
      ? `waiting for window: ${at}`
      : `deployment window: ${at}${w.closesAt ? `, closes at ${w.closesAtLocal}` : ''}`;
  }
  if (w.closesAt && Date.parse(w.closesAt) <= now) return `deployment window: closed at ${w.closesAtLocal}`;
  return `deployment window: open${closes || ` (opened at ${w.opensAtLocal})`}`;
}

/** The window's lines: where it stands, and why this window (when it is not the first one aimed at). */
export function windowLines(w: WindowView, now: number, waiting: boolean): string[] {
  return [windowLine(w, now, waiting), ...(w.reason ? [`  why this window: ${w.reason}`] : [])];
}
