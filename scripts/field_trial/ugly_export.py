# An ugly Open Dental export for the field trial (two_nights.sh), from what practices really produce
# (see the shared domain notes): BOM, CRLF, odd phone formats, letters,
# wrong lengths, extensions, duplicates, a quoted newline, formula-like names, unicode, blanks.
import random, sys
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
day = sys.argv[1]  # 2026-11-24
hdr = "AptNum,PatNum,LName,FName,Birthdate,WirelessPhone,HmPhone,WkPhone,AptDateTime,Pattern,AptStatus,Confirmed,ProcDescript"
rows = []
fmts = ["(312) 555-{:04d}", "312.555.{:04d}", "312-555-{:04d}", "+1 312 555 {:04d}", "1-312-555-{:04d}", "312555{:04d}"]
names = [("Johnson","Sarah"),("García","José"),("Nguyen","Linh"),("O'Brien","Seán"),("=HYPERLINK(\"x\")","Eve"),
         ("Smith\u200b","John"),("Łukasiewicz","Zoë"),("Müller","Jörg"),("Brown","Ann Marie"),("Lee","Min-jun")]
base = int(day.replace("-", "")[-4:]) * 100
for i in range(40):
    apt = 90000000 + base + i
    ln, fn = names[i % len(names)]
    n = 100 + (i % 30)  # some shared numbers (households)
    phone = random.choice(fmts).format(n)
    hm, wk = "", ""
    if i % 11 == 3: phone = "312-555-01O7"          # letter O: unusable
    if i % 13 == 5: phone = "312-555-012"           # too short
    if i % 17 == 7: phone, hm = "", "(773) 555-{:04d} ext 12".format(n)
    if i % 19 == 9: phone = "N/A"
    hour = 8 + (i % 9)
    minute = (i * 7) % 60
    status = random.choice(["1", "1", "1", "1", "2", "5"])
    conf = random.choice(["Unconfirmed", "Not Called", "Appointment Confirmed", "Left Msg", ""])
    proc = random.choice(["PerEx, 4BW", "Crown prep #14", "Seal\nFl", "=1+1", ""])
    bd = random.choice(["1988-03-22", "03/22/1988", "", "0000-00-00"])
    rows.append([str(apt), str(10000 + i), ln, fn, bd, phone, hm, wk, f"{day} {hour:02d}:{minute:02d}:00", "//XX//", status, conf, proc])
rows.append(rows[2][:])          # exact duplicate
rows.append(rows[6][:]); rows[-1][8] = f"{day} 16:45:00"   # same id, another time
rows.append(["", "", "", "", "", "", "", "", "", "", "", "", ""])  # all blank
rows.append(["90009999", "1", "Short"])  # too few fields
def q(c):
    return '"' + c.replace('"', '""') + '"' if any(x in c for x in ',"\n') else c
out = "\ufeff" + hdr + "\r\n" + "".join(",".join(q(c) for c in r) + "\r\n" for r in rows) + "\r\n"
sys.stdout.write(out)
