//! One file per subcommand (as xsv does): each takes its parsed arguments, runs, and returns the
//! [`crate::RunOutcome`] `main.rs` turns into an exit status. `sandbox` is a command too, but it
//! is also what `run --sandbox` starts, so it keeps its own module ([`crate::sandbox`]).

pub(crate) mod check;
pub(crate) mod manual;
pub(crate) mod outcomes;
pub(crate) mod run;
