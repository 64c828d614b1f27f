/*
 * messages.h: every text the viewer shows, in Japanese and English. Included by
 * web_internal.h (to make the enum) and i18n.c (to make the table) with MSG() defined.
 */
MSG(M_APP, "chartvault 参照ビューア", "chartvault downtime viewer")
MSG(M_LOGIN, "ログイン", "Log in")
MSG(M_LOGOUT, "ログアウト", "Log out")
MSG(M_LOGOUT_ASK, "ログアウトしますか？", "Log out now?")
MSG(M_LOGGED_OUT, "ログアウトしました。", "You have logged out.")
MSG(M_USER, "ユーザー名", "User name")
MSG(M_PASSWORD, "パスワード", "Password")
MSG(M_TOTP, "ワンタイムコード（設定済みの場合）", "One-time code (when enrolled)")
MSG(M_LOGIN_BAD, "ユーザー名・パスワード・ワンタイムコードのいずれかが違います。",
    "The user name, password or one-time code is wrong.")
MSG(M_LOGIN_LOCKED,
    "失敗が続いたため、この端末からのこのユーザー名でのログインを15分間止めています。ワンタイムコー"
    "ドを"
    "設定していれば、正しいパスワードとコードでログインできます。",
    "After repeated failures, this user name cannot log in from this device for 15 minutes. "
    "With a one-time code enrolled, the right password and code still log you in.")
MSG(M_LOGIN_DISABLED, "このアカウントは管理者によりロックされています。",
    "This account has been locked by an administrator.")
MSG(M_LOGIN_THROTTLED,
    "この端末からの失敗が多すぎます。しばらくお待ちください。ワンタイムコードを設定していれば、正し"
    "い"
    "パスワードとコードでログインできます。",
    "Too many failed logins from this device. Please wait; with a one-time code enrolled, the "
    "right password and code still log you in.")
MSG(M_SESSIONS_FULL, "ログイン中のセッションが多すぎます。しばらくしてからもう一度お試しください。",
    "Too many sessions are open. Please try again later.")
MSG(M_SESSION_EXPIRED, "一定時間操作がなかったため、ログアウトしました。再度ログインしてください。",
    "Your session has expired. Please log in again.")
MSG(M_NEED_LOGIN, "ログインしてください。", "Please log in.")
MSG(M_CSRF, "フォームの有効期限が切れました。ページを開き直してください。",
    "This form has expired. Please reload the page.")
MSG(M_FORBIDDEN, "許可されていません", "Forbidden")
MSG(M_NOT_FOUND, "ページが見つかりません", "Page not found")
MSG(M_BAD_REQUEST, "不正な要求です", "Bad request")
MSG(M_TOO_LARGE, "要求が大きすぎます", "Request too large")
MSG(M_METHOD, "この操作は許可されていません", "Method not allowed")
MSG(M_AUDIT_FAIL, "監査ログに記録できないため、表示できません。管理者に連絡してください。",
    "The audit log cannot be written, so nothing can be shown. Call the administrator.")
MSG(M_ERROR, "エラー", "Error")
MSG(M_PAGE_INCOMPLETE,
    "このページを最後まで作れなかったため、表示しません。管理者に連絡してください。",
    "This page could not be built in full, so it is not shown. Call the administrator.")
MSG(M_SEARCH, "患者検索", "Find a patient")
MSG(M_SEARCH_HINT, "患者ID・氏名（漢字/カナ）・生年月日（YYYY-MM-DD）",
    "Patient ID, name (kanji or kana), birth date (YYYY-MM-DD)")
