/**
 * Window arithmetic: when a deployment window opens and closes, in its time zone, across daylight-saving changes
 * (luxon for local calendar times, cron-parser for cron windows). Pure functions of their arguments (the caller
 * passes "now"), run outside workflow code: by the start path to validate a request, and by the `deploymentWindow`
 * local activity for the workflow.
 */
import { CronExpressionParser } from 'cron-parser';
import { DateTime, IANAZone } from 'luxon';
import { NOT_BEFORE_FORM, WINDOW_FORMS, parseNotBefore, parseWindowSpec, type Parsed, type WindowSpec } from './spec';

export interface WindowInstants {
  /** When the window opens (a window already open at `now` opened earlier: then this is before `now`). */
  opensAt: Date;
  /** When it closes; none for a one-off `--not-before`. */
  closesAt?: Date;
  /** The zone the window's local times are in (UTC for a `--not-before` alone). */
  zone: string;
}

/** The deep checks the syntax cannot make: a known IANA zone, a cron expression cron-parser accepts. */
export function checkWindowSpec(spec: WindowSpec): string | undefined {
  if (!IANAZone.isValidZone(spec.zone)) return `"${spec.zone}" is not a known IANA time zone (e.g. Europe/Lisbon, UTC)`;
  if (spec.kind === 'cron') {
    try {
      CronExpressionParser.parse(spec.expression, { tz: spec.zone, currentDate: new Date(0) }).next();
    } catch (err) {
      return `the cron expression "${spec.expression}" is not valid: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return undefined;
}

/** A window's text, checked in full (syntax, zone, cron). The error says what is wrong and lists the accepted forms. */
export function validateWindow(text: string): Parsed<WindowSpec> {
  const p = parseWindowSpec(text);
  const error = p.ok ? checkWindowSpec(p.value) : p.error;
  return error === undefined ? p : { ok: false, error: `${error}; accepted: ${WINDOW_FORMS.join('; ')}` };
}

export function validateNotBefore(text: string): Parsed<number> {
  const p = parseNotBefore(text);
  if (p.ok && !DateTime.fromISO(text.trim(), { setZone: true }).isValid)
    return { ok: false, error: `it is not a valid date and time; accepted: ${NOT_BEFORE_FORM}` };
  return p.ok ? p : { ok: false, error: `${p.error}; accepted: ${NOT_BEFORE_FORM}` };
}

/** A local calendar date (in the zone) plus `days`, at `minutes` after local midnight, as an instant. */
function localAt(date: { year: number; month: number; day: number }, days: number, minutes: number, zone: string) {
  const d = DateTime.fromObject(date, { zone: 'UTC' }).plus({ days });
  // A local time skipped by a daylight-saving change (e.g. 01:30 when clocks jump from 01:00 to 02:00) is taken as
  // the same clock reading in the new offset (02:30): luxon's rule, and cron-parser's.
  return DateTime.fromObject(
    { year: d.year, month: d.month, day: d.day, hour: Math.floor(minutes / 60), minute: minutes % 60 },
    { zone },
  );
}

/** The window open at `from`, or else the next one to open. */
export function windowAt(spec: WindowSpec, from: Date): { opensAt: Date; closesAt: Date } {
  if (spec.kind === 'cron') {
    // An opening up to `minutes` before `from` is still open at `from`: look from there (next() is strictly after).
    const it = CronExpressionParser.parse(spec.expression, {
      tz: spec.zone,
      currentDate: new Date(from.getTime() - spec.minutes * 60_000),
    });
    const opensAt = it.next().toDate();
    return { opensAt, closesAt: new Date(opensAt.getTime() + spec.minutes * 60_000) };
  }
  const today = DateTime.fromJSDate(from, { zone: spec.zone });
  const date = { year: today.year, month: today.month, day: today.day };
  for (let k = -8; k <= 8; k++) {
    const open = localAt(date, k, spec.start, spec.zone);
    if (
      spec.startDay !== undefined &&
      DateTime.fromObject(date, { zone: 'UTC' }).plus({ days: k }).weekday !== spec.startDay
    )
      continue;
    const close = localAt(date, k + spec.endDayOffset, spec.end, spec.zone);
    if (close.toMillis() > from.getTime()) return { opensAt: open.toJSDate(), closesAt: close.toJSDate() };
  }
  throw new Error(`no window found around ${from.toISOString()} (a bug)`);
}

/**
 * The deployment window a request aims at, seen from `now`: the window open at (or the next one after) the later of
 * `now` and `notBefore`, opening no earlier than `notBefore`; with only `notBefore`, that instant (no closing).
 * Throws on an invalid window (the start path has checked it; a workflow started otherwise fails InvalidRequest).
 */
export function deploymentWindow(req: { window?: string; notBefore?: string }, now: Date): WindowInstants {
  const notBefore = req.notBefore !== undefined ? validateNotBefore(req.notBefore) : undefined;
  if (notBefore && !notBefore.ok) throw new Error(`notBefore: ${notBefore.error}`);
  const floor = notBefore?.ok ? notBefore.value : -Infinity;
  const from = new Date(Math.max(now.getTime(), floor));
  if (req.window === undefined) {
    if (!notBefore?.ok) throw new Error('give window or notBefore');
    return { opensAt: new Date(notBefore.value), zone: 'UTC' };
  }
  const spec = validateWindow(req.window);
  if (!spec.ok) throw new Error(`window: ${spec.error}`);
  const w = windowAt(spec.value, from);
  return { opensAt: new Date(Math.max(w.opensAt.getTime(), floor)), closesAt: w.closesAt, zone: spec.value.zone };
}

/** `Sat 5 Dec 2026 22:00 Europe/Lisbon (UTC+00:00)`: an instant as the window's local time, with its zone. */
export function formatLocal(at: Date, zone: string): string {
  const t = DateTime.fromJSDate(at, { zone }).setLocale('en-GB');
  return `${t.toFormat('ccc d LLL yyyy HH:mm')} ${zone} (UTC${t.toFormat('ZZ')})`;
}
