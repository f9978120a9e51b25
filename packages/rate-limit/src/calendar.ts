/** A time window: `[start, end)` in ms since the epoch, with a stable id for store keys. */
export interface Window {
  readonly id: string;
  readonly start: number;
  readonly end: number;
}

/** The fixed window of `durationMs` that contains `now` (aligned to the epoch). */
export function fixedWindow(now: number, durationMs: number): Window {
  const start = Math.floor(now / durationMs) * durationMs;
  return { id: `${start}`, start, end: start + durationMs };
}

const lastCalendar: { day?: Window; month?: Window } = {};

/** The UTC calendar day or month that contains `now` (Dec → Jan and 31 → 1 handled by `Date.UTC`). */
export function calendarWindow(now: number, period: 'day' | 'month'): Window {
  const last = lastCalendar[period];
  if (last && now >= last.start && now < last.end) return last;
  const window = computeCalendarWindow(now, period);
  lastCalendar[period] = window;
  return window;
}

function computeCalendarWindow(now: number, period: 'day' | 'month'): Window {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'day') {
    const day = date.getUTCDate();
    const start = Date.UTC(year, month, day);
    return { id: new Date(start).toISOString().slice(0, 10), start, end: Date.UTC(year, month, day + 1) };
  }
  const start = Date.UTC(year, month, 1);
  return { id: new Date(start).toISOString().slice(0, 7), start, end: Date.UTC(year, month + 1, 1) };
}
