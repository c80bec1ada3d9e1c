//! Facts about the practice that several stages need: who is calling, from where, in which zone.

use chrono_tz::Tz;
use phonenumber::country;

use crate::normalise::policy::PhonePolicy;

/// The practice on whose behalf Annie calls.
#[derive(Debug, Clone)]
pub struct Practice {
    /// Said first in every call and voicemail: automated calls must identify the caller.
    pub name: String,
    /// Local times in the export are wall-clock times in this zone.
    pub timezone: Tz,
    /// The Annie number calls come from, E.164.
    pub from_number: String,
    /// The number patients should call back, in national format for speech ("(312) 555-0100").
    pub callback_spoken: String,
    /// Region used to read phone numbers written without a country code.
    pub phone_region: country::Id,
    /// Which valid numbers are a patient's phone: types and countries it calls.
    pub phone_policy: PhonePolicy,
}
