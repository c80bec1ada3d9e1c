#!/usr/bin/env python3
"""Generate a large Open Dental-style export for benchmarks.

Same columns as samples/opendental-appointments.csv, with the variety a real export has: phone
formats, several phone columns, households sharing a number, statuses and confirmations that are
skipped, appointments outside tomorrow, a few invalid rows (bad phone, impossible date), quoted
descriptions. Deterministic for a given --seed.

    python3 bench/gen_export.py --rows 100000 --day 2026-11-24 > /tmp/export.csv
"""

import argparse
import csv
import random
import sys

HEADER = ("AptNum,PatNum,LName,FName,Birthdate,WirelessPhone,HmPhone,WkPhone,AptDateTime,"
          "Pattern,AptStatus,Confirmed,ProcDescript")
FIRST = ["Sarah", "José", "Linh", "Patrick", "Zoë", "Michael", "Emily", "James", "Ana", "Olivia",
         "Chinedu", "Amélie", "Giulia", "Piotr", "Jordan", "Mia", "Noah", "Aiyana", "Wei", "Fatima"]
LAST = ["Johnson", "García", "Nguyen", "O'Brien", "Schmidt", "Brown", "Davis", "Wilson",
        "Martinez", "Taylor", "Okafor", "Lefèvre", "Rossi", "Kowalski", "Smith", "Ødegård"]
PROCS = ["PerEx, 4BW, Pro", "Crown prep #14", "Seal", "Comp, 2 surf", "Pano", "Consult",
         "Prophy", "Ext #31", "Perio maint, FMX", "Comp\n(asked for afternoon)"]
AREAS = ["312", "773", "872", "708", "630", "847"]


def phone(rng, number):
    d = f"{number:07d}"
    area = AREAS[number % len(AREAS)]
    style = rng.randrange(4)
    if style == 0:
        return f"({area}) {d[:3]}-{d[3:]}"
    if style == 1:
        return f"{area}-{d[:3]}-{d[3:]}"
    if style == 2:
        return f"{area}.{d[:3]}.{d[3:]}"
    return f"+1 {area} {d[:3]} {d[3:]}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--day", default="2026-11-24", help="the day most appointments fall on")
    ap.add_argument("--clean", action="store_true",
                    help="every row callable: distinct numbers, no skips, no invalid rows "
                         "(for the dispatch benchmarks)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(HEADER.split(","))
    numbers = 0
    last_number = 2_000_000
    for i in range(args.rows):
        apt = 90_000_000 + i
        # One in ten rows shares the previous row's number (a household).
        if i and not args.clean and rng.random() < 0.10:
            number = last_number
        else:
            numbers += 1
            number = 2_000_000 + (numbers * 7919) % 8_000_000
        last_number = number
        ph = phone(rng, number)
        r = rng.random()
        if r < 0.01 and not args.clean:
            ph = "555-0100"  # invalid
        wireless, home = (ph, "") if rng.random() < 0.8 else ("", ph)
        day = args.day if args.clean or rng.random() < 0.9 else "2026-11-25"
        minute = rng.randrange(9 * 12, 17 * 12) * 5
        when = f"{day} {minute // 60:02d}:{minute % 60:02d}:00"
        if rng.random() < 0.005 and not args.clean:
            when = "2026-02-30 10:00:00"  # impossible
        status = "1" if args.clean or rng.random() < 0.95 else rng.choice(["2", "5", "3"])
        confirmed = ("Appointment Confirmed" if not args.clean and rng.random() < 0.1
                     else rng.choice(["Unconfirmed", "Not Called", "Left Message"]))
        birth = "0001-01-01" if rng.random() < 0.05 else f"{rng.randrange(1940, 2020)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        pattern = "/" + "X" * rng.randrange(2, 12) + "/"
        out.writerow([apt, 100_000 + i, rng.choice(LAST), rng.choice(FIRST), birth, wireless, home,
                      "", when, pattern, status, confirmed, rng.choice(PROCS)])


if __name__ == "__main__":
    main()
