//! The integration tests: one binary, one module per topic. Each test runs the real
//! `annie-dispatch` binary; sending tests point it at a wiremock server on 127.0.0.1.

mod harness;
mod mock;

mod bench_smoke;
mod calling_hours;
mod check_parity;
mod cli;
mod config_errors;
mod docs;
mod export_messages;
mod files;
mod households_optouts;
mod imports;
mod input_encodings;
mod interrupts;
mod invalid_rows;
mod languages;
mod ledger_identity;
mod locations;
mod number_rules;
mod oauth;
mod optout_values;
mod outcomes;
mod outcomes_unread;
mod outputs;
mod phone_numbers;
mod placement;
mod preview;
mod rate_limit;
mod real_exports;
mod reason_codes;
mod report;
mod reruns;
mod samples;
mod sandbox;
mod sandbox_runs;
mod sending;
mod statuses;
mod toolkit;
