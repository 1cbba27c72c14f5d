/** Small text helpers for the message builders: one line, clipped, lists with "and N more", times and durations. */

/** Every run of whitespace (newlines and control characters too) as one space, trimmed. */
export function oneLine(text: string): string {
  return text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
}

/** At most `max` characters; a clipped text ends in `…`. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** `oneLine` then `clip`. */
export const line = (text: string, max: number): string => clip(oneLine(text), max);

/** The first `shown` items (each one line, clipped to `itemMax`) and how many are left out (`total` counts all). */
function shownItems(items: readonly string[], shown: number, itemMax: number, total: number) {
  const kept = items.slice(0, Math.max(0, shown)).map((i) => line(i, itemMax));
  return { kept, more: Math.max(total, items.length) - kept.length };
}

/** A list, one item a line, with a last line `… and N more` when some are left out. */
export function listLines(items: readonly string[], shown: number, itemMax: number, total = items.length): string[] {
  const { kept, more } = shownItems(items, shown, itemMax, total);
  return more > 0 ? [...kept, `… and ${more} more`] : kept;
}

/** The same list on one line: `a, b, c and N more`. */
export function listInline(items: readonly string[], shown: number, itemMax: number, total = items.length): string {
  const { kept, more } = shownItems(items, shown, itemMax, total);
  return more > 0 ? `${kept.join(', ')} and ${more} more` : kept.join(', ');
}

/** `2025-03-01 14:05 UTC` from an ISO instant (the text itself when it is not one). */
export function formatInstant(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return line(iso, 60);
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const UNITS: [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
];

/** `3 d 4 h`, `2 h 5 min`, `4 min 10 s`, `45 s`: the largest unit and the next one when it is not zero. */
export function formatDuration(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  const counts = UNITS.map(([name, size]) => {
    const n = Math.floor(rest / size);
    rest -= n * size;
    return { name, n };
  });
  const first = counts.findIndex((c) => c.n > 0);
  if (first < 0) return '0 s';
  return counts
    .slice(first, first + 2)
    .filter((c) => c.n > 0)
    .map((c) => `${c.n} ${c.name}`)
    .join(' ');
}

/** `in 3 h 10 min` or `5 min ago`, from `from` to `to` (ISO instants); undefined when either is not an instant. */
export function relative(from: string, to: string): string | undefined {
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  const seconds = (b - a) / 1000;
  return seconds >= 0 ? `in ${formatDuration(seconds)}` : `${formatDuration(-seconds)} ago`;
}

/** The time from `from` to `to` (ISO instants) as a duration; undefined when either is not an instant or it is negative. */
export function durationBetween(from: string, to: string): string | undefined {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isNaN(ms) || ms < 0 ? undefined : formatDuration(ms / 1000);
}

/** The URL when it is an absolute http(s) URL, otherwise undefined (a link is only ever made from one). */
export function httpUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