MSG(M_SEARCH_GO, "検索", "Search")
MSG(M_RESULTS, "検索結果", "Results")
MSG(M_NO_RESULTS, "該当する患者はいません。", "No patient matches.")
MSG(M_MANY_RESULTS, "件以上あります。条件を絞ってください。", " or more match; narrow the search.")
MSG(M_WARDS, "病棟一覧", "Wards")
MSG(M_WARD, "病棟", "Ward")
MSG(M_CENSUS, "患者一覧", "Census")
MSG(M_BEDMAP, "ベッドマップ", "Bed map")
MSG(M_ROOM, "病室", "Room")
MSG(M_BED, "ベッド", "Bed")
MSG(M_EMPTY_BED, "空床", "Empty")
MSG(M_OCCUPIED, "入院中", "Occupied")
MSG(M_NO_WARDS, "入院中の患者はいません。", "No patient is admitted.")
MSG(M_PATIENT, "患者", "Patient")
MSG(M_PATIENT_ID, "患者ID", "Patient ID")
MSG(M_NAME, "氏名", "Name")
MSG(M_KANA, "カナ", "Kana")
MSG(M_BIRTH, "生年月日", "Birth date")
MSG(M_AGE, "年齢", "Age")
MSG(M_AGE_UNIT, "歳", "y")
MSG(M_SEX, "性別", "Sex")
MSG(M_SEX_M, "男", "M")
MSG(M_SEX_F, "女", "F")
MSG(M_SEX_O, "その他", "Other")
MSG(M_SEX_U, "不明", "Unknown")
MSG(M_BLOOD, "血液型", "Blood type")
MSG(M_UNKNOWN, "不明", "unknown")
MSG(M_NOT_REGISTERED, "未登録", "not recorded")
MSG(M_RH_NOT_REGISTERED, "Rh未登録", "Rh not recorded")
MSG(M_DEMO_UNCONFIRMED,
    "未確認: 患者登録（ADT-00）がないため、氏名・カナ・生年月日・性別は他のメッセージ（PID）から"
    "表示しています。本人確認をしてください。",
    "Not confirmed: there is no registration record (ADT-00), so the name, kana, birth date and "
    "sex shown come from another message (PID). Confirm the patient's identity.")
MSG(M_ALLERGY, "アレルギー", "Allergies")
MSG(M_ALLERGY_NONE, "アレルギー記録なし（未確認）", "No allergy recorded (not confirmed)")
MSG(M_ALLERGY_MARK, "アレルギーあり", "Allergy")
MSG(M_CONTACTS, "連絡先", "Contacts")
MSG(M_PHONE, "電話", "Phone")
MSG(M_ADDRESS, "住所", "Address")
MSG(M_KIN, "家族・緊急連絡先", "Next of kin")
MSG(M_LOCATION, "入院先", "Location")
MSG(M_NOT_ADMITTED, "入院していません（外来）", "Not admitted (outpatient)")
MSG(M_ATTENDING, "主治医", "Attending")
MSG(M_ADMITTED, "入院日時", "Admitted")
MSG(M_DIAGNOSES, "病名（有効）", "Active diagnoses")
MSG(M_ONSET, "発症日", "Onset")
MSG(M_MAIN, "主", "main")
MSG(M_MAIN_THEN, "主（記載時）", "main when written")
MSG(M_DIAG_NONE_NEWEST, "最新の病名ファイル（PPR-01）に有効な病名はありません。",
    "The newest diagnosis file (PPR-01) lists no active diagnosis.")
MSG(M_SUSPECTED, "疑い", "suspected")
MSG(M_CONFIRMATION, "確定区分", "confirmation")
MSG(M_DIAG_START, "開始日", "Since")
MSG(M_DIAG_OLDER, "以前の病名ファイルにのみ記載", "Only in older diagnosis files")
MSG(M_DIAG_OLDER_NOTE,
    "最新の病名ファイル（PPR-01）には無く、それより前の病名ファイルにだけ記載されている病名です。"
    "現在も有効か確認してください。",
    "These diagnoses are not in the newest diagnosis file (PPR-01), only in older ones. Check "
    "whether they still apply.")
MSG(M_MEDS, "処方・注射（現在）", "Current prescriptions and injections")
MSG(M_PRESCRIPTION, "処方", "Prescription")
MSG(M_INJECTION, "注射", "Injection")
MSG(M_DRUG, "薬剤", "Drug")
MSG(M_DOSE, "用量", "Dose")
MSG(M_USAGE, "用法", "Usage")
MSG(M_START, "開始日", "Start")
MSG(M_DAYS, "日数", "Days")
MSG(M_DAYS_UNIT, "日分", " days")
MSG(M_MEDS_NONE_CURRENT, "現在有効な処方・注射はありません。",
    "No prescription or injection is current.")
