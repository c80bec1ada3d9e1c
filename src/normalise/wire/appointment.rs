//! An appointment as its row is kept in the temporary file (`engine/spill.rs`): its texts joined
//! into one, then each text's length, then the rest of its values.
//!
//! A row has a dozen short texts. Written one by one, each was checked to be UTF-8 again when
//! read back, and that check cost more than the text's copy; joined, the row's texts are
//! checked once. A damaged file still gives an error: the joined text is checked, and a length
//! that does not end on a character's boundary, or runs past the text, is refused.

use std::cell::RefCell;

use chrono::{Datelike, NaiveDate};
use compact_str::CompactString;
use serde::de::{Error, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{from_parts, parts, Parts};
use crate::normalise::{Appointment, Phone};

/// The values written: the joined texts, a length for each of [`TEXTS`], the other phones, the
/// uncallable numbers, the birth date, the start, the end and the location.
const VALUES: usize = 1 + TEXTS + 6;

/// The texts joined, in the order [`texts`] gives them.
const TEXTS: usize = 13;

/// An appointment's texts, in the order they are written (none: an optional text not set).
fn texts(a: &Appointment) -> [Option<&str>; TEXTS] {
    [
        Some(&a.id),
        a.patient_id.as_deref(),
        Some(&a.first_name),
        a.last_name.as_deref(),
        Some(&a.phone.e164),
        Some(&a.phone.national),
        a.appointment_type.as_deref(),
        a.description.as_deref(),
        a.status.as_deref(),
        a.confirmed.as_deref(),
        a.opt_out.as_deref(),
        a.language.as_deref(),
        a.phone_note.as_deref(),
    ]
}

thread_local! {
    /// The texts of the row being written, joined: one buffer a thread, not one a row.
    static JOINED: RefCell<String> = const { RefCell::new(String::new()) };
}

impl Serialize for Appointment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let texts = texts(self);
        let mut values = s.serialize_tuple(VALUES)?;
        JOINED.with_borrow_mut(|joined| {
            joined.clear();
            texts.iter().flatten().for_each(|t| joined.push_str(t));
            values.serialize_element(joined.as_str())
        })?;
        for text in texts {
            // A text's length and one, or 0 for a text not set.
            values.serialize_element(&text.map_or(0, |t| t.len() + 1))?;
        }
        values.serialize_element(&self.other_phones)?;
        values.serialize_element(&self.uncallable_numbers)?;
        values.serialize_element(&self.birth_date.map(|d| d.num_days_from_ce()))?;
        values.serialize_element(&parts(&self.start))?;
        values.serialize_element(&self.end.as_ref().map(parts))?;
        values.serialize_element(&self.location)?;
        values.end()
    }
}

/// Read back only from the file's bytes: the joined texts are borrowed from them, not copied.
impl<'de> Deserialize<'de> for Appointment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_tuple(VALUES, AppointmentVisitor)
    }
}

struct AppointmentVisitor;

impl<'de> Visitor<'de> for AppointmentVisitor {
    type Value = Appointment;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an appointment's values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Appointment, A::Error> {
        let mut values = Values { seq, read: 0 };
        let joined: &str = values.next()?;
        let mut texts = Texts { rest: joined };
        let mut text = || -> Result<_, A::Error> { texts.next(values.next()?) };
        let id = required(text()?)?;
        let patient_id = text()?;
        let first_name = required(text()?)?;
        let last_name = text()?;
        let phone = Phone {
            e164: required(text()?)?,
            national: required(text()?)?,
        };
        let (appointment_type, description, status) = (text()?, text()?, text()?);
        let (confirmed, opt_out, language) = (text()?, text()?, text()?);
        let phone_note = text()?;
        if !texts.rest.is_empty() {
            return Err(Error::custom(
                "an appointment's texts longer than their lengths",
            ));
        }
        let other_phones = values.next()?;
        let uncallable_numbers = values.next()?;
        let birth_date = values
            .next::<Option<i32>>()?
            .map(|days| {
                NaiveDate::from_num_days_from_ce_opt(days)
                    .ok_or_else(|| Error::custom(format!("no date number {days}")))
            })
            .transpose()?;
        let start = from_parts(values.next()?)?;
        let end = values
            .next::<Option<Parts>>()?
            .map(from_parts)
            .transpose()?;
        Ok(Appointment {
            id,
            patient_id,
            first_name,
            last_name,
            birth_date,
            phone,
            other_phones,
            uncallable_numbers,
            start,
            end,
            appointment_type,
            description,
            status,
            confirmed,
            opt_out,
            language,
            phone_note,
            location: values.next()?,
        })
    }
}

/// The values of an appointment, read in order.
struct Values<A> {
    seq: A,
    read: usize,
}

