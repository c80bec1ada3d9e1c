//! `[practice]`, `[[locations]]`, `[dispatch]` and `[hours]`: who calls, from which numbers, at
//! what rate and when. A single practice becomes one [`Location`] with an empty id; a group, one
//! per `[[locations]]` entry, each checked here so a mistake names its entry and key.

use std::collections::{BTreeMap, HashSet};
use std::num::NonZeroU32;
use std::str::FromStr;

use chrono::NaiveTime;
use chrono_tz::Tz;

use super::api::ApiSettings;
use super::texts::Languages;
use super::value::bad;
use crate::config::{LoadedConfig, Located, LocationConfig};
use crate::hours::{self, CallingHours, TimeWindow};
use crate::locations::DispatchSettings;
use crate::locations::Location;
use crate::normalise::phone;
use crate::normalise::policy::PhonePolicy;
use crate::practice::Practice;

/// Builds a location's API settings from its own key variable and base URL (or the `[api]` ones).
pub(super) type ApiFor<'a> =
    dyn Fn(Option<&Located>, Option<&Located>) -> anyhow::Result<Option<ApiSettings>> + 'a;

/// Whether the config declares `[[locations]]`.
pub(super) fn is_group(config: &LoadedConfig) -> bool {
    !config.file.locations.is_empty()
}

/// Every location the run calls for, in config order.
pub(super) fn locations(
    config: &LoadedConfig,
    languages: &Languages,
    api: &ApiFor<'_>,
) -> anyhow::Result<Vec<Location>> {
    let numbers = super::numbers::phone_policy(config)?;
    let dispatch = dispatch(config)?;
    let p = &config.file.practice;
    if p.name.get_ref().trim().is_empty() {
        let msg = "is empty; calls (or, for a group, reports) must name the practice".into();
        return Err(bad(config, &p.name, "[practice] name", msg));
    }
    match is_group(config) {
        false => single(config, &numbers, dispatch, api).map(|l| vec![l]),
        true => group(config, languages, &numbers, &dispatch, api),
    }
}

/// A single practice: `[practice]` says who calls, `[[languages]]` name their numbers.
fn single(
    config: &LoadedConfig,
    numbers: &PhonePolicy,
    dispatch: DispatchSettings,
    api: &ApiFor<'_>,
) -> anyhow::Result<Location> {
    let p = &config.file.practice;
    let missing = |key: &str| {
        anyhow::anyhow!(
            "{}: [practice] {key} is missing: set it (or declare [[locations]] for a group)",
            config.at(&p.name)
        )
    };
    let who = Who {
        section: "[practice]".to_string(),
        name: &p.name,
        timezone: p.timezone.as_ref().ok_or_else(|| missing("timezone"))?,
        from_number: p
            .from_number
            .as_ref()
            .ok_or_else(|| missing("from_number"))?,
        callback_number: p.callback_number.as_ref(),
    };
    let practice = practice(config, &who, numbers)?;
    let mut language_numbers = BTreeMap::new();
    for l in &config.file.languages {
        let number = l.from_number.as_ref().ok_or_else(|| {
            anyhow::anyhow!(
                "{}: [[languages]] \"{}\": from_number is missing: name the Annie number set \
                 to this language",
                config.at(&l.name),
                l.name.get_ref()
            )
        })?;
        let key = "[[languages]] from_number";
        language_numbers.insert(
            l.name.get_ref().trim().to_string(),
            e164(config, number, key, numbers.home)?,
        );
    }
    Ok(Location {
        id: String::new(),
        hours: hours(config, practice.timezone)?,
        practice,
        language_numbers,
        api: api(None, None)?,
        api_key_env: super::api::key_variable(config, None)?.0,
        dispatch,
    })
}

/// A group: numbers and zones belong to each `[[locations]]` entry, never to `[practice]` or
/// `[[languages]]`; ids are unique.
fn group(
    config: &LoadedConfig,
    languages: &Languages,
    numbers: &PhonePolicy,
    dispatch: &DispatchSettings,
    api: &ApiFor<'_>,
) -> anyhow::Result<Vec<Location>> {
    let p = &config.file.practice;
    for (key, value) in [
        ("timezone", &p.timezone),
        ("from_number", &p.from_number),
        ("callback_number", &p.callback_number),
    ] {
        if let Some(v) = value {
            let msg =
                "belongs in each [[locations]] entry when the config declares locations".into();
            return Err(bad(config, v, &format!("[practice] {key}"), msg));
        }
    }
    for l in &config.file.languages {
        if let Some(v) = &l.from_number {
            let msg = "with [[locations]], each location names its number for this language in its `from_numbers` table".into();
            return Err(bad(config, v, "[[languages]] from_number", msg));
        }
    }
    let mut seen = HashSet::new();
    config
        .file
        .locations
        .iter()
        .map(|l| {
            let location = location(config, l, languages, numbers, dispatch, api)?;
            if !seen.insert(location.id.clone()) {
                let msg = format!(
                    "`{}` is the id of an earlier location; ids must be unique",
                    location.id
                );
                return Err(bad(config, &l.id, "[[locations]] id", msg));
            }
            Ok(location)
        })
        .collect()
}

