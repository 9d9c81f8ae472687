//! What contract 0.2.0 adds, called by a connector built from source: the
//! data rules and scopes of attendances, recruiting and departures hold at
//! the host, whatever the connector asks (`tests/programs/data-probe*`).

use crate::helpers::*;
use lockgate::store::EmployeeWrite;

/// Runs one probe call and returns the host's answer from its row.
async fn probe(tenant: &Tenant, program: &str, config: &[(&str, &str)]) -> String {
    let plugin = crate::helpers::program(program);
    let summary = tenant.run(&plugin, config, RunSetup::default()).await;
    assert_eq!(summary.rows.len(), 1, "{:?}", summary.run);
    summary.rows[0].message.clone()
}

async fn attendance_probe(
    tenant: &Tenant,
    action: &str,
    employee: &str,
    date: &str,
    (start, end): (&str, &str),
    external_id: &str,
) -> String {
    probe(
        tenant,
        "test-data-probe",
        &[
            ("action", action),
            ("employee", employee),
            ("date", date),
            ("start", start),
            ("end", end),
            ("external-id", external_id),
        ],
    )
    .await
}

#[tokio::test]
async fn without_the_write_scopes_every_write_is_denied() {
    let tenant = Tenant::seeded(20, 7).await;
    let someone = &visible_in(&tenant.store, TENANT, "data-probe-readonly").await[0].id;
    let today = today();
    for (action, scope) in [
        ("create", "attendances.write"),
        ("update", "attendances.write"),
        ("delete", "attendances.write"),
        ("apply", "recruiting.write"),
    ] {
        let answer = probe(
            &tenant,
            "test-data-probe-readonly",
            &[
                ("action", action),
                ("employee", someone),
                ("date", &today),
                ("start", "08:00"),
                ("end", "12:00"),
                ("external-id", "x-1"),
                ("position", "Software Engineer"),
            ],
        )
        .await;
        assert!(
            answer.starts_with("denied:") && answer.contains(scope),
            "{action}: {answer}"
        );
    }
    // Nothing was written.
    let page = tenant
        .store
        .attendances_page(TENANT, &Default::default())
        .await
        .unwrap();
    assert!(page.is_empty(), "{page:?}");
}

/// Reading working time needs `attendances.read`: a 0.2.0 connector
/// without it (`test-hostile`, granted employees and absences) is denied
/// the list and a single period, even one it names by id, while a
/// connector with the scope reads that period.
#[tokio::test]
async fn without_the_read_scope_attendances_are_denied() {
    let tenant = Tenant::seeded(20, 7).await;
    let readers = visible_in(&tenant.store, TENANT, "data-probe-readonly").await;
    let someone = visible_in(&tenant.store, TENANT, "hostile")
        .await
        .into_iter()
        .find(|e| readers.iter().any(|r| r.id == e.id))
        .expect("someone both connectors see")
        .id;
    let today = today();
    let period = lockgate::hr::AttendancePeriod {
        employee_id: someone.clone(),
        date: today.clone(),
        start_time: Some("07:00".into()),
        end_time: Some("09:30".into()),
        duration_minutes: None,
        break_minutes: 0,
        project: None,
        comment: None,
        status: "confirmed".into(),
    };
    tenant
        .store
        .put_attendance(TENANT, "hand-1", &period)
        .await
        .unwrap()
        .unwrap();

    let summary = tenant
        .run(
            &program("test-hostile"),
            &[
                ("attack", "read-attendances"),
                ("target", "127.0.0.1:9"),
                ("record", "hand-1"),
            ],
            RunSetup::default(),
        )
        .await;
    let answers: Vec<(&str, &str, &str)> = summary
        .rows
        .iter()
        .map(|r| {
            (
                r.employee_id.as_deref().unwrap_or(""),
                r.status.as_str(),
                r.message.as_str(),
            )
        })
        .collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    for ((call, status, answer), asked) in
        answers.iter().zip(["fetch-attendances", "get-attendance"])
    {
        assert_eq!(*call, asked);
        assert_eq!(*status, "failed", "{call}: {answer}");
        assert_eq!(
            *answer, "denied: reading attendances needs the attendances.read scope",
            "{call}"
        );
    }

    // The period is there for a connector granted the scope.
    let read = probe(
        &tenant,
        "test-data-probe-readonly",
        &[("action", "read"), ("date", &today)],
    )
    .await;
    assert!(read.contains(&format!("{someone}:-:07:00")), "{read}");
}

