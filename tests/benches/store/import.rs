//! A CSV file of employees, as an HR system exports it, imported through
//! the API into an empty tenant and then again over the stored employees.

use std::fmt::Write;
use std::time::Instant;

use lockgate::sandbox::{SandboxOptions, generate};

/// The file: the generated tenant's employees with their usual columns, a
/// custom attribute and an inclusion answer for the planner export.
fn csv_file(employees: usize) -> String {
    let data = generate(&SandboxOptions {
        employees,
        seed: 7,
        today: lockgate::time::today(),
    });
    let mut csv = String::from(
        "id,first_name,last_name,department,position,work_email,hire_date,termination_date,weekly_hours,attribute:badge,include:planner-export\n",
    );
    for (i, e) in data.employees.iter().enumerate() {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},B{i},{}",
            e.id,
            e.first_name,
            e.last_name,
            e.department.as_deref().unwrap_or(""),
            e.position.as_deref().unwrap_or(""),
            e.work_email.as_deref().unwrap_or(""),
            e.hire_date,
            e.termination_date.as_deref().unwrap_or(""),
            e.weekly_hours.map(|h| h.to_string()).unwrap_or_default(),
            if i.is_multiple_of(30) { "no" } else { "yes" },
        );
    }
    csv
}

pub async fn csv_import(employees: usize) {
    let (app, token) = super::app_with_tenant().await;
    let file = csv_file(employees);
    let client = reqwest::Client::new();
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let res = client
            .post(format!("{}/api/v1/tenants/t-1/employees/import", app.url))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(file.clone())
            .send()
            .await
            .expect("the API answers");
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "the import failed: {status} {body}");
        times.push(started.elapsed());
    }
    println!(
        "CSV import of {employees} employees ({:.1} MB, 11 columns incl. an attribute and an inclusion answer, {}): into an empty tenant {:.2} s ({:.0} employees/s), again over them {:.2}–{:.2} s",
        file.len() as f64 / 1e6,
        super::database(),
        times[0].as_secs_f64(),
        employees as f64 / times[0].as_secs_f64(),
        times[1].as_secs_f64().min(times[2].as_secs_f64()),
        times[1].as_secs_f64().max(times[2].as_secs_f64()),
    );
}
