// The run log the tenant admin and the partner see.

import { log } from 'lockgate:connector/log@0.2.0';

export type { Level } from 'lockgate:connector/log@0.2.0';

export function debug(message: string): void {
  log('debug', message);
}

export function info(message: string): void {
  log('info', message);
}

export function warn(message: string): void {
  log('warn', message);
}

export function error(message: string): void {
  log('error', message);
}
