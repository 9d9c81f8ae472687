// Working time (attendance periods), with `attendances.read` and
// `attendances.write`. Writes are keyed by the connector's own id for the
// period (the external id), so a retried webhook or a re-run sync never
// duplicates one: create it again and the first one comes back unchanged.

import * as raw from 'lockgate:connector/attendances@0.2.0';

import { HostError, hostCall } from './error.js';
import { PAGE, Pages } from './pages.js';

export type {
  Attendance,
  AttendanceInput,
  AttendanceQuery,
  AttendanceStatus,
} from 'lockgate:connector/attendances@0.2.0';

/** A period query: days in `[from, to]` (`YYYY-MM-DD`) and optional filters. */
export type AttendanceFilter = Pick<raw.AttendanceQuery, 'from' | 'to'> &
  Partial<raw.AttendanceQuery>;

/** Every visible period matching `query`, fetched a page at a time. */
export function attendances(
  query: AttendanceFilter,
): Pages<raw.Attendance, raw.AttendanceQuery> {
  return new Pages({ limit: PAGE, ...query }, raw.fetchAttendances);
}

/** One visible period by the host's id. */
export function attendance(id: string): raw.Attendance {
  return hostCall(() => raw.getAttendance(id));
}

/**
 * Records the period the connector knows as `externalId`; the same id
 * again returns the first period unchanged. An overlap with another period
 * of the employee is a `HostError` of kind `invalid-argument`.
 */
export function create(externalId: string, period: raw.AttendanceInput): raw.Attendance {
  return hostCall(() => raw.createAttendance(externalId, period));
}

/** Replaces the period the connector knows as `externalId`. */
export function update(externalId: string, period: raw.AttendanceInput): raw.Attendance {
  return hostCall(() => raw.updateAttendance(externalId, period));
}

/** Creates the period, or replaces it when the connector wrote it before. */
export function put(externalId: string, period: raw.AttendanceInput): raw.Attendance {
  try {
    return update(externalId, period);
  } catch (e) {
    if (e instanceof HostError && e.kind === 'not-found') return create(externalId, period);
    throw e;
  }
}

/** Removes the period the connector knows as `externalId`; `false` when there was none. */
export function remove(externalId: string): boolean {
  return hostCall(() => raw.deleteAttendance(externalId));
}
