/**
 * Window arithmetic: the syntax of a window, and its instants in a time zone across daylight-saving changes
 * (Europe/Lisbon's last Sunday of March, America/New_York's second Sunday of March, and the autumn changes), as
 * exact UTC instants.
 */
import { deploymentWindow, formatLocal, validateNotBefore, validateWindow, windowAt } from '../../src/windows/compute';
import { parseWindowSpec, windowMinutes } from '../../src/windows/spec';
import { span, windowLine } from '../../src/windows/text';

/** The window open at `now` (or the next one), as ISO instants. */
function around(text: string, now: string): [string, string] {
  const v = validateWindow(text);
  if (!v.ok) throw new Error(v.error);
  const w = windowAt(v.value, new Date(now));
  return [w.opensAt.toISOString(), w.closesAt.toISOString()];
}

describe('syntax', () => {
  test.each([
    ['Sat 22:00-Sun 02:00 Europe/Lisbon', { kind: 'weekly', startDay: 6, start: 1320, endDayOffset: 1, end: 120 }],
    ['sat 22:00-02:00 Europe/Lisbon', { kind: 'weekly', startDay: 6, start: 1320, endDayOffset: 1, end: 120 }],
    ['Saturday 09:00-17:30 UTC', { kind: 'weekly', startDay: 6, start: 540, endDayOffset: 0, end: 1050 }],
    ['Fri 18:00-Mon 06:00 America/New_York', { kind: 'weekly', startDay: 5, start: 1080, endDayOffset: 3, end: 360 }],
    ['Sun 22:00-Sun 21:00 UTC', { kind: 'weekly', startDay: 7, start: 1320, endDayOffset: 7, end: 1260 }],
    ['22:00-02:00 Europe/Lisbon', { kind: 'weekly', startDay: undefined, start: 1320, endDayOffset: 1, end: 120 }],
    ['9:00 - 17:00 UTC', { kind: 'weekly', start: 540, endDayOffset: 0, end: 1020 }],
    ['cron:0 22 * * 6 for 4h Europe/Lisbon', { kind: 'cron', expression: '0 22 * * 6', minutes: 240 }],
    ['cron: 30 1 * * SAT,SUN for 1h30m UTC', { kind: 'cron', expression: '30 1 * * SAT,SUN', minutes: 90 }],
  ])('%s', (text, expected) => {
    const p = parseWindowSpec(text);
    expect(p).toMatchObject({ ok: true, value: expected });
  });

  test('window lengths by the local clock', () => {
    const len = (t: string) => {
      const p = parseWindowSpec(t);
      if (!p.ok) throw new Error(p.error);
      return windowMinutes(p.value);
    };
    expect(len('Sat 22:00-Sun 02:00 Europe/Lisbon')).toBe(240);
    expect(len('Sun 22:00-Sun 21:00 UTC')).toBe(7 * 1440 - 60);
    expect(len('cron:0 22 * * 6 for 2d UTC')).toBe(2880);
  });

  test.each([
    ['Sat 25:00-Sun 02:00 Europe/Lisbon', /times must be HH:MM/],
    ['Sat 22:00-Sun 02:60 Europe/Lisbon', /times must be HH:MM/],
    ['Sab 22:00-Sun 02:00 Europe/Lisbon', /"Sab" is not a day/],
    ['22:00-Sun 02:00 Europe/Lisbon', /name the start day too/],
    ['22:00-22:00 UTC', /empty/],
    ['Sat 22:00-Sat 22:00 UTC', /empty/],
    ['Sat 22:00-Sun 02:00', /matches none of the accepted forms/],
    ['Sat 22:00-Sun 02:00 Lisbon time', /matches none/],
    ['Sat 22:00-Sun 02:00 Europe/Lisbo', /not a known IANA time zone/],
    ['cron:0 22 * * for 4h UTC', /must have 5 fields/],
    ['cron:0 0 22 * * 6 for 4h UTC', /must have 5 fields/],
    ['cron:0 22 * * 6 for 4 hours UTC', /matches none|cron:<5-field/],
    ['cron:0 22 * * 6 for 4x UTC', /duration "4x"/],
    ['cron:0 22 * * 6 for 8d UTC', /from 1 minute to 7 days/],
    ['cron:61 22 * * 6 for 4h UTC', /cron expression "61 22 \* \* 6" is not valid/],
    ['cron:0 22 31 2 * for 4h UTC', /is not valid/],
    ['cron:0 22 * * 6 for 4h Mars/Olympus', /not a known IANA time zone/],
    ['whenever', /matches none/],
  ])('refused: %s', (text, why) => {
    const v = validateWindow(text);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.error).toMatch(why);
      expect(v.error).toContain('accepted: <Day> HH:MM-[<Day>] HH:MM <zone>');
    }
  });

  test('not-before: an instant with an offset', () => {
    expect(validateNotBefore('2026-12-12T22:00:00Z')).toEqual({ ok: true, value: Date.UTC(2026, 11, 12, 22) });
    expect(validateNotBefore('2026-12-12T22:00+01:00')).toEqual({ ok: true, value: Date.UTC(2026, 11, 12, 21) });
    expect(validateNotBefore('2026-12-12T22:00:00.5-0500')).toEqual({
      ok: true,
      value: Date.UTC(2026, 11, 13, 3, 0, 0, 500),
    });
    for (const bad of ['2026-12-12T22:00:00', '2026-12-12', 'tomorrow', '2026-02-30T10:00Z', '2026-12-12T25:00Z']) {
      const v = validateNotBefore(bad);
      expect(v).toMatchObject({ ok: false, error: expect.stringContaining('accepted: an ISO-8601 instant') });
    }
  });
});

