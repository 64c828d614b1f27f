# index_replicate.sh, sourced by bench/index: replicate_index SRC DST K [SINCE] makes DST a copy
# of the index SRC holding K times its patients: copy k (1..K-1) of every patient gets the ID
# with its first character replaced by k, and every file row an id offset, so that per-patient
# data (and every query plan) is that of a real synth hospital while the patient count is K
# times larger. With SINCE (YYYYMMDD), the copies keep only the files of care dates from SINCE
# on (plus each patient's current ADT-00 and PPR-01): the 20,000-patient 5-year index times 10
# would need ~25 GB, more than a shared benchmark machine's disk. Used for the 200,000-patient
# latency figure; a synth tree of that size (7.5 million files a year) would not fit either.
replicate_index() {
    src=$1; dst=$2; k=$3; since=${4:-0}
    rm -f "$dst" "$dst-wal" "$dst-shm"
    sqlite3 "$src" "VACUUM INTO '$dst'"
    sqlite3 "$dst" > /dev/null <<SQL
CREATE TABLE keep(id INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO keep SELECT id FROM files WHERE care_date >= '$since' AND flag IS NOT NULL;
INSERT OR IGNORE INTO keep SELECT demo_file FROM patients WHERE demo_file IS NOT NULL;
INSERT OR IGNORE INTO keep SELECT ppr_file FROM patients WHERE ppr_file IS NOT NULL;
SQL
    i=1
    while [ "$i" -lt "$k" ]; do
        off=$((i * 100000000))
        nid="'$i' || substr(patient_id, 2)"
        sqlite3 "$dst" > /dev/null <<SQL
PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;
INSERT INTO files SELECT id+$off, dir_id+$off, name, size, mtime_ns, hash, $nid, care_date, data_type,
  order_no, event_time, dept, flag, state, reason, warnings, event, pid3, msg_time, pid_family,
  pid_given, pid_kana_family, pid_kana_given, pid_birth, pid_sex
  FROM files WHERE id IN keep AND patient_id IS NOT NULL;
INSERT INTO demographics SELECT file_id+$off, $nid, family, given, kana_family, kana_given,
  birth_date, sex, blood_type, rh, height_cm, weight_kg, postcode, address, phones, updated
  FROM demographics WHERE file_id IN keep;
INSERT INTO contacts SELECT file_id+$off, seq, name, relationship, phones FROM contacts
  WHERE file_id IN keep;
INSERT INTO allergy_rows SELECT file_id+$off, seq, $nid, source, type, code, allergen, severity,
  reaction, action, onset FROM allergy_rows WHERE file_id IN keep;
INSERT INTO diagnosis_rows SELECT file_id+$off, seq, $nid, action, name, code, icd10, onset, main,
  outcome, resolved, confirmation, start FROM diagnosis_rows WHERE file_id IN keep;
INSERT INTO adt_events SELECT file_id+$off, $nid, kind, event, cancel, clinical_time,
  patient_class, ward, room, bed, prior_ward, prior_room, prior_bed, admitted, discharged,
  attending FROM adt_events WHERE file_id IN keep;
INSERT INTO medications SELECT file_id+$off, seq, $nid, kind, order_no, drug_code, drug, dose,
  unit, usage, start, end, days, route, instructions, rate, order_type, start_time, end_time, flag
  FROM medications WHERE file_id IN keep;
INSERT INTO med_components SELECT $nid, file_id+$off, seq, k, type, code, name, amount, unit
  FROM med_components WHERE file_id IN keep;
INSERT INTO lab_results SELECT file_id+$off, seq, $nid, code, name, value, unit, range, abnormal,
  time, status, flag, event_time, sub_id, obr, test_code, test_name, specimen FROM lab_results WHERE file_id IN keep;
INSERT INTO diets SELECT file_id+$off, seq, $nid, text, start, flag, event_time FROM diets
  WHERE file_id IN keep;
INSERT INTO reports SELECT file_id+$off, seq, $nid, kind, text, time, flag, event_time FROM reports
  WHERE file_id IN keep;
INSERT INTO orders SELECT file_id+$off, seq, $nid, kind, order_no, control, code, name, time, flag
  FROM orders WHERE file_id IN keep;
INSERT INTO current_allergies SELECT $nid, seq, type, code, allergen, severity, reaction, onset
  FROM current_allergies WHERE substr(patient_id, 1, 1) = '0';
INSERT INTO patients SELECT '$i' || substr(id, 2), demo_file+$off, ppr_file+$off, family, given,
  kana_family, kana_given, birth_date, sex, blood_type, rh, height_cm, weight_kg, postcode,
  address, phones, allergy_status, NULL, NULL, NULL, NULL, NULL, pid3_mismatch, name_key, kana_key,
  demo_source FROM patients WHERE substr(id, 1, 1) = '0';
COMMIT;
SQL
        i=$((i + 1))
    done
    sqlite3 "$dst" "DROP TABLE keep; UPDATE meta SET value = (SELECT count(*) FROM patients) WHERE key = 'patients';
                    PRAGMA journal_mode=WAL; ANALYZE;" > /dev/null
}
