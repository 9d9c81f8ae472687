// Calendar dates as the contract carries them (`YYYY-MM-DD`), and the
// current instant as an RFC 3339 timestamp, from the host's wall clock.

import { now as wallClock } from 'wasi:clocks/wall-clock@0.2.12';

/** Days since 1970-01-01 of a `YYYY-MM-DD` date; `undefined` if it is not one. */
export function toDays(date: string): number | undefined {
  const m = /^(-?\d+)-(\d{1,2})-(\d{1,2})$/.exec(date);
  if (m === null) return undefined;
  const [y0, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const y = month <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The `YYYY-MM-DD` date `days` after 1970-01-01. */
export function fromDays(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** `date` moved by `days` (negative goes back); `undefined` if `date` is not a date. */
export function addDays(date: string, days: number): string | undefined {
  const base = toDays(date);
  return base === undefined ? undefined : fromDays(base + days);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function nowParts(): { secs: number; micros: number } {
  const t = wallClock();
  return { secs: Number(t.seconds), micros: Math.floor(t.nanoseconds / 1000) };
}

/** Today in UTC. */
export function today(): string {
  return fromDays(Math.floor(nowParts().secs / 86_400));
}

/** Now, `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function now(): string {
  const { secs, micros } = nowParts();
  const day = fromDays(Math.floor(secs / 86_400));
  const s = ((secs % 86_400) + 86_400) % 86_400;
  const hh = pad(Math.floor(s / 3600), 2);
  const mm = pad(Math.floor((s % 3600) / 60), 2);
  const ss = pad(s % 60, 2);
  return `${day}T${hh}:${mm}:${ss}.${pad(micros, 6)}Z`;
}
