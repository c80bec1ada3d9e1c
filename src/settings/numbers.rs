//! `[practice] phone_region`, `allowed_countries` and `allowed_number_types`: which numbers are a
//! patient's phone (see [`crate::normalise::policy`]). Shared by every location of a group.

use std::str::FromStr;

use phonenumber::country;

use super::value::bad;
use crate::config::{LoadedConfig, Located};
use crate::normalise::policy::{PhonePolicy, OPTIONAL_TYPES};

/// The practice's rule for patients' numbers, every entry checked.
pub(super) fn phone_policy(config: &LoadedConfig) -> anyhow::Result<PhonePolicy> {
    let p = &config.file.practice;
    let home = match &p.phone_region {
        None => country::Id::US,
        Some(r) => region(config, r, "[practice] phone_region")?,
    };
    let countries = p
        .allowed_countries
        .iter()
        .map(|c| region(config, c, "[practice] allowed_countries"))
        .collect::<anyhow::Result<_>>()?;
    let extra_types = p
        .allowed_number_types
        .iter()
        .map(|t| {
            let name = t.get_ref().trim().to_ascii_lowercase();
            OPTIONAL_TYPES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, kind)| *kind)
                .ok_or_else(|| {
                    let msg = format!(
                        "`{}` is not a type that can be allowed; choose from \"voip\", \
                         \"personal\" (mobile and fixed-line numbers are always called; toll-free, \
                         premium-rate, shared-cost, pager, UAN and voicemail numbers never are)",
                        t.get_ref()
                    );
                    bad(config, t, "[practice] allowed_number_types", msg)
                })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(PhonePolicy {
        home,
        countries,
        extra_types,
    })
}

/// A two-letter region code as libphonenumber knows it.
fn region(config: &LoadedConfig, value: &Located, key: &str) -> anyhow::Result<country::Id> {
    let code = value.get_ref().trim().to_ascii_uppercase();
    country::Id::from_str(&code)
        .ok()
        .filter(|id| phonenumber::metadata::DATABASE.by_id(id.as_ref()).is_some())
        .ok_or_else(|| {
            let msg = format!(
                "`{}` is not a two-letter region code such as US or CA (ISO 3166, as \
                 libphonenumber uses them: the United Kingdom is GB)",
                value.get_ref()
            );
            bad(config, value, key, msg)
        })
}
