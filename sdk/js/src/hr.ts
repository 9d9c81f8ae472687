// HR data as the install may see it. The host filters: employees outside
// their employment window or excluded by the tenant never appear, attribute
// groups the install was not granted are `undefined`, and absences are
// limited to the granted window.

import * as raw from 'lockgate:connector/hr@0.2.0';

import { hostCall } from './error.js';
import { PAGE, Pages } from './pages.js';

export type {
  Absence,
  AbsenceQuery,
  AbsenceStatus,
  AttributeGroup,
  BasicAttributes,
  CompensationAttributes,
  ContactAttributes,
  Departure,
  DepartureQuery,
  DepartureReason,
  Employee,
  EmployeeQuery,
  EmploymentAttributes,
  EmploymentStatus,
  Money,
  NewEmployee,
} from 'lockgate:connector/hr@0.2.0';

/** An employee query; every field may be left out (`limit` defaults to 500). */
export type EmployeeFilter = Partial<raw.EmployeeQuery>;

/** An absence query: the window `[from, to]` (`YYYY-MM-DD`) and optional filters. */
export type AbsenceFilter = Pick<raw.AbsenceQuery, 'from' | 'to'> & Partial<raw.AbsenceQuery>;

/** Every visible employee matching `query`, fetched a page at a time. */
export function employees(query: EmployeeFilter = {}): Pages<raw.Employee, raw.EmployeeQuery> {
  return new Pages({ limit: PAGE, ...query }, raw.fetchEmployees);
}

/**
 * Every visible absence overlapping `[from, to]` and matching the other
 * filters (any status unless `statuses` names some), a page at a time.
 */
export function absences(query: AbsenceFilter): Pages<raw.Absence, raw.AbsenceQuery> {
  return new Pages({ limit: PAGE, statuses: [], ...query }, raw.fetchAbsences);
}

/**
 * Employees who stopped being visible at or after `since` (terminated,
 * excluded by the tenant, removed), oldest first: whom to remove at the
 * partner, without remembering every id sent.
 */
export function departures(since: string): Pages<raw.Departure, raw.DepartureQuery> {
  return new Pages({ since, limit: PAGE }, raw.fetchDepartures);
}

/** One visible employee by id; a `HostError` of kind `not-found` otherwise. */
export function employee(id: string): raw.Employee {
  return hostCall(() => raw.getEmployee(id));
}

/** One visible absence by id, whatever its status. */
export function absence(id: string): raw.Absence {
  return hostCall(() => raw.getAbsence(id));
}

/**
 * Creates an employee; the same `idempotencyKey` always yields the first
 * employee's id and creates nothing more.
 */
export function createEmployee(employee: raw.NewEmployee, idempotencyKey: string): string {
  return hostCall(() => raw.createEmployee(employee, idempotencyKey));
}