MSG(M_MEDS_RECENT, "最近終了した処方・注射", "Ended recently")
MSG(M_MEDS_UPCOMING, "これから開始する処方・注射", "Starting soon")
MSG(M_LAST_DAYS_A, "過去", "last ")
MSG(M_LAST_DAYS_B, "日間", " days")
MSG(M_MEDS_NONE_RECENT_A, "過去", "No prescription or injection on record in the last ")
MSG(M_MEDS_NONE_RECENT_B, "日間に処方・注射の記録はありません。", " days.")
MSG(M_ENDED, "終了日", "Ended")
MSG(M_HOW, "投与方法", "How")
MSG(M_BASE, "基剤", "base")
MSG(M_CULTURES, "細菌検査（培養・感受性）", "Cultures and susceptibility")
MSG(M_SPECIMEN, "検体", "Specimen")
MSG(M_ORGANISM, "菌", "Organism")
MSG(M_SUSCEPTIBILITY, "薬剤感受性", "Susceptibility")
MSG(M_MIC, "MIC", "MIC")
MSG(M_SIR, "判定", "S/I/R")
MSG(M_EARLIER_CULTURES, "以前の培養", "Earlier cultures")
MSG(M_LABS, "検査結果（最新）", "Recent lab results")
MSG(M_TEST, "検査", "Test")
MSG(M_VALUE, "結果", "Value")
MSG(M_UNIT, "単位", "Unit")
MSG(M_RANGE, "基準値", "Range")
MSG(M_FLAG, "判定", "Flag")
MSG(M_TIME, "日時", "Time")
MSG(M_EARLIER, "前回値", "Earlier")
MSG(M_DIET, "食事", "Diet")
MSG(M_REPORTS, "画像・生理検査レポート", "Imaging and physiology reports")
MSG(M_ADMISSIONS, "入院歴", "Admission history")
MSG(M_DISCHARGED, "退院", "Discharged")
MSG(M_NONE_RECORDED, "記録なし", "None recorded")
MSG(M_PRINT, "印刷", "Print")
MSG(M_PRINTED, "印刷日時", "Printed")
MSG(M_DATA_TIME, "データ時点", "Data as of")
MSG(M_MIN_AGO, "分前", " min ago")
MSG(M_STALE, "データが古くなっています", "The data is getting old")
MSG(M_NO_DATA, "データがありません", "No data available")
MSG(M_NO_PATIENT, "該当する患者が見つかりません", "No such patient")
MSG(M_NO_WARD, "該当する病棟が見つかりません", "No such ward")
MSG(M_PID3, "注意: メッセージ内の患者IDがフォルダと一致しないデータがあります",
    "Note: some messages carry a different patient ID than their folder")
