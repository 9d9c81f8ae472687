//! Employee imports from real spreadsheet exports, byte for byte: German
//! and French files separated by `;` in Windows-1252, UTF-8 with a byte
//! order mark, tab-separated UTF-8 and UTF-16 ("Unicode text"). Names
//! arrive exactly as written, and one bad line stores nothing.

use lockgate_tests::http::get;
use lockgate_tests::{TestApp, spawn_app, tenant_token};
use serde_json::Value;

async fn post_csv(app: &TestApp, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/tenants/t-1/employees/import", app.url))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(bytes)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    app.store.create_tenant("t-1", "Acme").await.unwrap();
    let admin = tenant_token(&app, "t-1", true).await;
    (app, admin)
}

/// `(id, first name, last name, department)` of every stored employee.
async fn stored(app: &TestApp) -> Vec<(String, String, String, Option<String>)> {
    app.store
        .all_employees("t-1")
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.first_name, e.last_name, e.department))
        .collect()
}

fn row(
    id: &str,
    first: &str,
    last: &str,
    department: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        id.into(),
        first.into(),
        last.into(),
        department.map(String::from),
    )
}

fn fields(err: &Value) -> Vec<String> {
    err["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields in {err}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_semicolon_windows_1252_export_keeps_its_accents() {
    let (app, admin) = setup().await;
    // As Excel saves "CSV (Trennzeichen-getrennt)" on a German Windows:
    // `;`, CRLF, Windows-1252 (é E9, è E8, ü FC, ç E7, ß DF, € 80), a
    // decimal comma, and a last line of empty cells.
    let mut file = b"id;first_name;last_name;hire_date;department;weekly_hours\r\n".to_vec();
    file.extend_from_slice(b"e-1;H\xe9l\xe8ne;M\xfcller;2024-01-15;Kasse \x80;38,5\r\n");
    file.extend_from_slice(b"e-2;Fran\xe7ois;Gro\xdf;2024-02-01;\"Vertrieb; S\xfcd\";\r\n");
    file.extend_from_slice(b";;;;;\r\n");
    let (status, body) = post_csv(&app, &admin, file).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 2);
    assert_eq!(body["encoding"], "windows-1252");
    assert_eq!(body["delimiter"], ";");
    assert_eq!(
        stored(&app).await,
        [
            row("e-1", "Hélène", "Müller", Some("Kasse €")),
            row("e-2", "François", "Groß", Some("Vertrieb; Süd")),
        ]
    );
    let e1 = app.store.employee("t-1", "e-1").await.unwrap().unwrap();
    assert_eq!(e1.weekly_hours, Some(38.5));
    // And read back over the API as UTF-8.
    let (_, one) = get(&app, &admin, "/api/v1/tenants/t-1/employees/e-1", None).await;
    assert_eq!(one["first_name"], "Hélène");
}

#[tokio::test]
async fn utf8_with_a_byte_order_mark_tabs_and_utf16_are_read_too() {
    let (app, admin) = setup().await;
    // UTF-8 with a byte order mark, as "CSV UTF-8" saves it: the mark is
    // not part of the first column's name.
    let mut file = b"\xef\xbb\xbf".to_vec();
    file.extend_from_slice(
        "id,first_name,last_name,hire_date\ne-1,Zoë,Müller-Lüdenscheidt,2024-01-15\n".as_bytes(),
    );
    let (status, body) = post_csv(&app, &admin, file).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["encoding"], "UTF-8");
    assert_eq!(body["delimiter"], ",");

    // Tab-separated UTF-8 without a mark; a comma inside a cell is text.
    let file = "id\tfirst_name\tlast_name\thire_date\tdepartment\n\
                e-2\tÉlodie\tde Vries\t2024-03-01\tSales, North\n"
        .as_bytes()
        .to_vec();
    let (status, body) = post_csv(&app, &admin, file).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["delimiter"], "tab");

    // "Unicode text": UTF-16LE with a byte order mark, tabs.
    let text = "id\tfirst_name\tlast_name\thire_date\r\ne-3\tŁucja\tNowak-Żak\t2024-04-01\r\n";
    let mut file = vec![0xff, 0xfe];
    file.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (status, body) = post_csv(&app, &admin, file).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["encoding"], "UTF-16LE");

    assert_eq!(
        stored(&app).await,
        [
            row("e-1", "Zoë", "Müller-Lüdenscheidt", None),
            row("e-2", "Élodie", "de Vries", Some("Sales, North")),
            row("e-3", "Łucja", "Nowak-Żak", None),
        ]
    );
}

