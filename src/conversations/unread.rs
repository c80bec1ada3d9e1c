//! A call whose conversation `outcomes` could not read: why, and what a person does about it.
//!
//! Such a row is still written to the outcomes file (one row per results row), with the status
//! [`NOT_READ`] and a reason that says what failed and what to do, and it needs a person: the
//! call was made, but nobody knows how it ended (it may have been a request not to be called).
//! The next `outcomes` run reads it again. The cause is kept in the reason's first words, so the
//! report can tell, from the file alone, whether a rerun can help.

/// The outcomes file's `status` for a call whose conversation could not be read.
pub const NOT_READ: &str = "not_read";

/// What the reason of such a row starts with.
const PREFIX: &str = "could not be read: ";

/// Why a conversation could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unread {
    /// The API refused the key (HTTP 401 or 403): rotated, revoked or mistyped.
    KeyRefused,
    /// Annie has no such conversation for this key (HTTP 404): the results file is from another
    /// organisation's or practice's run. Reading it again gives the same answer.
    NotInAnnie,
    /// No connection, a server error, a rate limit that did not end: a later run may read it.
    TryLater,
    /// The row's location is not in this config: the run used another.
    WrongConfig,
}

impl Unread {
    /// Every cause, for reading a reason back.
    pub const ALL: [Unread; 4] = [
        Unread::KeyRefused,
        Unread::NotInAnnie,
        Unread::TryLater,
        Unread::WrongConfig,
    ];

    /// The cause of a failed read, from its HTTP status (`None`: no answer at all).
    pub fn of_status(status: Option<u16>) -> Unread {
        match status {
            Some(401 | 403) => Unread::KeyRefused,
            Some(404) => Unread::NotInAnnie,
            _ => Unread::TryLater,
        }
    }

    /// Whether running `outcomes` again (once the problem is fixed) can read the conversation.
    pub fn rerun_helps(self) -> bool {
        self != Unread::NotInAnnie
    }

    /// What failed, in plain words.
    fn what(self) -> &'static str {
        match self {
            Unread::KeyRefused => "Annie refused the location's API key",
            Unread::NotInAnnie => "Annie has no such conversation for this key",
            Unread::TryLater => "Annie could not be reached or did not answer",
            Unread::WrongConfig => "the row's location is not in this config",
        }
    }

    /// What a person does about it.
    pub fn what_to_do(self) -> &'static str {
        match self {
            Unread::KeyRefused => {
                "Have whoever set up annie-dispatch check the location's API key, then rerun the \
                 same `annie-dispatch outcomes` command: it reads these calls again."
            }
            Unread::NotInAnnie => {
                "Check that the results file is from this practice's run (another organisation's \
                 or practice's calls cannot be read with this key): rerunning will not help. Read \
                 the call in Annie, or call the patient to confirm."
            }
            Unread::TryLater => {
                "Rerun the same `annie-dispatch outcomes` command later: it reads these calls \
                 again."
            }
            Unread::WrongConfig => {
                "Rerun `annie-dispatch outcomes` with the config the run used: it reads these \
                 calls again."
            }
        }
    }

    /// The outcomes row's reason: what failed (`detail`: the error), then what to do.
    pub fn reason(self, detail: &str) -> String {
        format!("{PREFIX}{} ({detail}). {}", self.what(), self.what_to_do())
    }

    /// What failed, from a reason written by [`Unread::reason`]: without its first words and what
    /// to do, for a page that says both apart.
    pub fn failure(self, reason: &str) -> &str {
        let rest = reason.strip_prefix(PREFIX).unwrap_or(reason);
        rest.strip_suffix(self.what_to_do())
            .map_or(rest, str::trim_end)
    }

    /// The cause a reason written by [`Unread::reason`] names; `TryLater` for any other text.
    pub fn of_reason(reason: &str) -> Unread {
        let what = reason.strip_prefix(PREFIX).unwrap_or("");
        Unread::ALL
            .into_iter()
            .find(|u| what.starts_with(u.what()))
            .unwrap_or(Unread::TryLater)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_names_its_cause_and_only_a_missing_conversation_is_for_good() {
        for u in Unread::ALL {
            let reason = u.reason("HTTP 404: not found");
            assert_eq!(Unread::of_reason(&reason), u, "{reason}");
            let failure = u.failure(&reason);
            assert!(failure.ends_with("(HTTP 404: not found)."), "{failure}");
            assert!(reason.ends_with('.') && !reason.contains("  "), "{reason}");
        }
        assert_eq!(Unread::of_status(Some(401)), Unread::KeyRefused);
        assert_eq!(Unread::of_status(Some(403)), Unread::KeyRefused);
        assert_eq!(Unread::of_status(Some(404)), Unread::NotInAnnie);
        assert_eq!(Unread::of_status(Some(503)), Unread::TryLater);
        assert_eq!(Unread::of_status(None), Unread::TryLater);
        let again: Vec<bool> = Unread::ALL.map(Unread::rerun_helps).to_vec();
        assert_eq!(again, [true, false, true, true]);
    }
}
