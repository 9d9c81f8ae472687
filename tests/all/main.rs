//! End-to-end tests of the Lockgate host: connectors built from source, a
//! real database, fake partner APIs on loopback. One binary, a module per
//! area; fixtures of this suite in `helpers`, fixtures shared with the
//! `lockgate` binary's tests in the `lockgate_tests` library.

mod api_auth;
mod api_catalog;
mod api_console_catalog;
mod api_hr;
mod api_hr_attendances;
mod api_hr_csv;
mod api_hr_recruiting;
mod api_hr_shape;
mod api_openapi;
mod api_service;
mod artifacts;
mod audit;
mod clock;
mod connectors;
mod contract_0_1;
mod contract_0_2;
mod departures;
mod events;
mod helpers;
mod hostile;
mod hostile_js;
mod hostile_limits;
mod hostile_net;
mod hostile_python;
mod inspect;
mod installs;
mod job_board;
mod job_board_partner;
mod matrix;
mod mirror;
mod mirror_oauth;
mod mirror_tool;
mod partner_sandbox;
mod payroll;
mod payroll_partner;
mod planner;
mod platform;
mod python_sdk;
mod queue;
mod records;
mod review_test_access;
mod runtime;
mod sdk_tests;
mod sign_in;
mod streaks;
mod time_tracking;
mod time_tracking_tool;
mod vet;
