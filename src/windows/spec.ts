/**
 * Deployment windows: the syntax of a window (`--window`, the request's `window`) and of a one-off `--not-before`
 * instant. Pure text parsing with no dependencies, so the workflow's input schema can use it; the time-zone and cron
 * arithmetic (and the checks that need a time-zone database or a cron parser) are in `compute.ts`, outside workflow
 * code.
 *
 * Two forms of window:
 *   - `[<Day>] HH:MM-[<Day>] HH:MM <IANA zone>`: weekly when the start names a day (`Sat 22:00-Sun 02:00
 *     Europe/Lisbon`; without a day on the end side it ends on the same day, or the next day when the end is not
 *     after the start), daily when no day is named (`22:00-02:00 America/New_York`).
 *   - `cron:<5-field cron expression> for <duration> <IANA zone>`: opens at each time the expression names, in that
 *     zone, for the duration (`cron:0 22 * * 6 for 4h Europe/Lisbon`; durations like `90m`, `4h`, `1h30m`, `2d`).
 * Times are local times in the zone, so a window keeps its local hours across daylight-saving changes.
 */

export const WINDOW_FORMS = [
  '<Day> HH:MM-[<Day>] HH:MM <zone> (weekly, e.g. "Sat 22:00-Sun 02:00 Europe/Lisbon")',
  'HH:MM-HH:MM <zone> (daily, e.g. "22:00-02:00 America/New_York")',
  'cron:<minute hour day-of-month month day-of-week> for <duration> <zone> (e.g. "cron:0 22 * * 6 for 4h Europe/Lisbon")',
];

export const NOT_BEFORE_FORM =
  'an ISO-8601 instant with a time zone offset, e.g. 2026-12-12T22:00:00Z or 2026-12-12T22:00+00:00';

/** Longest window (and longest cron duration): a week. */
export const WINDOW_MAX_MINUTES = 7 * 24 * 60;

export const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

export type WindowSpec =
  | {
      kind: 'weekly';
      /** ISO weekday of the opening (1 = Monday … 7 = Sunday); absent: every day. */
      startDay?: number;
      /** Minutes after local midnight. */
      start: number;
      /** Whole days from the opening's date to the closing's date (0: the same day). */
      endDayOffset: number;
      end: number;
      zone: string;
    }
  | { kind: 'cron'; expression: string; minutes: number; zone: string };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** `Sat`, `saturday`, `SAT` → 6 (ISO weekday); undefined for anything else. */
function day(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.toLowerCase();
  const i = DAY_NAMES.findIndex((d) => t.length >= 3 && d.startsWith(t));
  return i < 0 ? undefined : i + 1;
}

function clock(h: string, m: string): number | undefined {
  const hh = Number(h);
  const mm = Number(m);
  if (hh > 23 || mm > 59) return undefined;
  return hh * 60 + mm;
}

/** An IANA zone name's shape (Europe/Lisbon, America/Argentina/Buenos_Aires, UTC, Etc/GMT+3); validity is `compute.ts`'s. */
const ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** `90m`, `4h`, `1h30m`, `2d` → minutes. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/i.exec(text);
  if (!m || text === '') return undefined;
  return Number(m[1] ?? 0) * 24 * 60 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

const WEEKLY = /^(?:([A-Za-z]+)\s+)?(\d{1,2}):(\d{2})\s*-\s*(?:([A-Za-z]+)\s+)?(\d{1,2}):(\d{2})\s+(\S+)$/;
const CRON = /^cron:\s*(.+?)\s+for\s+(\S+)\s+(\S+)$/i;
const CRON_FIELD = /^[0-9A-Za-z*,/?#-]+$/;

/** A window's text → its parts, or what is wrong with it (said in words; the caller names the field). */
export function parseWindowSpec(raw: string): Parsed<WindowSpec> {
  const text = raw.trim();
  const bad = (why: string): Parsed<WindowSpec> => ({ ok: false, error: why });
  const zoneOk = (zone: string) => ZONE.test(zone);
  const cron = CRON.exec(text);
  if (cron) {
    const [, expression, duration, zone] = cron as unknown as [string, string, string, string];
    const fields = expression.split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f)))
      return bad(`the cron expression "${expression}" must have 5 fields (minute hour day-of-month month day-of-week)`);
    const minutes = parseDuration(duration);
    if (minutes === undefined) return bad(`the duration "${duration}" must look like 90m, 4h, 1h30m or 2d`);
    if (minutes < 1 || minutes > WINDOW_MAX_MINUTES) return bad('the duration must be from 1 minute to 7 days');
    if (!zoneOk(zone)) return bad(`"${zone}" is not a time zone name (an IANA name such as Europe/Lisbon or UTC)`);
    return { ok: true, value: { kind: 'cron', expression: fields.join(' '), minutes, zone } };
  }
  if (/^cron\b/i.test(text)) return bad('a cron window is written cron:<5-field expression> for <duration> <zone>');
  const weekly = WEEKLY.exec(text);
  if (!weekly) return bad('it matches none of the accepted forms');
  const [, d1, h1, m1, d2, h2, m2, zone] = weekly as unknown as string[];
  const startDay = day(d1);
  const endDay = day(d2);
  if (d1 !== undefined && startDay === undefined) return bad(`"${d1}" is not a day (Mon … Sun)`);
  if (d2 !== undefined && endDay === undefined) return bad(`"${d2}" is not a day (Mon … Sun)`);
  if (startDay === undefined && endDay !== undefined)
    return bad('name the start day too (a window with no day on its start side is daily)');
  const start = clock(h1!, m1!);
  const end = clock(h2!, m2!);
  if (start === undefined || end === undefined) return bad('times must be HH:MM from 00:00 to 23:59');
  if (!zoneOk(zone!)) return bad(`"${zone}" is not a time zone name (an IANA name such as Europe/Lisbon or UTC)`);
  if (end === start && (endDay === undefined || endDay === startDay))
    return bad('the window is empty (it ends when it starts)');
  let endDayOffset: number;
  if (startDay !== undefined && endDay !== undefined) {
    endDayOffset = (endDay - startDay + 7) % 7;
    if (endDayOffset === 0 && end < start) endDayOffset = 7; // the same day named, ending earlier: next week
  } else endDayOffset = end < start ? 1 : 0;
  return { ok: true, value: { kind: 'weekly', startDay, start, endDayOffset, end, zone: zone! } };
}

/** Length of a window in minutes, by its local clock (a daylight-saving change can make the real length differ). */
export function windowMinutes(spec: WindowSpec): number {
  return spec.kind === 'cron' ? spec.minutes : spec.endDayOffset * 24 * 60 + spec.end - spec.start;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** A one-off `--not-before`: an ISO-8601 instant with its offset → epoch ms. */
export function parseNotBefore(raw: string): Parsed<number> {
  const text = raw.trim();
  if (!INSTANT.test(text)) return { ok: false, error: 'it is not an ISO-8601 instant with an offset' };
  const [y, mo, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const ms = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  // Date.parse takes 2026-02-30 for 2026-03-02: the calendar date must exist as written.
  if (Number.isNaN(ms) || new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d)
    return { ok: false, error: 'it is not a valid date and time' };
  return { ok: true, value: ms };
}
