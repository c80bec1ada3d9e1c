//! The documented `POST /calls` body.

use serde::Serialize;

/// The documented `POST /calls` body. Optional members are left out, not sent as `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRequest {
    pub from_number: String,
    pub to_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_info: Option<PatientInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_info: Option<AppointmentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voicemail_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientInfo {
    pub first_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// `1988-03-22T00:00:00.000Z`, the form the API reference shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentInfo {
    /// RFC 3339 with the practice's UTC offset, e.g. `2025-03-10T15:00:00-06:00`.
    pub start_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_type_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_description: Option<String>,
    pub appointment_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_camel_case_without_nulls() {
        let body = CallRequest {
            from_number: "+13125550100".into(),
            to_number: "+13125550147".into(),
            patient_info: Some(PatientInfo {
                first_name: "Zoë".into(),
                last_name: None,
                date_of_birth: None,
                patient_id: Some("P1".into()),
            }),
            appointment_info: None,
            context: Some("c".into()),
            voicemail_message: None,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({
                "fromNumber": "+13125550100",
                "toNumber": "+13125550147",
                "patientInfo": {"firstName": "Zoë", "patientId": "P1"},
                "context": "c"
            })
        );
    }
}