/// One `[[locations]]` entry.
fn location(
    config: &LoadedConfig,
    l: &LocationConfig,
    languages: &Languages,
    numbers: &PhonePolicy,
    dispatch: &DispatchSettings,
    api: &ApiFor<'_>,
) -> anyhow::Result<Location> {
    let id = l.id.get_ref().trim().to_string();
    if id.is_empty() {
        let msg = "is empty; use the value the export's location column holds for it".into();
        return Err(bad(config, &l.id, "[[locations]] id", msg));
    }
    let section = format!("[[locations]] \"{id}\"");
    let who = Who {
        section: section.clone(),
        name: &l.name,
        timezone: &l.timezone,
        from_number: &l.from_number,
        callback_number: l.callback_number.as_ref(),
    };
    let practice = practice(config, &who, numbers)?;
    let mut language_numbers = BTreeMap::new();
    for (language, number) in &l.from_numbers {
        if !languages.list.iter().any(|x| &x.name == language) {
            let names: Vec<&str> = languages.list.iter().map(|x| x.name.as_str()).collect();
            let msg = format!(
                "`{language}` is not a [[languages]] name (configured: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            );
            return Err(bad(config, number, &format!("{section} from_numbers"), msg));
        }
        let key = format!("{section} from_numbers.{language}");
        language_numbers.insert(language.clone(), e164(config, number, &key, numbers.home)?);
    }
    let mut dispatch = dispatch.clone();
    if let Some(rpm) = &l.requests_per_minute {
        dispatch.requests_per_minute = NonZeroU32::new(*rpm.get_ref()).ok_or_else(|| {
            bad(
                config,
                rpm,
                &format!("{section} requests_per_minute"),
                "must be at least 1".into(),
            )
        })?;
    }
    let mut hours = hours(config, practice.timezone)?;
    hours.org = narrow(config, hours.org, (&l.hours_start, &l.hours_end), &section)?;
    Ok(Location {
        id,
        practice,
        language_numbers,
        api: api(l.api_key_env.as_ref(), l.base_url.as_ref())?,
        api_key_env: super::api::key_variable(config, l.api_key_env.as_ref())?.0,
        dispatch,
        hours,
    })
}

/// The values that say who is calling, with the section they came from for messages.
struct Who<'a> {
    section: String,
    name: &'a Located,
    timezone: &'a Located,
    from_number: &'a Located,
    callback_number: Option<&'a Located>,
}

fn practice(config: &LoadedConfig, w: &Who<'_>, numbers: &PhonePolicy) -> anyhow::Result<Practice> {
    let phone_region = numbers.home;
    let section = &w.section;
    if w.name.get_ref().trim().is_empty() {
        let msg = "is empty; calls must name the practice".into();
        return Err(bad(config, w.name, &format!("{section} name"), msg));
    }
    let timezone = Tz::from_str(w.timezone.get_ref().trim()).map_err(|_| {
        bad(
            config,
            w.timezone,
            &format!("{section} timezone"),
            format!(
                "`{}` is not an IANA time zone name; use one such as America/Chicago",
                w.timezone.get_ref()
            ),
        )
    })?;
    let from = phone_of(
        config,
        w.from_number,
        &format!("{section} from_number"),
        phone_region,
    )?;
    let callback = match w.callback_number {
        Some(v) => phone_of(
            config,
            v,
            &format!("{section} callback_number"),
            phone_region,
        )?,
        None => from.clone(),
    };
    Ok(Practice {
        name: w.name.get_ref().trim().to_string(),
        timezone,
        from_number: from.e164.into(),
        callback_spoken: callback.national.into(),
        phone_region,
        phone_policy: numbers.clone(),
    })
}

fn phone_of(
    config: &LoadedConfig,
    value: &Located,
    key: &str,
    region: phonenumber::country::Id,
) -> anyhow::Result<phone::Phone> {
    phone::parse(value.get_ref(), region).map_err(|problem| {
        bad(
            config,
            value,
            key,
            format!("`{}` {}", value.get_ref(), problem.describe()),
        )
    })
}

fn e164(
    config: &LoadedConfig,
    value: &Located,
    key: &str,
    region: phonenumber::country::Id,
) -> anyhow::Result<String> {
    phone_of(config, value, key, region).map(|p| p.e164.into())
}

