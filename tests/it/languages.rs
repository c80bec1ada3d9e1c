//! Patients who prefer Spanish are called from the Spanish number with the Spanish templates.

use crate::harness::{od_row, Test, CONFIG, OD_HEADER};
use crate::mock::Annie;

#[tokio::test(flavor = "multi_thread")]
async fn the_language_column_picks_the_number_and_the_templates() {
    let annie = Annie::start().await;
    let config = CONFIG.replace(
        "preset = \"opendental\"",
        "preset = \"opendental\"\n[input.columns]\nlanguage = \"Language\"",
    ) + r#"
[[languages]]
name = "SPANISH"
values = ["Spanish", "spa", "es"]
from_number = "+1 312 555 0101"
context = "Llamada de {{ practice_name }} para confirmar {% for a in appointments %}la cita de {{ a.first_name }}{% if not loop.last %}, {% endif %}{% endfor %}."
voicemail = "Hola, le llama {{ practice_name }}. Por favor llámenos al {{ callback_number }}."
"#;
    let export = format!(
        "{OD_HEADER},Language\n{},spa\n{},eng\n{},French\n",
        od_row("ES", &[("FName", "Lucía")]),
        od_row("EN", &[]),
        od_row("FR", &[]),
    );
    let out = Test::new()
        .server(&annie.base_url())
        .config(&config)
        .input("appointments.csv", export)
        .run_async()
        .await;
    out.assert_status(0);
    let bodies = annie.bodies().await;
    let body = |id: &str| {
        bodies
            .iter()
            .find(|b| b["appointmentInfo"]["appointmentId"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(body("ES")["fromNumber"], "+13125550101");
    assert_eq!(
        body("ES")["context"],
        "Llamada de Bright Smile Dental para confirmar la cita de Lucía."
    );
    assert_eq!(
        body("ES")["voicemailMessage"],
        "Hola, le llama Bright Smile Dental. Por favor llámenos al (312) 555-0199."
    );
    // English, and a language nobody configured: the default number and templates.
    for id in ["EN", "FR"] {
        assert_eq!(body(id)["fromNumber"], "+13125550100");
        assert!(body(id)["context"]
            .as_str()
            .unwrap()
            .starts_with("This call is from Bright Smile Dental"));
    }
    assert!(
        out.stderr.contains(
            "no Annie number configured for this language; calling in the default language"
        ),
        "{}",
        out.stderr
    );
}