describe('instants across daylight-saving changes', () => {
  test('Europe/Lisbon, last Sunday of March 2027 (01:00 WET → 02:00 WEST)', () => {
    // The Saturday before: WET (UTC+0). The Saturday after: WEST (UTC+1): 22:00 local is 21:00Z.
    expect(around('Sat 22:00-Sun 02:00 Europe/Lisbon', '2027-03-22T10:00:00Z')).toEqual([
      '2027-03-27T22:00:00.000Z',
      '2027-03-28T01:00:00.000Z', // Sun 02:00 local is already summer time: a 3-hour window
    ]);
    expect(around('Sat 22:00-Sun 02:00 Europe/Lisbon', '2027-03-28T01:00:00Z')).toEqual([
      '2027-04-03T21:00:00.000Z',
      '2027-04-04T01:00:00.000Z',
    ]);
    // A local time the change skips (01:30 on 28 March) opens at the same clock reading in summer time (02:30 WEST).
    expect(around('Sun 01:30-03:00 Europe/Lisbon', '2027-03-27T12:00:00Z')).toEqual([
      '2027-03-28T01:30:00.000Z',
      '2027-03-28T02:00:00.000Z',
    ]);
    // The same window by cron: cron-parser agrees.
    const cron = validateWindow('cron:0 22 * * 6 for 4h Europe/Lisbon');
    if (!cron.ok) throw new Error(cron.error);
    expect(windowAt(cron.value, new Date('2027-03-28T03:00:00Z')).opensAt.toISOString()).toBe(
      '2027-04-03T21:00:00.000Z',
    );
  });

  test('Europe/Lisbon, last Sunday of October 2027 (02:00 WEST → 01:00 WET)', () => {
    expect(around('Sat 22:00-Sun 02:00 Europe/Lisbon', '2027-10-25T10:00:00Z')).toEqual([
      '2027-10-30T21:00:00.000Z',
      '2027-10-31T02:00:00.000Z', // a 5-hour window
    ]);
  });

  test('America/New_York, second Sunday of March 2027 (02:00 EST → 03:00 EDT)', () => {
    // Daily 22:00-02:00: Saturday night is EST (22:00 = 03:00Z), it closes at 02:00 local, which the change skips:
    // 03:00 EDT = 07:00Z. Sunday night is EDT (22:00 = 02:00Z).
    expect(around('22:00-02:00 America/New_York', '2027-03-13T12:00:00Z')).toEqual([
      '2027-03-14T03:00:00.000Z',
      '2027-03-14T07:00:00.000Z',
    ]);
    expect(around('22:00-02:00 America/New_York', '2027-03-14T12:00:00Z')).toEqual([
      '2027-03-15T02:00:00.000Z',
      '2027-03-15T06:00:00.000Z',
    ]);
    const cron = validateWindow('cron:0 9 * * 1 for 8h America/New_York');
    if (!cron.ok) throw new Error(cron.error);
    expect(windowAt(cron.value, new Date('2027-03-09T00:00:00Z')).opensAt.toISOString()).toBe(
      '2027-03-15T13:00:00.000Z', // Monday 09:00 EDT (the Monday before it was 14:00Z)
    );
    expect(windowAt(cron.value, new Date('2027-03-01T00:00:00Z')).opensAt.toISOString()).toBe(
      '2027-03-01T14:00:00.000Z',
    );
  });

  test('a cron window opening on a date after the spring change, seen from the winter (the workflow test uses it)', () => {
    const w = deploymentWindow({ window: 'cron:0 3 1 4 * for 2h Europe/Lisbon' }, new Date('2026-12-05T08:00:00Z'));
    expect(w.opensAt.toISOString()).toBe('2027-04-01T02:00:00.000Z'); // 03:00 WEST
    expect(w.closesAt?.toISOString()).toBe('2027-04-01T04:00:00.000Z');
    expect(formatLocal(w.opensAt, w.zone)).toBe('Thu 1 Apr 2027 03:00 Europe/Lisbon (UTC+01:00)');
  });
});

