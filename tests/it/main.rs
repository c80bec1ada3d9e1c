//! The integration tests: one binary, one module per topic. Each test runs the real
//! `annie-dispatch` binary; sending tests point it at a wiremock server on 127.0.0.1.

mod harness;
mod mock;

mod config_errors;
mod input_encodings;
mod invalid_rows;
mod preview;
mod rate_limit;
mod samples;
mod sending;
