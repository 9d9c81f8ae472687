//! Paging cursors: employees, absences, job positions, applications, an
//! install's runs and a run's rows, on the demo tenant (the planner export
//! connected to the demo planner, three runs, four applications). Any cursor is answered with a page or `400 bad_cursor`
//! naming the parameter; following `next_cursor` visits every item once.

use lockgate::policy::OperatorPolicy;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseResult;
use serde_json::Value;

use crate::strategies::text;
use crate::{Answer, Api, Request, check, query, showing};

struct Demo {
    api: Api,
    token: String,
    /// The lists: path, and the field that identifies an item.
    lists: Vec<(String, &'static str)>,
    /// The planner the demo install sends to; stopped when dropped.
    _planner: lockgate::demo::DemoPlanner,
}

fn demo() -> Demo {
    let rt = Api::runtime();
    let planner = rt.block_on(lockgate::demo::DemoPlanner::start()).unwrap();
    let mut operator = OperatorPolicy::default();
    operator.allow(&planner.authority()).unwrap();
    let api = Api::start_on(rt, operator);
    let (token, install) = api.block_on(async {
        let app = api.app();
        let access = lockgate::demo::bootstrap(app, &planner.url(), 40, 7)
            .await
            .expect("the demo is set up");
        lockgate_tests::jobs_settled(&app.store, &access.install_id).await;
        for (n, position) in [
            "pos-recruiter",
            "Software Engineer",
            "account executive",
            "pos-recruiter",
        ]
        .into_iter()
        .enumerate()
        {
            let application = lockgate::hr::NewApplication {
                first_name: format!("Kandidat {n}"),
                last_name: "Beispiel".into(),
                position: position.into(),
                ..Default::default()
            };
            app.store
                .create_application("demo", "jobboard", &format!("k-{n}"), &application)
                .await
                .unwrap()
                .expect("the demo has these positions open");
        }
        (access.tenant_admin, access.install_id)
    });
    // Two more runs, one at a time.
    let runs = format!("/api/v1/tenants/demo/installs/{install}/runs");
    for _ in 0..2 {
        let sync = Request::post(format!("/api/v1/tenants/demo/installs/{install}/sync"), "")
            .bearer(&token);
        let answer = api.send(sync).unwrap();
        assert!(answer.status < 300, "{}", answer.text);
        api.block_on(lockgate_tests::jobs_settled(&api.app().store, &install));
    }
    // The first run (listed last) sent everything; the later ones nothing.
    let answer = api.send(Request::get(runs.clone()).bearer(&token)).unwrap();
    let items = answer.body["items"].as_array().cloned().unwrap_or_default();
    let run = items
        .last()
        .and_then(|r| r["id"].as_str())
        .unwrap()
        .to_string();
    Demo {
        lists: vec![
            ("/api/v1/tenants/demo/employees".into(), "id"),
            ("/api/v1/tenants/demo/absences".into(), "id"),
            ("/api/v1/tenants/demo/positions".into(), "id"),
            ("/api/v1/tenants/demo/applications".into(), "id"),
            (runs, "id"),
            (format!("/api/v1/tenants/demo/runs/{run}/rows"), "seq"),
        ],
        api,
        token,
        _planner: planner,
    }
}

/// A cursor a client might make up: text, a valid-looking encoding of
/// text (hex; for runs `at|id`; for rows a number), escapes.
fn cursor() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => text(),
        2 => text().prop_map(hex::encode),
        1 => (text(), text()).prop_map(|(a, b)| hex::encode(format!("{a}|{b}"))),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => "[0-9a-fA-F]{0,9}",
        1 => select(vec!["", "%", "%zz", "+", "00", "-0", "7c", "e9"]).prop_map(String::from),
    ]
}

fn limit() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        select(vec![
            "",
            "0",
            "1",
            "-1",
            "2",
            "500",
            "1001",
            "4294967296",
            "1.5"
        ])
        .prop_map(String::from),
        text(),
    ])
}

/// A refusal of a list's query names the parameter.
fn check_page(answer: &Answer, limit: Option<&str>) -> TestCaseResult {
    match (answer.status, answer.code()) {
        (200, _) => prop_assert!(answer.body["items"].is_array(), "{}", answer.text),
        (400, "bad_cursor") => prop_assert!(
            answer.message().contains("cursor"),
            "{:?}",
            answer.message()
        ),
        (400, "bad_query") => prop_assert!(
            answer.message().contains("cursor")
                || limit.is_some() && answer.message().contains("limit"),
            "{:?} names no parameter",
            answer.message()
        ),
        _ => prop_assert!(false, "{}", answer.text),
    }
    Ok(())
}

#[test]
fn made_up_cursors_are_answered_or_refused_by_name() {
    let demo = demo();
    let input = (0..demo.lists.len(), cursor(), limit());
    check(
        "cursors: made up",
        256,
        input,
        |(list, cursor, limit), tally| {
            let (path, _) = &demo.lists[list];
            let mut pairs = vec![("cursor", cursor.as_str())];
            if let Some(limit) = &limit {
                pairs.push(("limit", limit));
            }
            let url = format!("{path}?{}", query(&pairs));
            let result = (|| -> TestCaseResult {
                let answer = demo
                    .api
                    .send(Request::get(url.clone()).bearer(&demo.token))?
                    .checked()?;
                tally.add(format!(
                    "{} {}",
                    path.rsplit('/').next().unwrap_or(""),
                    answer.outcome()
                ));
                check_page(&answer, limit.as_deref())
            })();
            showing(result, &url)
        },
    );
}

/// The ids of every item, following `next_cursor` with pages of `limit`.
fn walk(demo: &Demo, path: &str, id: &str, limit: u32) -> Result<Vec<Value>, TestCaseError> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let limit = limit.to_string();
        let mut pairs = vec![("limit", limit.as_str())];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c));
        }
        let url = format!("{path}?{}", query(&pairs));
        let answer = demo
            .api
            .send(Request::get(url.clone()).bearer(&demo.token))?
            .checked()?;
        prop_assert_eq!(answer.status, 200, "{}: {}", url, answer.text);
        let items = answer.body["items"].as_array().cloned().unwrap_or_default();
        prop_assert!(
            items.len() <= limit.parse().unwrap(),
            "{url}: too many items"
        );
        ids.extend(items.iter().map(|item| item[id].clone()));
        match answer.body["next_cursor"].as_str() {
            Some(next) => {
                prop_assert!(!items.is_empty(), "{url}: an empty page with a next cursor");
                cursor = Some(next.to_string());
            }
            None => return Ok(ids),
        }
    }
    Err(TestCaseError::fail(format!("{path}: more than 1000 pages")))
}

#[test]
fn following_next_cursor_visits_every_item_once() {
    let demo = demo();
    // Every item, from pages as large as the lists allow.
    let all: Vec<Vec<Value>> = demo
        .lists
        .iter()
        .map(|(path, id)| walk(&demo, path, id, 1000).unwrap())
        .collect();
    for ((path, _), items) in demo.lists.iter().zip(&all) {
        assert!(items.len() >= 3, "{path}: {} items", items.len());
    }
    let input = (0..demo.lists.len(), 1u32..12);
    check("cursors: paging", 64, input, |(list, limit), tally| {
        let (path, id) = &demo.lists[list];
        let ids = walk(&demo, path, id, limit)?;
        tally.add(path.rsplit('/').next().unwrap_or("").to_string());
        prop_assert_eq!(&ids, &all[list], "{} in pages of {}", path, limit);
        Ok(())
    });
}
