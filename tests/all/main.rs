//! End-to-end tests of the Lockgate host: connectors built from source, a
//! real database, fake partner APIs on loopback. One binary, a module per
//! area, shared helpers in `helpers`.

mod api;
mod connectors;
mod events;
mod helpers;
mod hostile;
mod inspect;
mod matrix;
mod mirror;
mod planner;
mod platform;
mod runtime;
mod vet;
