//! The Annie API, as far as this tool uses it: `POST /calls`.
//!
//! [`AnnieClient`] sends one request and sorts the answer into a [`CallOutcome`] the dispatcher
//! can act on. It never retries by itself: whether a retry is safe depends on what the response
//! proved, and that decision belongs to [`crate::dispatch`]. Where the API documentation is
//! silent (error bodies, codes other than 429), the answer is reported as it came, not guessed at.
//!
//! [`body`] is the request as documented, [`answer`] sorts what came back (pure, unit-tested),
//! [`client`] does the HTTP.

mod answer;
pub(crate) mod body;
mod client;

pub use answer::{api_reason, CallOutcome, ConversationSummary, GetOutcome, ListOutcome, Refusal};
pub use client::{AnnieClient, ApiSettings};