#[tokio::test]
async fn one_bad_line_stores_nothing_and_every_problem_has_its_line_and_column() {
    let (app, admin) = setup().await;
    // Windows-1252 with a NUL byte and an undefined byte (0x81, a C1
    // control once decoded) in names, ids no file system or URL takes,
    // a row with a missing cell, and a name past its cap.
    let mut file = b"id;first_name;last_name;hire_date\r\n".to_vec();
    file.extend_from_slice(b"e-1;J\xfcrgen;Wei\xdf;2024-01-15\r\n");
    file.extend_from_slice(b"e-2;An\x00na;Lee;2024-01-15\r\n");
    file.extend_from_slice(b"e-3;Bo;\x81Kim;2024-01-15\r\n");
    file.extend_from_slice(b"..;Cy;Ng;2024-01-15\r\n");
    file.extend_from_slice(b"CON;Di;Ox;2024-01-15\r\n");
    file.extend_from_slice(b"import;Ed;Li;2024-01-15\r\n");
    file.extend_from_slice(b"e-7;Fa;2024-01-15\r\n");
    file.extend_from_slice(format!("e-8;{};Wu;2024-01-15\r\n", "x".repeat(201)).as_bytes());
    let (status, err) = post_csv(&app, &admin, file).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["code"], "invalid_fields");
    assert_eq!(
        fields(&err),
        [
            "line 3: first_name",
            "line 4: last_name",
            "line 5: id",
            "line 6: id",
            "line 7: id",
            "line 8: row",
            "line 9: first_name",
        ]
    );
    let messages: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].contains("U+0000"), "{}", messages[0]);
    assert!(messages[1].contains("U+0081"), "{}", messages[1]);
    assert!(
        messages[3].contains("reserved device name"),
        "{}",
        messages[3]
    );
    assert!(messages[4].contains("reserved"), "{}", messages[4]);
    assert!(
        messages[5].contains("has 3 fields, the header has 4"),
        "{}",
        messages[5]
    );
    assert_eq!(messages[6], "at most 200 characters (has 201)");
    assert!(stored(&app).await.is_empty(), "the good line was stored");

    // A file that says it is UTF-8 and is not: refused, with the line.
    let mut file = b"\xef\xbb\xbfid,first_name,last_name,hire_date\n".to_vec();
    file.extend_from_slice(b"e-1,J\xfcrgen,Wei\xdf,2024-01-15\n");
    let (status, err) = post_csv(&app, &admin, file).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["code"], "bad_csv");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 2 is not UTF-8"),
        "{err}"
    );
    assert!(stored(&app).await.is_empty());

    // UTF-8 letters beside a Windows-1252 byte: either reading would
    // garble half the file, so neither is guessed.
    let mut file = "id;first_name;last_name;hire_date\ne-1;Zoë;Lee;2024-01-15\n"
        .as_bytes()
        .to_vec();
    file.extend_from_slice(b"e-2;J\xfcrgen;Wei;2024-01-15\n");
    let (status, err) = post_csv(&app, &admin, file).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 3 is not UTF-8 but other letters in the file are"),
        "{err}"
    );

    // UTF-16 cut in the middle of a character.
    let mut file = vec![0xff, 0xfe];
    file.extend(
        "id,first_name\ne-1,Ann\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    file.push(0x41);
    let (status, err) = post_csv(&app, &admin, file).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 3 is not UTF-16LE"),
        "{err}"
    );
    assert!(stored(&app).await.is_empty());
}