pub(super) fn dispatch(config: &LoadedConfig) -> anyhow::Result<DispatchSettings> {
    let d = &config.file.dispatch;
    let positive =
        |v: &Option<toml::Spanned<u32>>, key: &str, default: u32| -> anyhow::Result<u32> {
            match v {
                None => Ok(default),
                Some(s) if *s.get_ref() > 0 => Ok(*s.get_ref()),
                Some(s) => Err(bad(config, s, key, "must be at least 1".into())),
            }
        };
    let rpm = positive(&d.requests_per_minute, "[dispatch] requests_per_minute", 60)?;
    // Kept readable so older configs still load; what they set is no longer safe to do.
    for (value, key, why) in [
        (
            &d.server_error_attempts,
            "server_error_attempts",
            "a 5xx may have placed the call, so it is never resent without a look in Annie",
        ),
        (
            &d.reconcile_pages,
            "reconcile_pages",
            "the look in Annie now reads back as far as the attempts it settles",
        ),
    ] {
        if let Some(v) = value {
            tracing::warn!(
                "{}: [dispatch] {key} is no longer used ({why}); remove it",
                config.at(v)
            );
        }
    }
    Ok(DispatchSettings {
        requests_per_minute: NonZeroU32::new(rpm).unwrap_or(NonZeroU32::MIN),
        max_in_flight: positive(&d.max_in_flight, "[dispatch] max_in_flight", 4)? as usize,
        connect_attempts: positive(&d.connect_attempts, "[dispatch] connect_attempts", 3)?,
        rate_limit_retries: d.rate_limit_retries.as_ref().map_or(5, |v| *v.get_ref()),
        breaker_after: positive(&d.breaker_after, "[dispatch] breaker_after", 5)?,
        same_number_spacing: super::value::duration(
            config,
            d.same_number_spacing.as_ref(),
            "[dispatch] same_number_spacing",
            std::time::Duration::from_secs(15 * 60),
        )?,
    })
}

fn time(
    config: &LoadedConfig,
    v: &Option<Located>,
    key: &str,
    default: NaiveTime,
) -> anyhow::Result<NaiveTime> {
    match v {
        None => Ok(default),
        Some(t) => NaiveTime::parse_from_str(t.get_ref().trim(), "%H:%M").map_err(|_| {
            bad(
                config,
                t,
                key,
                format!("`{}` is not a time such as \"09:30\"", t.get_ref()),
            )
        }),
    }
}

/// A window from a config pair, which may narrow `limit` but never widen it.
fn narrow(
    config: &LoadedConfig,
    limit: TimeWindow,
    (start, end): (&Option<Located>, &Option<Located>),
    section: &str,
) -> anyhow::Result<TimeWindow> {
    let (keys, what) = match section {
        "[hours]" => (("start", "end"), "the API's calling hours"),
        _ => (("hours_start", "hours_end"), "the [hours] window"),
    };
    let w = TimeWindow {
        start: time(config, start, &format!("{section} {}", keys.0), limit.start)?,
        end: time(config, end, &format!("{section} {}", keys.1), limit.end)?,
    };
    let at = start
        .as_ref()
        .or(end.as_ref())
        .map(|v| config.at(v))
        .unwrap_or_default();
    not_empty(&at, &format!("{section} {}/{}", keys.0, keys.1), &w)?;
    if limit.covers(&w) {
        return Ok(w);
    }
    Err(anyhow::anyhow!(
        "{at}: {section} {}/{}: {w} is not within {limit} ({what}); the config may narrow the window, never widen it",
        keys.0,
        keys.1
    ))
}

/// A window whose end is not after its start holds no moment: say so, rather than that it is
/// wider than the law allows.
fn not_empty(at: &str, keys: &str, w: &TimeWindow) -> anyhow::Result<()> {
    if w.start < w.end {
        return Ok(());
    }
    anyhow::bail!(
        "{at}: {keys}: {w} is an empty window: the end must come after the start (both times of \
         one day, in the location's zone; a window cannot run past midnight)"
    )
}

/// `[hours]`: the organisation's window (in `org_zone`) and the patient's.
fn hours(config: &LoadedConfig, org_zone: Tz) -> anyhow::Result<CallingHours> {
    let h = &config.file.hours;
    let recipient = TimeWindow {
        start: time(
            config,
            &h.recipient_start,
            "[hours] recipient_start",
            hours::api_window().start,
        )?,
        end: time(
            config,
            &h.recipient_end,
            "[hours] recipient_end",
            hours::api_window().end,
        )?,
    };
    let at = h
        .recipient_start
        .as_ref()
        .or(h.recipient_end.as_ref())
        .map(|v| config.at(v))
        .unwrap_or_default();
    not_empty(&at, "[hours] recipient_start/recipient_end", &recipient)?;
    if !hours::legal_window().covers(&recipient) {
        anyhow::bail!(
            "{at}: [hours] recipient_start/recipient_end: {recipient} is not within {} (the legal calling hours at the patient's location); the config may narrow the window, never widen it",
            hours::legal_window()
        );
    }
    Ok(CallingHours {
        org_zone,
        org: narrow(config, hours::api_window(), (&h.start, &h.end), "[hours]")?,
        recipient,
    })
}