impl<'de, A: SeqAccess<'de>> Values<A> {
    fn next<T: Deserialize<'de>>(&mut self) -> Result<T, A::Error> {
        let value = self
            .seq
            .next_element()?
            .ok_or_else(|| Error::invalid_length(self.read, &AppointmentVisitor))?;
        self.read += 1;
        Ok(value)
    }
}

/// The joined texts not yet taken.
struct Texts<'a> {
    rest: &'a str,
}

impl Texts<'_> {
    /// The next text, of `length` less one (none for 0).
    fn next<E: Error>(&mut self, length: usize) -> Result<Option<CompactString>, E> {
        let Some(length) = length.checked_sub(1) else {
            return Ok(None);
        };
        let (text, rest) = self
            .rest
            .split_at_checked(length)
            .ok_or_else(|| E::custom("an appointment's text not where its length says"))?;
        self.rest = rest;
        Ok(Some(CompactString::from(text)))
    }
}

/// A text every appointment has.
fn required<E: Error>(text: Option<CompactString>) -> Result<CompactString, E> {
    text.ok_or_else(|| E::custom("an appointment without one of its texts"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// An appointment with every value set (`full`), or only those every one has.
    fn appointment(full: bool) -> Appointment {
        let zone = chrono_tz::America::Chicago;
        let start = zone
            .with_ymd_and_hms(2026, 11, 1, 1, 30, 0)
            .latest()
            .unwrap();
        let phone = |n: u32| Phone {
            e164: format!("+1312555{n:04}").into(),
            national: format!("(312) 555-{n:04}").into(),
        };
        let some = |text: &str| full.then(|| text.into());
        Appointment {
            id: "A1".into(),
            patient_id: some("P1"),
            first_name: "Zoë".into(),
            last_name: some("O'Brien, a name longer than a CompactString holds inline"),
            birth_date: full.then(|| NaiveDate::from_ymd_opt(1944, 2, 29).unwrap()),
            phone: phone(1),
            other_phones: if full {
                vec![("HmPhone".into(), phone(2)), ("WkPhone".into(), phone(3))]
            } else {
                Vec::new()
            },
            uncallable_numbers: if full {
                vec![("WirelessPhone".into(), "+18005550100".into())]
            } else {
                Vec::new()
            },
            start,
            end: full.then(|| start + chrono::Duration::minutes(45)),
            appointment_type: some("Recall"),
            description: some("Pano, \"Prophy\" ✓"),
            status: some("1"),
            confirmed: some("Not Called"),
            opt_out: some("DoNotCall: Y"),
            language: some("es"),
            phone_note: some("WirelessPhone has letters; called on HmPhone instead"),
            location: 2,
        }
    }

    #[test]
    fn an_appointment_comes_back_equal_with_every_value_set_or_not() {
        for full in [true, false] {
            let a = appointment(full);
            let bytes = postcard::to_allocvec(&a).unwrap();
            let back: Appointment = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(back, a);
            assert_eq!(back.start.timezone(), a.start.timezone());
        }
    }

    #[test]
    fn empty_texts_come_back_set() {
        let mut a = appointment(false);
        a.last_name = Some(CompactString::default());
        a.language = Some(CompactString::default());
        let bytes = postcard::to_allocvec(&a).unwrap();
        assert_eq!(postcard::from_bytes::<Appointment>(&bytes).unwrap(), a);
    }

    #[test]
    fn a_damaged_appointment_is_refused() {
        for full in [true, false] {
            let bytes = postcard::to_allocvec(&appointment(full)).unwrap();
            // Not UTF-8: the second byte of "ë" replaced.
            let mut damaged = bytes.clone();
            let e_umlaut = damaged.iter().position(|&b| b == 0xc3).unwrap();
            damaged[e_umlaut + 1] = b'x';
            assert!(postcard::from_bytes::<Appointment>(&damaged).is_err());
            // Cut short anywhere.
            for end in 0..bytes.len() {
                assert!(postcard::from_bytes::<Appointment>(&bytes[..end]).is_err());
            }
        }
        // The first name's length one short, so that it would end inside "ë": the joined texts
        // (32 bytes, their length in one byte), then the lengths of the id, the patient id (not
        // set) and the first name.
        let mut damaged = postcard::to_allocvec(&appointment(false)).unwrap();
        assert_eq!(damaged[0], 32);
        assert_eq!(damaged[35], 5);
        damaged[35] = 4;
        assert!(postcard::from_bytes::<Appointment>(&damaged).is_err());
        // Or longer than the texts left.
        damaged[35] = 40;
        assert!(postcard::from_bytes::<Appointment>(&damaged).is_err());
    }
}
