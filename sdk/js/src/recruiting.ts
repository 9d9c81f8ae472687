// Job applications, with `recruiting.write`. There is no reading back:
// what a connector sends is the tenant's.

import * as raw from 'lockgate:connector/recruiting@0.2.0';

import { hostCall } from './error.js';

export type { Attachment, NewApplication } from 'lockgate:connector/recruiting@0.2.0';

/**
 * Creates an application for one of the tenant's positions (by id, or by
 * name ignoring case) and returns its id. The same `idempotencyKey` always
 * yields the first application's id. An unknown position is a `HostError`
 * of kind `not-found`, naming it.
 */
export function createApplication(
  application: raw.NewApplication,
  idempotencyKey: string,
): string {
  return hostCall(() => raw.createApplication(application, idempotencyKey));
}