#[tokio::test]
async fn attendance_writes_keep_the_data_rules() {
    let tenant = Tenant::seeded(20, 7).await;
    let visible = visible_in(&tenant.store, TENANT, "data-probe").await;
    let (someone, other) = (&visible[0].id, &visible[1].id);
    let today = today();
    let hours = ("08:00", "12:00");

    // An employee the tenant excluded from this connector is not there.
    tenant
        .store
        .set_included(TENANT, other, "data-probe", false)
        .await
        .unwrap();
    let answer = attendance_probe(&tenant, "create", other, &today, hours, "p-0").await;
    assert!(answer.starts_with("not-found:"), "{answer}");
    // Nor one who does not exist, and the answer does not tell them apart.
    let ghost = attendance_probe(&tenant, "create", "nobody", &today, hours, "p-0").await;
    assert!(ghost.starts_with("not-found:"), "{ghost}");

    // Created once, whatever the connector retries.
    let first = attendance_probe(&tenant, "create", someone, &today, hours, "p-1").await;
    assert!(first.starts_with("ok "), "{first}");
    let again = attendance_probe(
        &tenant,
        "create",
        someone,
        &today,
        ("09:00", "13:00"),
        "p-1",
    )
    .await;
    assert_eq!(again, first, "the same external id is the same period");

    // An overlapping period of the same employee is refused.
    let overlap = attendance_probe(
        &tenant,
        "create",
        someone,
        &today,
        ("11:00", "15:00"),
        "p-2",
    )
    .await;
    assert!(
        overlap.starts_with("invalid-argument:") && overlap.contains("overlap"),
        "{overlap}"
    );
    // Outside the granted window (30 days ahead) nothing is written.
    let far = days_from_today(40);
    let outside = attendance_probe(&tenant, "create", someone, &far, hours, "p-3").await;
    assert!(outside.starts_with("invalid-argument:"), "{outside}");

    // The tenant's own period of the day is read with no external id; the
    // connector's with its own.
    let by_hand = lockgate::hr::AttendancePeriod {
        employee_id: visible[2].id.clone(),
        date: today.clone(),
        start_time: Some("07:00".into()),
        end_time: Some("09:30".into()),
        duration_minutes: None,
        break_minutes: 0,
        project: None,
        comment: None,
        status: "confirmed".into(),
    };
    tenant
        .store
        .put_attendance(TENANT, "hand-1", &by_hand)
        .await
        .unwrap()
        .unwrap();
    let read = attendance_probe(&tenant, "read", "", &today, ("", ""), "").await;
    assert!(read.contains(&format!("{someone}:p-1:08:00")), "{read}");
    assert!(
        read.contains(&format!("{}:-:07:00", visible[2].id)),
        "{read}"
    );
    assert!(
        !read.contains(other.as_str()),
        "an excluded employee's periods: {read}"
    );

    // The connector cannot touch the tenant's period by guessing its id.
    let foreign = attendance_probe(&tenant, "delete", "", &today, ("", ""), "hand-1").await;
    assert_eq!(foreign, "ok false");
    let deleted = attendance_probe(&tenant, "delete", "", &today, ("", ""), "p-1").await;
    assert_eq!(deleted, "ok true");
    let twice = attendance_probe(&tenant, "delete", "", &today, ("", ""), "p-1").await;
    assert_eq!(twice, "ok false", "removing again is not an error");
    assert!(
        tenant
            .store
            .attendance(TENANT, "hand-1")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn applications_go_to_a_known_position_once() {
    let tenant = Tenant::seeded(5, 7).await;
    tenant
        .store
        .put_position(
            TENANT,
            "pos-eng",
            &lockgate::hr::PositionInput {
                name: "Software Engineer".into(),
                department: None,
                open: true,
            },
        )
        .await
        .unwrap();
    let apply = |position: &'static str, key: &'static str| {
        let tenant = &tenant;
        async move {
            probe(
                tenant,
                "test-data-probe",
                &[
                    ("action", "apply"),
                    ("position", position),
                    ("external-id", key),
                ],
            )
            .await
        }
    };
    let first = apply("software engineer", "board-1").await;
    assert!(first.starts_with("ok "), "{first}");
    assert_eq!(apply("pos-eng", "board-1").await, first, "one per key");
    let unknown = apply("Astronaut", "board-2").await;
    assert!(
        unknown.starts_with("not-found:") && unknown.contains("Astronaut"),
        "{unknown}"
    );
    let id = first.trim_start_matches("ok ");
    let stored = tenant.store.application(TENANT, id).await.unwrap().unwrap();
    assert_eq!(stored.position_id, "pos-eng");
    assert_eq!(stored.connector_id.as_deref(), Some("data-probe"));
}

#[tokio::test]
async fn departures_name_who_left_and_why() {
    let tenant = Tenant::seeded(20, 7).await;
    let visible = visible_in(&tenant.store, TENANT, "data-probe").await;
    // The connector's previous run.
    let since = lockgate::time::now_text();
    // One leaves by termination (yesterday was the last day), entered in
    // time: gone from the start of today.
    let mut leaver = visible[0].clone();
    leaver.termination_date = Some(days_from_today(-1));
    leaver.updated_at = format!("{}T08:00:00.000000Z", days_from_today(-2));
    tenant
        .store
        .upsert_employees(TENANT, &[leaver.clone()])
        .await
        .unwrap();
    // One is excluded from this connector.
    tenant
        .store
        .set_included(TENANT, &visible[1].id, "data-probe", false)
        .await
        .unwrap();
    // One is removed from the HR data altogether.
    let removed_at = lockgate::time::now_text();
    assert!(
        tenant
            .store
            .remove_employee(TENANT, &visible[3].id, &removed_at)
            .await
            .unwrap()
    );
    // One's termination is entered only after the previous run, with a
    // last day before it: gone from when it was entered.
    let entered = lockgate::time::now_text();
    let mut late = visible[4].clone();
    late.termination_date = Some(days_from_today(-3));
    late.updated_at = entered.clone();
    tenant
        .store
        .write_employees(
            TENANT,
            &[EmployeeWrite {
                employee: late.clone(),
                include_in: Default::default(),
                attributes: None,
            }],
            &entered,
        )
        .await
        .unwrap();

    let yesterday = format!("{}T00:00:00Z", days_from_today(-1));
    let answer = probe(
        &tenant,
        "test-data-probe",
        &[("action", "departures"), ("since", &yesterday)],
    )
    .await;
    assert!(
        answer.contains(&format!(
            "{}:terminated@{}T00:00:00.000000Z",
            leaver.id,
            today()
        )),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("{}:excluded", visible[1].id)),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("{}:out-of-scope@{removed_at}", visible[3].id)),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("{}:terminated@{entered}", late.id)),
        "{answer}"
    );
    assert!(!answer.contains(&visible[2].id), "{answer}");
    // Asked from the previous run: the late termination and the changes
    // since, not the termination that was due before.
    let later = probe(
        &tenant,
        "test-data-probe",
        &[("action", "departures"), ("since", &since)],
    )
    .await;
    assert!(
        later.contains(&format!("{}:excluded", visible[1].id)),
        "{later}"
    );
    assert!(
        later.contains(&format!("{}:terminated@{entered}", late.id)),
        "{later}"
    );
    assert!(
        !later.contains(&leaver.id),
        "the termination was before: {later}"
    );
    let bad = probe(
        &tenant,
        "test-data-probe",
        &[("action", "departures"), ("since", "last tuesday")],
    )
    .await;
    assert!(bad.starts_with("invalid-argument:"), "{bad}");
}
