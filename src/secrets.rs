//! Keeping API keys out of what the tool prints.
//!
//! Keys come from environment variables that the config names (`api_key_env`,
//! `client_id_env`, `client_secret_env`). The commonest mistake is pasting the key itself there,
//! and the error that followed ("variable `annie-sk-v1-...` is not set") printed it into a cron
//! mail or a log. So config values that look like a key are never quoted: [`looks_like_key`]
//! decides, [`redact_keys`] blanks them out of messages that quote config text (the TOML parser
//! prints the offending line), and the settings say what to do instead.
//!
//! Held keys and tokens are [`secrecy::SecretString`]s, so no `Debug` output shows them either.

use std::borrow::Cow;

/// What stands in a message for a value that looks like a key.
pub const REDACTED: &str = "[value that looks like a key, not printed]";

/// Whether a value looks like a secret rather than a name: an Annie key (`annie-sk-...`), or a
/// long random-looking token (upper and lower case letters and digits mixed, as in base62 or
/// base64 keys, or a long run of hex digits). Environment variable names (`ANNIE_API_KEY`,
/// `annie_key_north`), paths and words do not.
pub fn looks_like_key(value: &str) -> bool {
    let t = value.trim();
    if t.to_ascii_lowercase().contains("annie-sk-") {
        return true;
    }
    let token_chars = t
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_+/=.~".contains(c));
    if !token_chars {
        return false;
    }
    let has = |f: fn(&char) -> bool| t.chars().any(|c| f(&c));
    let mixed =
        has(char::is_ascii_lowercase) && has(char::is_ascii_uppercase) && has(char::is_ascii_digit);
    let hex = t.chars().all(|c| c.is_ascii_hexdigit()) && has(char::is_ascii_digit);
    (t.len() >= 16 && mixed) || (t.len() >= 32 && hex)
}

/// Whether `name` can be an environment variable's name: letters, digits and `_`, not starting
/// with a digit (what a shell can `export`).
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `text` with every word that [`looks_like_key`] replaced by [`REDACTED`]. Words are runs of
/// letters, digits, `-`, `_`, `+` and `=`, so a key inside a quoted TOML line is caught while
/// file paths (split at `/` and `.`) are left readable.
pub fn redact_keys(text: &str) -> Cow<'_, str> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || "-_+=".contains(c);
    let mut out = String::new();
    let mut last = 0;
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (start, is_word(c) && i < text.len()) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                if looks_like_key(&text[s..i]) {
                    out.push_str(&text[last..s]);
                    out.push_str(REDACTED);
                    last = i;
                }
                start = None;
            }
            _ => {}
        }
    }
    match last {
        0 => Cow::Borrowed(text),
        _ => {
            out.push_str(&text[last..]);
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "annie-sk-v1-9f8e7d6c5b4a39281706f5e4d3c2b1a0";

    #[test]
    fn keys_look_like_keys_and_names_do_not() {
        for key in [
            KEY,
            "ANNIE-SK-V1-ABC",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5",
            "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        ] {
            assert!(looks_like_key(key), "{key}");
        }
        for name in [
            "ANNIE_API_KEY",
            "ANNIE_KEY_NORTH_CLINIC_2",
            "annie_key_north",
            "AnnieKey",
            "America/Chicago",
            "annie-dispatch.ledger.sqlite3",
            "3f2a9c4e-1b2d-4c3e-8f9a-0b1c2d3e4f5a",
            "requests_per_minute",
            "",
        ] {
            assert!(!looks_like_key(name), "{name}");
        }
    }

    #[test]
    fn environment_variable_names() {
        for name in ["ANNIE_API_KEY", "_X", "key2"] {
            assert!(is_env_name(name), "{name}");
        }
        for name in ["", "2KEY", "$ANNIE_API_KEY", "ANNIE API KEY", KEY] {
            assert!(!is_env_name(name), "{name}");
        }
    }

    #[test]
    fn keys_are_blanked_out_of_messages_and_the_rest_is_kept() {
        let toml = format!("3 | api_key = \"{KEY}\"\n  | ^^^^^^^\nunknown field `api_key`");
        let redacted = redact_keys(&toml);
        assert_eq!(
            redacted,
            format!("3 | api_key = \"{REDACTED}\"\n  | ^^^^^^^\nunknown field `api_key`")
        );
        let plain = "config file `/tmp/.tmpAb12Cd/config.toml` is not valid: line 3";
        assert!(matches!(redact_keys(plain), Cow::Borrowed(_)));
        assert_eq!(redact_keys(KEY), REDACTED);
    }
}