MSG(M_LANG_OTHER, "English", "日本語")
MSG(M_HOME, "トップ", "Home")
MSG(M_BACK_TO_WARD, "病棟の患者一覧へ", "Back to the ward census")
MSG(M_RADIOLOGY, "放射線", "Radiology")
MSG(M_ENDOSCOPY, "内視鏡", "Endoscopy")
MSG(M_PHYSIOLOGY, "生理検査", "Physiology")
MSG(M_BEDS_TOTAL, "床", "beds")
MSG(M_PATIENTS_N, "名", "patients")
MSG(M_DEMO_NOTE, "停電・障害時の参照用です。", "For reference during an EHR outage.")
MSG(M_WHY_MISSING, "参照インデックスのファイルがありません", "the index file is missing")
MSG(M_WHY_UNREADABLE, "参照インデックスを読めません", "the index cannot be read")
MSG(M_WHY_NO_INGEST, "取り込みが一度も完了していません", "no import has completed yet")
MSG(M_ALLERGY_UNCONFIRMED, "アレルギー未確認", "Allergy unconfirmed")
MSG(M_DIAG_NAME, "病名", "Diagnosis")
MSG(M_AL_DRUG, "薬剤", "drug")
MSG(M_AL_FOOD, "食物", "food")
MSG(M_AL_ENV, "環境", "environmental")
MSG(M_AL_ANIMAL, "動物", "animal")
MSG(M_AL_PLANT, "植物", "plant")
MSG(M_AL_POLLEN, "花粉", "pollen")
MSG(M_AL_OTHER, "その他", "other")
MSG(M_AL_CONTRA, "禁忌", "contraindication")
MSG(M_AL_SEVERE, "重度", "severe")
MSG(M_AL_MODERATE, "中等度", "moderate")
MSG(M_AL_MILD, "軽度", "mild")
/* earlier snapshots (page_snapshot.c) and downtime packs (page_packs.c) */
MSG(M_SNAPSHOTS, "過去のスナップショット", "Earlier snapshots")
MSG(M_SNAPSHOTS_HELP,
    "攻撃や誤ったデータの前の状態を見るために、過去のスナップショットに切り替えられます。切り替えは"
    "監査ログに記録されます。",
    "Switch to an earlier snapshot to see the data as it was before an attack or a wrong "
    "change. Every switch is recorded in the audit log.")
MSG(M_SNAPSHOT_SHOWING, "過去のスナップショットを表示中：", "Showing an earlier snapshot: ")
MSG(M_SNAPSHOT_FROM, "スナップショットから表示：", "Served from snapshot: ")
MSG(M_SNAPSHOT_BACK, "最新のデータに戻る", "Back to the live data")
MSG(M_SNAPSHOT_SWITCH, "この時点に切り替え", "Switch to this one")
MSG(M_SNAPSHOT_NONE, "切り替えられるスナップショットはありません。",
    "There are no snapshots to switch to.")
MSG(M_SNAPSHOT_NO_INDEX, "索引なし（表示不可）", "no index (cannot be shown)")
MSG(M_SNAPSHOT_SUSPECT, "凍結中に取得", "taken while frozen")
MSG(M_SNAPSHOT_DENIED, "過去のスナップショットは医師または管理者のみ表示できます。",
    "Only a doctor or an administrator may look at earlier snapshots.")
MSG(M_SNAPSHOT_OFF,
    "このビューアには過去のスナップショットがありません（serve --repo で起動してください）。",
    "This viewer has no earlier snapshots (start it with serve --repo).")
MSG(M_SNAPSHOT_CURRENT, "表示中", "shown now")
MSG(M_PACKS, "ダウンタイム用印刷物", "Downtime packs")
MSG(M_PACKS_HELP,
    "病棟ごとのPDF（入院患者一覧・患者ごとのページ・リストバンド）。印刷して使ってください。",
    "One PDF per ward (census, a page per patient, wristband labels), ready to print.")
MSG(M_PACKS_NONE, "印刷物はまだ作られていません（デーモンの [print] 設定）。",
    "No packs have been made yet (the daemon's [print] section).")
MSG(M_PACKS_HOSPITAL, "全病棟（入院患者一覧・緊急連絡先一覧）",
    "All wards (census and next-of-kin list)")
MSG(M_PACKS_MADE, "作成", "made")
MSG(M_PACKS_AGE, "経過", "age")
MSG(M_PACKS_DOWNLOAD, "ダウンロード", "Download")
MSG(M_ADMIN, "管理（報告書・状態）", "Admin (report, status)")
MSG(M_ADMIN_HELP,
    "立入検査用報告書と保護デーモンの状態（chartvault report --dir "
    "が定期的に作成）。読み取り専用です。",
    "The inspection report and the protection daemon's status (made regularly by chartvault "
    "report --dir). Read only.")
MSG(M_ADMIN_DENIED, "このページは管理者のみ表示できます。",
    "Only an administrator may open this page.")
MSG(M_ADMIN_NONE, "まだ作成されていません（chartvault report --dir）。",
    "Not made yet (chartvault report --dir).")
