#!/usr/bin/env python3
"""A straightforward Python preview, for the benchmark's comparison (bench/run.sh).

What a competent integrator would write for the same nightly job, with the usual libraries:
`csv`, `phonenumbers` (E.164), `zoneinfo` (start times in the practice's zone), `jinja2` (the
two texts, the same default templates as annie-dispatch). It reads an Open Dental export, keeps
tomorrow's scheduled, unconfirmed appointments with a valid number, groups a household (one
number) into one call, renders the context and voicemail, serialises the request body as JSON,
and writes one results row per input row. It does less than annie-dispatch (no duplicate ids,
opt-outs, ledger, calling hours, per-number rules or preview table), so the ratio is generous to
Python.

    python3 bench/reference.py EXPORT.csv RESULTS.csv --now 2026-11-23T10:00:00-06:00
"""

import argparse
import csv
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jinja2
import phonenumbers

CONTEXT = (
    "This call is from {{ practice_name }} to confirm "
    "{% if appointments|length > 1 %}appointments for "
    "{% for a in appointments %}{{ a.first_name }} on {{ a.appointment_when }}"
    "{% if not loop.last %}, {% endif %}{% endfor %}"
    "{% else %}{{ first_name }}'s {% if appointment_type %}{{ appointment_type }} {% endif %}"
    "appointment on {{ appointment_when }}"
    "{% if appointment_description %} ({{ appointment_description }}){% endif %}{% endif %}. "
    "Ask whether they can attend. If they need to reschedule, they can call the office at "
    "{{ callback_number }}."
)
VOICEMAIL = ("Hello, this is {{ practice_name }} calling. "
             "Please call us back at {{ callback_number }}. Thank you.")
SKIP = {"0", "2", "3", "5", "6", "7", "8", "None", "Complete", "UnschedList", "Broken",
        "Planned", "PtNote", "PtNoteCompleted"}
CALL = {"scheduled", "asap", "1", "4"}
CONFIRMED = {"appointment confirmed", "confirmed"}
PRACTICE = "Bench Dental"
FROM = "+13125550100"


def e164(row):
    for column in ("WirelessPhone", "HmPhone", "WkPhone"):
        text = row[column].strip()
        if not text:
            continue
        try:
            number = phonenumbers.parse(text, "US")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export")
    ap.add_argument("results")
    ap.add_argument("--now", required=True)
    ap.add_argument("--timezone", default="America/Chicago")
    args = ap.parse_args()
    tz = ZoneInfo(args.timezone)
    now = datetime.fromisoformat(args.now)
    tomorrow = (now.astimezone(tz) + timedelta(days=1)).date()
    env = jinja2.Environment(autoescape=False)
    context, voicemail = env.from_string(CONTEXT), env.from_string(VOICEMAIL)
    callback = phonenumbers.format_number(phonenumbers.parse(FROM, "US"),
                                          phonenumbers.PhoneNumberFormat.NATIONAL)

    results = {}  # line -> [appointment id, status, reason, number, start]
    calls = {}  # number -> [(line, appointment)]
    with open(args.export, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            apt = row["AptNum"].strip()
            try:
                start = datetime.strptime(row["AptDateTime"].strip(), "%Y-%m-%d %H:%M:%S")
            except ValueError:
                results[line] = [apt, "invalid", "unreadable start time", "", ""]
                continue
            start = start.replace(tzinfo=tz)
            number = e164(row)
            if number is None:
                results[line] = [apt, "invalid", "no usable phone number", "", start.isoformat()]
                continue
            status = row["AptStatus"].strip()
            if start <= now:
                reason = "appointment time has already passed"
            elif status in SKIP or status.lower() not in CALL:
                reason = f"status is {status}"
            elif row["Confirmed"].strip().lower() in CONFIRMED:
                reason = f"already confirmed ({row['Confirmed'].strip()})"
            elif start.date() != tomorrow:
                reason = "outside the selection window"
            else:
                reason = None
            if reason:
                results[line] = [apt, "skipped", reason, number, start.isoformat()]
                continue
            appointment = {
                "id": apt,
                "first_name": row["FName"].strip(),
                "last_name": row["LName"].strip(),
                "start": start,
                "description": row["ProcDescript"].strip(),
                "number": number,
            }
            calls.setdefault(number, []).append((line, appointment))

    for number, members in calls.items():
        members.sort(key=lambda m: (m[1]["start"], m[0]))
        lead = members[0][1]
        when = lambda a: a["start"].strftime("%A, %B %-d at %-I:%M %p")  # noqa: E731
        variables = {
            "practice_name": PRACTICE,
            "callback_number": callback,
            "first_name": lead["first_name"],
            "appointment_type": None,
            "appointment_when": when(lead),
            "appointment_description": lead["description"],
            "appointments": [{"first_name": a["first_name"], "appointment_when": when(a)}
                             for _, a in members],
        }
        body = {
            "fromNumber": FROM,
            "toNumber": number,
            "patientInfo": {"firstName": lead["first_name"], "lastName": lead["last_name"]},
            "appointmentInfo": {"startTime": lead["start"].isoformat()},
            "context": context.render(variables),
            "voicemailMessage": voicemail.render(variables),
        }
        json.dumps(body)
        for line, a in members:
            results[line] = [a["id"], "dry_run", "", number, a["start"].isoformat()]

    with open(args.results, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["row", "appointment_id", "status", "reason", "to_number", "start_time"])
        for line in sorted(results):
            out.writerow([line] + results[line])


if __name__ == "__main__":
    main()
