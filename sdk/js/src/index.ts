// Write Lockgate connectors in TypeScript.
//
// A connector is a module whose default export is `defineConnector({...})`
// (only `sync` is required), with a `connector.toml` manifest beside its
// package.json. `npx lockgate-build` bundles it, turns it into a component
// of the contract `lockgate:connector@0.2.0` (world `connector`) and embeds
// the manifest: one `.wasm` file, nothing else to ship.
//
//     import { defineConnector, hr, http, Outcome, Outcomes } from '@lockgate/connector';
//
//     export default defineConnector({
//       async sync() {
//         const rows = new Outcomes();
//         for await (const employee of hr.employees()) {
//           const res = await http.post('https://api.partner.example/people')
//             .json({ id: employee.id })
//             .send();
//           rows.push(res.isSuccess()
//             ? Outcome.success(employee.id, 'update', 'sent')
//             : Outcome.failed(employee.id, 'update', 'rejected').withPartner(res.status, res.body));
//         }
//         rows.finish();
//       },
//     });
//
// Modules: `hr` (paged employee and absence reads, departures, creating
// employees), `attendances` (working time, read and written idempotently),
// `recruiting` (job applications), `http` (outbound requests through the
// host's filter), `Outcomes` (monitoring rows, batched), `config`, `state`
// (kept between runs, and checkpoints within one), `log` and `dates`.

export * as attendances from './attendances.js';
export * as dates from './dates.js';
export * as hr from './hr.js';
export * as http from './http.js';
export * as log from './log.js';
export * as recruiting from './recruiting.js';
export * as state from './state.js';

export { Config, config } from './config.js';
export { type Connector, defineConnector } from './connector.js';
export type { Event, Trigger, WebhookRequest, WebhookResponse } from './connector.js';
export {
  ConnectorError,
  type ConnectorErrorValue,
  type FieldError,
  fieldError,
  HostError,
  type HostErrorKind,
  truncateBody,
} from './error.js';
export { HttpError, Response, type Retry } from './http.js';
export { BATCH, type Operation, Outcome, Outcomes, type OutcomeStatus, report } from './outcomes.js';
export { PAGE, Pages } from './pages.js';
export { Cursor } from './state.js';