describe('the window a deployment aims at', () => {
  test('open now: the current window (its opening is in the past)', () => {
    expect(around('Sat 22:00-Sun 02:00 UTC', '2026-12-05T23:00:00Z')).toEqual([
      '2026-12-05T22:00:00.000Z',
      '2026-12-06T02:00:00.000Z',
    ]);
    expect(around('cron:0 22 * * 6 for 4h UTC', '2026-12-05T23:00:00Z')).toEqual([
      '2026-12-05T22:00:00.000Z',
      '2026-12-06T02:00:00.000Z',
    ]);
  });

  test('at the closing instant: the next window', () => {
    expect(around('Sat 22:00-Sun 02:00 UTC', '2026-12-06T02:00:00Z')[0]).toBe('2026-12-12T22:00:00.000Z');
    expect(around('cron:0 22 * * 6 for 4h UTC', '2026-12-06T02:00:00Z')[0]).toBe('2026-12-12T22:00:00.000Z');
  });

  test('a window longer than a day, across the week boundary', () => {
    expect(around('Fri 18:00-Mon 06:00 UTC', '2026-12-07T05:00:00Z')).toEqual([
      '2026-12-04T18:00:00.000Z',
      '2026-12-07T06:00:00.000Z',
    ]);
  });

  test('not-before alone: that instant, no closing; with a window: the first window from it, opening no earlier', () => {
    const now = new Date('2026-12-05T08:00:00Z');
    expect(deploymentWindow({ notBefore: '2026-12-24T18:00:00Z' }, now)).toEqual({
      opensAt: new Date('2026-12-24T18:00:00Z'),
      zone: 'UTC',
    });
    // Daily 09:00-17:00 Berlin (UTC+1): not before 10:00 Berlin on 1 January → opens 10:00 (inside that window).
    expect(deploymentWindow({ notBefore: '2027-01-01T10:00+01:00', window: '09:00-17:00 Europe/Berlin' }, now)).toEqual(
      {
        opensAt: new Date('2027-01-01T09:00:00Z'),
        closesAt: new Date('2027-01-01T16:00:00Z'),
        zone: 'Europe/Berlin',
      },
    );
    expect(() => deploymentWindow({ window: 'Sat 22:00-Sun 02:00 Mars/Olympus' }, now)).toThrow(/IANA/);
  });
});

describe('as people read it', () => {
  const w = {
    opensAt: '2026-12-05T22:00:00.000Z',
    closesAt: '2026-12-06T02:00:00.000Z',
    opensAtLocal: 'Sat 5 Dec 2026 22:00 Europe/Lisbon (UTC+00:00)',
    closesAtLocal: 'Sun 6 Dec 2026 02:00 Europe/Lisbon (UTC+00:00)',
  };
  test('waiting for window: opens at <local time and zone> (in 5 h 12 min)', () => {
    const now = Date.parse(w.opensAt) - (5 * 60 + 12) * 60_000;
    expect(windowLine(w, now, true)).toBe(
      'waiting for window: opens at Sat 5 Dec 2026 22:00 Europe/Lisbon (UTC+00:00) (in 5 h 12 min)',
    );
    expect(windowLine(w, now, false)).toMatch(/^deployment window: opens at .* \(in 5 h 12 min\), closes at Sun 6 Dec/);
    expect(windowLine(w, Date.parse(w.opensAt) + 1, false)).toBe(
      'deployment window: open until Sun 6 Dec 2026 02:00 Europe/Lisbon (UTC+00:00)',
    );
    expect(windowLine(w, Date.parse(w.closesAt), false)).toMatch(/closed at Sun 6 Dec/);
  });
  test('spans', () => {
    expect(span(30_000)).toBe('less than a minute');
    expect(span(12 * 60_000)).toBe('12 min');
    expect(span(5 * 3600_000)).toBe('5 h');
    expect(span((2 * 1440 + 3 * 60 + 7) * 60_000)).toBe('2 d 3 h');
  });
});
