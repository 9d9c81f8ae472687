//! A deterministic generator of a realistic synthetic HR tenant, used to test
//! connectors without touching real personal data. The same employee count,
//! seed and `today` always give the same tenant, and every date and timestamp
//! is placed relative to `today`, so employment and absence windows behave the
//! same whichever day the tests run.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

use crate::hr::{Absence, Employee, ascii_fold as fold, login_base};
use crate::time::{add_days, date_text, instant};

/// Options for a synthetic tenant.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub employees: usize,
    pub seed: u64,
    pub today: Date,
}

/// A generated tenant.
#[derive(Debug, Clone)]
pub struct SandboxTenant {
    pub employees: Vec<Employee>,
    pub absences: Vec<Absence>,
    /// (employee id, connector id): the tenant answered No to "include in transfer to <connector>?".
    pub exclusions: Vec<(String, String)>,
}

/// Connector ids the generator sets inclusion flags for.
pub const KNOWN_CONNECTORS: &[&str] = &[
    "planner-export",
    "absence-mirror",
    "account-provisioning",
    "ats-hire",
];

/// From this size on, the tenant is guaranteed to contain every case the
/// connector tests rely on; below it the data is purely random.
const GUARANTEE_FROM: usize = 20;

/// Bit of `KNOWN_CONNECTORS[0]` in an employee's exclusion mask.
const PLANNER_EXPORT: u8 = 1;

/// Absences start between these offsets from today (about 6 months back and
/// 9 months ahead), so some lie outside a typical 6-month window.
const ABSENCE_PAST_DAYS: i64 = 182;
const ABSENCE_FUTURE_DAYS: i64 = 273;

const DAYS_PER_YEAR: i64 = 365;

struct Locale {
    first_names: &'static [&'static str],
    last_names: &'static [&'static str],
    nicknames: &'static [&'static str],
    legal_entity: &'static str,
    personal_domains: &'static [&'static str],
    cost_center_offset: u32,
    phone: PhoneStyle,
    weight: u32,
}

#[derive(Clone, Copy)]
enum PhoneStyle {
    German,
    French,
    Dutch,
}

// Kept compact by hand: one name per line would bury the module.
#[rustfmt::skip]
const LOCALES: &[Locale] = &[
    Locale {
        first_names: &[
            "Jürgen", "Björn", "Jörg", "Günter", "Uwe", "Sönke", "Matthias", "Lukas", "Felix",
            "Maximilian", "Stefan", "Tobias", "Andreas", "Hans-Peter", "Karl-Heinz", "Florian",
            "Mehmet", "Sabine", "Ursula", "Käthe", "Jana", "Anna", "Lena", "Marie", "Sophie",
            "Hannah", "Leonie", "Katrin", "Bärbel", "Dörte", "Gisela", "Zoë", "Ayşe",
        ],
        last_names: &[
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
            "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange",
            "Werner", "Köhler", "Jäger", "Özdemir", "Yılmaz", "Groß", "Weiß", "Lüdenscheidt",
            "von Bülow", "Çelik",
        ],
        nicknames: &["Jo", "Max", "Steffi", "Uli", "Kalle", "Flo", "Lenny", "Bine", "Kathi", "Toni"],
        legal_entity: "Lockgate GmbH",
        personal_domains: &["gmail.example", "web.example"],
        cost_center_offset: 0,
        phone: PhoneStyle::German,
        weight: 50,
    },
    Locale {
        first_names: &[
            "Bérénice", "Françoise", "Geneviève", "Thérèse", "Hélène", "Élodie", "Chloé", "Léa",
            "Zoé", "Anaïs", "Maëlle", "Noémie", "Camille", "Manon", "Inès", "Amélie", "Céline",
            "Marie-Claire", "Jérôme", "François", "Sébastien", "Stéphane", "Frédéric", "Benoît",
            "Léo", "Théo", "Raphaël", "Gaël", "Loïc", "Noël", "Hervé", "Rémi", "Joël", "Jean-Luc",
            "Antoine",
        ],
        last_names: &[
            "Lefèvre", "Dupont", "Durand", "Moreau", "Lefebvre", "Leroy", "Roux", "Fournier",
            "Girard", "Bonnet", "Mercier", "Lambert", "Faure", "Rousseau", "Blanc", "Guérin",
            "Boyer", "Garnier", "Chevalier", "Légaré", "Lemaître", "Gauthier", "Perrin", "Clément",
            "Ménard", "Hébert", "Bélanger", "Côté", "Brûlé", "Ruiz-Péron", "N'Diaye", "D'Aubigné",
            "de La Fontaine", "Benali",
        ],
        nicknames: &["Manu", "Fanfan", "Titi", "Béa", "Lolo", "Flo", "Seb", "Steph", "Fred", "Mimi"],
        legal_entity: "Lockgate SAS",
        personal_domains: &["gmail.example", "orange.example"],
        cost_center_offset: 10,
        phone: PhoneStyle::French,
        weight: 30,
    },
    Locale {
        first_names: &[
            "Daan", "Sem", "Bram", "Thijs", "Jesse", "Ruben", "Joris", "Maarten", "Pieter",
            "Sjoerd", "Wouter", "Gijs", "Koen", "Jeroen", "Søren", "Ruud", "IJsbrand", "Anouk",
            "Sanne", "Femke", "Lotte", "Fleur", "Noor", "Eline", "Ilse", "Marieke", "Inge", "Floor",
            "Anneloes", "Joëlle", "Chloë", "Daniëlle", "Noëlle", "Aafke",
        ],
        last_names: &[
            "de Vries", "van der Berg", "van den Berg", "de Jong", "Jansen", "Bakker", "Visser",
            "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
            "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf",
            "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van Dijk",
            "'t Hart", "van 't Hof", "Sørensen",
        ],
        nicknames: &["Kees", "Jo", "Wim", "Sjaak", "Loes", "Mieke", "Tessa", "Fien", "Guus", "Roos"],
        legal_entity: "Lockgate B.V.",
        personal_domains: &["gmail.example"],
        cost_center_offset: 20,
        phone: PhoneStyle::Dutch,
        weight: 20,
    },
];

/// A job title with its yearly full-time salary range in whole euros.
type Position = (&'static str, i64, i64);

struct Department {
    name: &'static str,
    head: &'static str,
    cost_center: u32,
    weight: u32,
    positions: &'static [Position],
}

const HEAD_SALARY: (i64, i64) = (88_000, 145_000);

const DEPARTMENTS: &[Department] = &[
    Department {
        name: "Engineering",
        head: "Head of Engineering",
        cost_center: 1200,
        weight: 24,
        positions: &[
            ("Software Engineer", 52_000, 72_000),
            ("Senior Software Engineer", 68_000, 92_000),
            ("Staff Engineer", 88_000, 118_000),
            ("QA Engineer", 46_000, 64_000),
            ("DevOps Engineer", 58_000, 84_000),
            ("Data Engineer", 58_000, 86_000),
            ("Engineering Manager", 92_000, 125_000),
        ],
    },
    Department {
        name: "Sales",
        head: "Head of Sales",
        cost_center: 1300,
        weight: 14,
        positions: &[
            ("Sales Development Representative", 38_000, 50_000),
            ("Account Executive", 48_000, 75_000),
            ("Senior Account Executive", 65_000, 95_000),
            ("Sales Manager", 80_000, 115_000),
        ],
    },
    Department {
        name: "Customer Success",
        head: "Head of Customer Success",
        cost_center: 1400,
        weight: 12,
        positions: &[
            ("Support Specialist", 34_000, 46_000),
            ("Customer Success Manager", 45_000, 65_000),
            ("Implementation Consultant", 50_000, 70_000),
            ("Support Team Lead", 55_000, 72_000),
        ],
    },
    Department {
        name: "Finance",
        head: "Head of Finance",
        cost_center: 1100,
        weight: 7,
        positions: &[
            ("Accountant", 42_000, 60_000),
            ("Payroll Specialist", 40_000, 56_000),
            ("Financial Controller", 58_000, 82_000),
            ("Treasury Analyst", 52_000, 72_000),
        ],
    },
    Department {
        name: "People",
        head: "Head of People",
        cost_center: 1500,
        weight: 6,
        positions: &[
            ("HR Generalist", 42_000, 58_000),
            ("Recruiter", 40_000, 60_000),
            ("People Partner", 55_000, 78_000),
            ("Learning & Development Specialist", 45_000, 62_000),
        ],
    },
    Department {
        name: "Operations",
        head: "Head of Operations",
        cost_center: 1600,
        weight: 10,
        positions: &[
            ("Facility Coordinator", 32_000, 44_000),
            ("Office Manager", 36_000, 50_000),
            ("Operations Analyst", 42_000, 60_000),
            ("Procurement Specialist", 44_000, 62_000),
        ],
    },
    Department {
        name: "Marketing",
        head: "Head of Marketing",
        cost_center: 1700,
        weight: 9,
        positions: &[
            ("Graphic Designer", 38_000, 55_000),
            ("Content Marketing Manager", 45_000, 65_000),
            ("Performance Marketing Manager", 50_000, 72_000),
            ("Product Marketing Manager", 58_000, 82_000),
        ],
    },
    Department {
        name: "Logistics",
        head: "Head of Logistics",
        cost_center: 1800,
        weight: 18,
        positions: &[
            ("Warehouse Operative", 28_000, 36_000),
            ("Forklift Driver", 29_000, 38_000),
            ("Dispatcher", 34_000, 46_000),
            ("Shift Supervisor", 38_000, 50_000),
            ("Logistics Planner", 40_000, 56_000),
        ],
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Contract {
    Permanent,
    FixedTerm,
    WorkingStudent,
    Freelance,
}

impl Contract {
    fn text(self) -> &'static str {
        match self {
            Contract::Permanent => "permanent",
            Contract::FixedTerm => "fixed-term",
            Contract::WorkingStudent => "working-student",
            Contract::Freelance => "freelance",
        }
    }
}

const CONTRACTS: &[(Contract, u32)] = &[
    (Contract::Permanent, 72),
    (Contract::FixedTerm, 14),
    (Contract::WorkingStudent, 9),
    (Contract::Freelance, 5),
];

/// Where an employee's employment window sits relative to today.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Employed today and at work.
    Current,
    /// Employed today but on long leave (status `inactive`).
    Inactive,
    /// Employed today, termination within the next 60 days.
    LeavingSoon,
    /// Hire date 1–90 days ahead.
    Future,
    /// Terminated 1–400 days ago.
    Past,
}

/// Per mille; the remainder of "current" is split into inactive and leaving.
const KINDS: &[(Kind, u32)] = &[
    (Kind::Current, 750),
    (Kind::Inactive, 40),
    (Kind::LeavingSoon, 30),
    (Kind::Future, 80),
    (Kind::Past, 100),
];

impl Kind {
    /// How many of this kind a guaranteed tenant must keep. Two plain current
    /// employees are needed: one carries the planner-export exclusion, the
    /// other the guaranteed absences while excluded from nothing.
    fn floor(self) -> usize {
        match self {
            Kind::Current => 2,
            Kind::Future | Kind::Past => 1,
            Kind::Inactive | Kind::LeavingSoon => 0,
        }
    }

    fn employed_today(self) -> bool {
        matches!(self, Kind::Current | Kind::Inactive | Kind::LeavingSoon)
    }
}

/// Name, weight, and inclusive duration range in calendar days.
const ABSENCE_TYPES: &[(&str, u32, i64, i64)] = &[
    ("Vacation", 46, 1, 15),
    ("Sick leave", 20, 1, 10),
    ("Remote work", 14, 1, 5),
    ("Training", 12, 1, 5),
    ("Unpaid leave", 6, 1, 15),
    ("Parental leave", 2, 30, 120),
];
const VACATION: usize = 0;
const SICK_LEAVE: usize = 1;
const REMOTE_WORK: usize = 2;
const TRAINING: usize = 3;
const PARENTAL_LEAVE: usize = 5;

/// The parts of an employee the absence pass needs, as day offsets from today.
struct Plan {
    kind: Kind,
    hire: i64,
    termination: Option<i64>,
    /// Bit `i` set: excluded from `KNOWN_CONNECTORS[i]`.
    excluded: u8,
}

struct Draft {
    type_index: usize,
    start: i64,
    end: i64,
    half_day_start: bool,
    half_day_end: bool,
    status: &'static str,
}

/// Generates the tenant described by `options`.
pub fn generate(options: &SandboxOptions) -> SandboxTenant {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let count = options.employees;
    let today = options.today;

    let mut kinds: Vec<Kind> = (0..count).map(|_| weighted(&mut rng, KINDS)).collect();
    if count >= GUARANTEE_FROM {
        ensure_kind_floors(&mut kinds);
    }

    let mut employees = Vec::with_capacity(count);
    let mut plans = Vec::with_capacity(count);
    let mut names = UniqueNames::default();
    let mut org = Org {
        leaders: vec![Vec::new(); DEPARTMENTS.len()],
        sizes: vec![0; DEPARTMENTS.len()],
    };
    for (index, &kind) in kinds.iter().enumerate() {
        let (employee, plan) = employee(&mut rng, index, kind, today, &mut names, &mut org);
        employees.push(employee);
        plans.push(plan);
    }

    let anchor = if count >= GUARANTEE_FROM {
        guarantee_exclusions(&mut plans, &mut employees)
    } else {
        None
    };

    let absences = absences(&mut rng, &plans, &employees, anchor, today);

    let exclusions = employees
        .iter()
        .zip(&plans)
        .flat_map(|(employee, plan)| {
            KNOWN_CONNECTORS
                .iter()
                .enumerate()
                .filter(move |(bit, _)| plan.excluded & (1 << bit) != 0)
                .map(move |(_, connector)| (employee.id.clone(), (*connector).to_string()))
        })
        .collect();

    SandboxTenant {
        employees,
        absences,
        exclusions,
    }
}

/// Converts surplus employees (taken from the end) into whichever kinds are
/// missing. With at least `GUARANTEE_FROM` employees and floors summing to
/// four, some kind always has a surplus.
fn ensure_kind_floors(kinds: &mut [Kind]) {
    for &(needed, _) in KINDS {
        while count_kind(kinds, needed) < needed.floor() {
            let surplus = (0..kinds.len())
                .rev()
                .find(|&i| count_kind(kinds, kinds[i]) > kinds[i].floor());
            let Some(position) = surplus else { return };
            kinds[position] = needed;
        }
    }
}

fn count_kind(kinds: &[Kind], kind: Kind) -> usize {
    kinds.iter().filter(|&&k| k == kind).count()
}

/// Makes sure one current employee is excluded from planner-export and
/// another is excluded from nothing and stays employed past the absence
/// horizon; returns the latter, who carries the guaranteed absences.
fn guarantee_exclusions(plans: &mut [Plan], employees: &mut [Employee]) -> Option<usize> {
    let current: Vec<usize> = (0..plans.len())
        .filter(|&i| plans[i].kind == Kind::Current)
        .collect();
    let holder = match current
        .iter()
        .copied()
        .find(|&i| plans[i].excluded & PLANNER_EXPORT != 0)
    {
        Some(i) => i,
        None => {
            let first = *current.first()?;
            plans[first].excluded |= PLANNER_EXPORT;
            first
        }
    };
    let anchor = match current.iter().copied().find(|&i| plans[i].excluded == 0) {
        Some(i) => i,
        None => {
            let other = current.iter().rev().copied().find(|&i| i != holder)?;
            plans[other].excluded = 0;
            other
        }
    };
    // The guaranteed far-future absence needs employment beyond it.
    if plans[anchor].termination.is_some() {
        plans[anchor].termination = None;
        let employee = &mut employees[anchor];
        employee.termination_date = None;
        if employee.contract_type.as_deref() == Some("fixed-term") {
            employee.contract_type = Some(Contract::Permanent.text().to_string());
        }
    }
    Some(anchor)
}

/// The departments as filled so far, in generation order.
struct Org {
    /// Per department: earlier employees who can lead others, so a
    /// supervisor always precedes their reports.
    leaders: Vec<Vec<usize>>,
    sizes: Vec<usize>,
}

fn employee(
    rng: &mut ChaCha8Rng,
    index: usize,
    kind: Kind,
    today: Date,
    names: &mut UniqueNames,
    org: &mut Org,
) -> (Employee, Plan) {
    let locale = &LOCALES[weighted_index(rng, LOCALES.iter().map(|l| l.weight))];
    let first_name = pick(rng, locale.first_names);
    let last_name = if rng.random_bool(0.12) {
        let a = pick(rng, locale.last_names);
        let mut b = pick(rng, locale.last_names);
        while b == a {
            b = pick(rng, locale.last_names);
        }
        format!("{a}-{b}")
    } else {
        pick(rng, locale.last_names).to_string()
    };
    let preferred_name = rng
        .random_bool(0.08)
        .then(|| pick(rng, locale.nicknames).to_string());

    let department_index = weighted_index(rng, DEPARTMENTS.iter().map(|d| d.weight));
    let department = &DEPARTMENTS[department_index];
    let is_head = org.sizes[department_index] == 0;
    org.sizes[department_index] += 1;

    let contract = if is_head {
        Contract::Permanent
    } else {
        weighted(rng, CONTRACTS)
    };
    let weekly_hours = match contract {
        _ if is_head => 40.0,
        Contract::Permanent => weighted(
            rng,
            &[(40.0, 50), (38.5, 25), (32.0, 12), (24.0, 8), (20.0, 5)],
        ),
        Contract::FixedTerm => weighted(rng, &[(40.0, 55), (38.5, 30), (32.0, 15)]),
        Contract::WorkingStudent => weighted(rng, &[(20.0, 80), (24.0, 20)]),
        Contract::Freelance => weighted(rng, &[(40.0, 40), (32.0, 35), (24.0, 25)]),
    };

    let (position, low, high) = if is_head {
        (department.head, HEAD_SALARY.0, HEAD_SALARY.1)
    } else if contract == Contract::WorkingStudent {
        ("Working Student", 0, 0)
    } else {
        *pick(rng, department.positions)
    };

    let (mut salary_minor, mut hourly_wage_minor) = (None, None);
    match contract {
        Contract::WorkingStudent => hourly_wage_minor = Some(rng.random_range(1_400..=2_000)),
        Contract::Freelance => hourly_wage_minor = Some(rng.random_range(55..=120) * 100),
        Contract::Permanent | Contract::FixedTerm => {
            let yearly_euros = rng.random_range(low..=high) as f64;
            if weekly_hours <= 24.0 {
                // Short part-timers are paid by the hour: the full-time
                // yearly rate over 52 weeks of 40 hours.
                hourly_wage_minor = Some((yearly_euros * 100.0 / (52.0 * 40.0)).round() as i64);
            } else {
                let pro_rata_hundreds = (yearly_euros * weekly_hours / 40.0 / 100.0).round();
                salary_minor = Some(pro_rata_hundreds as i64 * 100 * 100);
            }
        }
    }

    let max_tenure = if contract == Contract::WorkingStudent {
        4 * DAYS_PER_YEAR
    } else {
        15 * DAYS_PER_YEAR
    };
    let (hire, termination) = match kind {
        Kind::Current | Kind::Inactive => {
            let hire = -rng.random_range(DAYS_PER_YEAR..=max_tenure);
            let termination = (contract == Contract::FixedTerm).then(|| rng.random_range(61..=720));
            (hire, termination)
        }
        Kind::LeavingSoon => (
            -rng.random_range(90..=max_tenure),
            Some(rng.random_range(1..=60)),
        ),
        Kind::Future => {
            let hire = rng.random_range(1..=90);
            let termination =
                (contract == Contract::FixedTerm).then(|| hire + rng.random_range(180..=730));
            (hire, termination)
        }
        Kind::Past => {
            let termination = -rng.random_range(1..=400);
            let tenure = rng.random_range(60..=max_tenure.min(10 * DAYS_PER_YEAR));
            (termination - tenure, Some(termination))
        }
    };

    // Old enough to have started work at 18, within the 20–64 band.
    let tenure_days = (-hire).max(0);
    let youngest = (20 * DAYS_PER_YEAR + 5).max(tenure_days + 18 * DAYS_PER_YEAR);
    let oldest = if contract == Contract::WorkingStudent {
        30 * DAYS_PER_YEAR
    } else {
        64 * DAYS_PER_YEAR
    }
    .max(youngest);
    let birth_date = rng
        .random_bool(0.97)
        .then(|| date_text(add_days(today, -rng.random_range(youngest..=oldest))));

    let folded_first = fold(first_name);
    let folded_last = fold(&last_name);
    let work_email = format!(
        "{}@lockgate.example",
        names.unique_email(format!("{folded_first}.{folded_last}"))
    );
    let login =
        (kind != Kind::Future).then(|| names.unique_login(login_base(first_name, &last_name)));
    let personal_email = rng.random_bool(0.85).then(|| {
        let domain = pick(rng, locale.personal_domains);
        let compact: String = folded_last
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        match rng.random_range(0..3) {
            0 => format!("{folded_first}.{compact}@{domain}"),
            1 => format!(
                "{folded_first}{compact}{:02}@{domain}",
                rng.random_range(0..100)
            ),
            _ => {
                let initial: String = folded_first.chars().take(1).collect();
                format!("{initial}.{compact}@{domain}")
            }
        }
    });
    let phone = rng.random_bool(0.9).then(|| phone(rng, locale.phone));

    let supervisor_id = {
        let pool = &org.leaders[department_index];
        // Reports go to the earliest part of the department, which keeps the
        // reporting lines shallow like a real org chart.
        let top = (1 + pool.len() / 6).min(pool.len());
        (top > 0 && rng.random_bool(0.93)).then(|| employee_id(pool[rng.random_range(0..top)]))
    };

    let mut excluded = 0u8;
    if kind.employed_today() && rng.random_bool(0.05) {
        excluded |= PLANNER_EXPORT;
    }
    if rng.random_bool(0.02) {
        excluded |= 1 << rng.random_range(1..KNOWN_CONNECTORS.len());
    }

    let max_days_back = if hire > 0 {
        30
    } else {
        (-hire).min(DAYS_PER_YEAR)
    };
    let updated_at = stamp(rng, today, max_days_back);

    let can_lead = matches!(kind, Kind::Current | Kind::LeavingSoon)
        && matches!(contract, Contract::Permanent | Contract::FixedTerm);
    if can_lead {
        org.leaders[department_index].push(index);
    }

    let employee = Employee {
        id: employee_id(index),
        first_name: first_name.to_string(),
        last_name,
        preferred_name,
        department: Some(department.name.to_string()),
        position: Some(position.to_string()),
        status: if kind == Kind::Inactive {
            "inactive"
        } else {
            "active"
        }
        .to_string(),
        work_email: Some(work_email),
        personal_email,
        phone,
        birth_date,
        hire_date: date_text(add_days(today, hire)),
        termination_date: termination.map(|t| date_text(add_days(today, t))),
        legal_entity: Some(locale.legal_entity.to_string()),
        contract_type: Some(contract.text().to_string()),
        weekly_hours: Some(weekly_hours),
        supervisor_id,
        cost_center: Some(format!(
            "CC-{}",
            department.cost_center + locale.cost_center_offset
        )),
        salary_minor,
        hourly_wage_minor,
        currency: Some("EUR".to_string()),
        login,
        updated_at,
    };
    let plan = Plan {
        kind,
        hire,
        termination,
        excluded,
    };
    (employee, plan)
}

fn absences(
    rng: &mut ChaCha8Rng,
    plans: &[Plan],
    employees: &[Employee],
    anchor: Option<usize>,
    today: Date,
) -> Vec<Absence> {
    let mut out = Vec::with_capacity(plans.len() * 3);
    let mut drafts: Vec<Draft> = Vec::with_capacity(8);
    for (index, (plan, employee)) in plans.iter().zip(employees).enumerate() {
        drafts.clear();
        let first = plan.hire.max(-ABSENCE_PAST_DAYS);
        let last = plan
            .termination
            .map_or(ABSENCE_FUTURE_DAYS, |t| t.min(ABSENCE_FUTURE_DAYS));

        // Fixed absences go in first so random ones never displace them.
        if plan.kind == Kind::Inactive {
            let start = -rng.random_range(10..=60);
            let end = plan
                .termination
                .map_or(start + rng.random_range(60..=120), |t| {
                    t.min(start + rng.random_range(60..=120))
                });
            drafts.push(fixed(PARENTAL_LEAVE, start, end));
        }
        if anchor == Some(index) {
            let start = rng.random_range(7..=40);
            drafts.push(fixed(VACATION, start, start + rng.random_range(2..=9)));
            let start = rng.random_range(225..=250);
            drafts.push(fixed(TRAINING, start, start + rng.random_range(0..=2)));
            let start = -rng.random_range(30..=90);
            drafts.push(fixed(SICK_LEAVE, start, start + rng.random_range(0..=4)));
        }

        if first <= last {
            for _ in 0..rng.random_range(1..=6) {
                let draft = random_draft(rng, first, last, plan.termination);
                let clashes = drafts
                    .iter()
                    .any(|d| draft.start <= d.end && d.start <= draft.end);
                if !clashes {
                    drafts.push(draft);
                }
            }
        }

        drafts.sort_by_key(|d| d.start);
        for draft in &drafts {
            out.push(Absence {
                id: format!("a-{:06}", out.len() + 1),
                employee_id: employee.id.clone(),
                type_name: ABSENCE_TYPES[draft.type_index].0.to_string(),
                start_date: date_text(add_days(today, draft.start)),
                end_date: date_text(add_days(today, draft.end)),
                half_day_start: draft.half_day_start,
                half_day_end: draft.half_day_end,
                status: draft.status.to_string(),
                updated_at: stamp(rng, today, 180),
            });
        }
    }
    out
}

fn fixed(type_index: usize, start: i64, end: i64) -> Draft {
    Draft {
        type_index,
        start,
        end,
        half_day_start: false,
        half_day_end: false,
        status: "approved",
    }
}

/// An absence starting within `first..=last` and ending no later than the
/// termination date.
fn random_draft(rng: &mut ChaCha8Rng, first: i64, last: i64, termination: Option<i64>) -> Draft {
    let mut type_index = weighted_index(rng, ABSENCE_TYPES.iter().map(|t| t.1));
    let mut latest_start = last;
    if type_index == SICK_LEAVE {
        // Nobody files sick leave in advance.
        if first <= 0 {
            latest_start = last.min(0);
        } else {
            type_index = VACATION;
        }
    }
    let (_, _, shortest, longest) = ABSENCE_TYPES[type_index];
    let start = rng.random_range(first..=latest_start);
    let mut end = start + rng.random_range(shortest..=longest) - 1;
    if let Some(termination) = termination {
        end = end.min(termination);
    }

    let (mut half_day_start, mut half_day_end) = (false, false);
    let may_be_half = matches!(type_index, VACATION | REMOTE_WORK | TRAINING);
    if start == end && may_be_half && rng.random_bool(0.25) {
        if rng.random_bool(0.5) {
            half_day_start = true;
        } else {
            half_day_end = true;
        }
    } else if start < end && type_index == VACATION && rng.random_bool(0.05) {
        half_day_end = true;
    }

    // Requests ahead of time are often still open; old ones rarely are.
    let roll = rng.random_range(0..100);
    let status = if start > 0 {
        match roll {
            0..70 => "approved",
            70..90 => "pending",
            _ => "cancelled",
        }
    } else {
        match roll {
            0..88 => "approved",
            88..93 => "pending",
            _ => "cancelled",
        }
    };

    Draft {
        type_index,
        start,
        end,
        half_day_start,
        half_day_end,
        status,
    }
}

fn employee_id(index: usize) -> String {
    format!("e-{:05}", index + 1)
}

/// A timestamp up to `max_days_back` days (plus part of a day) before today's
/// midnight, so it is always in the past relative to `today`.
fn stamp(rng: &mut ChaCha8Rng, today: Date, max_days_back: i64) -> String {
    let midnight = today.midnight().assume_utc();
    let back = Duration::days(rng.random_range(0..=max_days_back.max(0)))
        + Duration::seconds(rng.random_range(1..86_400))
        + Duration::microseconds(rng.random_range(0..1_000_000));
    // Only a `today` at the very edge of the calendar can underflow.
    instant(midnight.checked_sub(back).unwrap_or(midnight))
}

fn phone(rng: &mut ChaCha8Rng, style: PhoneStyle) -> String {
    let landline = rng.random_bool(0.2);
    match style {
        PhoneStyle::German if landline => format!(
            "+49 {} {}",
            pick(rng, &["30", "40", "89", "221", "69", "711"]),
            rng.random_range(1_000_000..10_000_000)
        ),
        PhoneStyle::German => format!(
            "+49 {} {}",
            pick(
                rng,
                &[
                    "151", "152", "157", "160", "162", "170", "171", "172", "176", "178"
                ]
            ),
            rng.random_range(10_000_000..100_000_000)
        ),
        PhoneStyle::French => format!(
            "+33 {} {:02} {:02} {:02} {:02}",
            if landline {
                rng.random_range(1..=5)
            } else {
                rng.random_range(6..=7)
            },
            rng.random_range(0..100),
            rng.random_range(0..100),
            rng.random_range(0..100),
            rng.random_range(0..100)
        ),
        PhoneStyle::Dutch if landline => format!(
            "+31 {} {}",
            pick(rng, &["20", "10", "70", "30", "40"]),
            rng.random_range(1_000_000..10_000_000)
        ),
        PhoneStyle::Dutch => format!("+31 6 {}", rng.random_range(10_000_000..100_000_000)),
    }
}

/// Hands out email local parts and logins, adding 2, 3, … to repeats. Base
/// forms never contain digits, so a numbered form can't collide with a base.
#[derive(Default)]
struct UniqueNames {
    emails: HashMap<String, u32>,
    logins: HashMap<String, u32>,
}

impl UniqueNames {
    fn unique_email(&mut self, base: String) -> String {
        Self::unique(&mut self.emails, base)
    }

    fn unique_login(&mut self, base: String) -> String {
        Self::unique(&mut self.logins, base)
    }

    fn unique(seen: &mut HashMap<String, u32>, base: String) -> String {
        if let Some(uses) = seen.get_mut(&base) {
            *uses += 1;
            return format!("{base}{uses}");
        }
        seen.insert(base.clone(), 1);
        base
    }
}

/// Lower-case ASCII for addresses: German umlauts become two letters, other
/// accents are dropped, spaces and apostrophes vanish, hyphens stay.
fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    items[weighted_index(rng, items.iter().map(|(_, w)| *w))].0
}

fn weighted_index(rng: &mut ChaCha8Rng, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u32 = weights.clone().sum();
    let mut roll = rng.random_range(0..total);
    let mut last = 0;
    for (index, weight) in weights.enumerate() {
        if roll < weight {
            return index;
        }
        roll -= weight;
        last = index;
    }
    last
}

/// Creates a sandbox tenant unless it exists; returns whether it did.
pub async fn ensure_tenant(
    store: &crate::Store,
    tenant: &str,
    employees: usize,
    seed: u64,
) -> Result<bool, crate::store::StoreError> {
    if store.tenant_exists(tenant).await? {
        return Ok(false);
    }
    let data = generate(&SandboxOptions {
        employees,
        seed,
        today: crate::time::today(),
    });
    store
        .create_tenant(tenant, &format!("Sandbox {seed}"))
        .await?;
    store.upsert_employees(tenant, &data.employees).await?;
    store.upsert_absences(tenant, &data.absences).await?;
    store.set_exclusions(tenant, &data.exclusions).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2026 - 03 - 15);

    fn tenant(employees: usize, seed: u64) -> SandboxTenant {
        generate(&SandboxOptions {
            employees,
            seed,
            today: TODAY,
        })
    }

    fn day(offset: i64) -> String {
        date_text(add_days(TODAY, offset))
    }

    fn employed_today(e: &Employee) -> bool {
        let today = day(0);
        e.hire_date <= today && e.termination_date.as_ref().is_none_or(|t| *t >= today)
    }

    /// Every promise made for tenants of at least `GUARANTEE_FROM` employees.
    fn assert_guarantees(t: &SandboxTenant) {
        let today = day(0);
        assert!(
            t.employees.iter().any(|e| e.hire_date > today),
            "future hire"
        );
        assert!(
            t.employees
                .iter()
                .any(|e| e.termination_date.as_ref().is_some_and(|d| *d < today)),
            "past leaver"
        );
        assert!(t.employees.iter().any(employed_today), "current employee");

        let by_id: HashMap<&str, &Employee> =
            t.employees.iter().map(|e| (e.id.as_str(), e)).collect();
        let excluded: HashSet<&str> = t.exclusions.iter().map(|(e, _)| e.as_str()).collect();
        assert!(
            t.exclusions
                .iter()
                .any(|(e, c)| c == "planner-export" && employed_today(by_id[e.as_str()])),
            "current employee excluded from planner-export"
        );

        let six_months = day(182);
        assert!(
            t.absences.iter().any(|a| {
                let e = by_id[a.employee_id.as_str()];
                a.status == "approved"
                    && a.start_date >= today
                    && a.start_date <= six_months
                    && employed_today(e)
                    && e.status == "active"
                    && !excluded.contains(e.id.as_str())
            }),
            "approved upcoming absence of a current, included employee"
        );
        assert!(
            t.absences.iter().any(|a| a.start_date > day(7 * 31)),
            "absence more than 7 months ahead"
        );
        assert!(
            t.absences.iter().any(|a| a.end_date < today),
            "past absence"
        );
    }

    #[test]
    fn same_seed_same_tenant_and_different_seed_different_tenant() {
        let a = tenant(300, 42);
        let b = tenant(300, 42);
        assert_eq!(a.employees, b.employees);
        assert_eq!(a.absences, b.absences);
        assert_eq!(a.exclusions, b.exclusions);

        let c = tenant(300, 43);
        assert_ne!(a.employees, c.employees);
        assert_ne!(a.absences, c.absences);
    }

    #[test]
    fn timestamps_follow_today_not_the_clock() {
        let a = tenant(50, 1);
        let later = generate(&SandboxOptions {
            employees: 50,
            seed: 1,
            today: add_days(TODAY, 10),
        });
        assert_ne!(a.employees[0].updated_at, later.employees[0].updated_at);
        let midnight = format!("{}T00:00:00.000000Z", day(0));
        for e in &a.employees {
            assert_eq!(e.updated_at.len(), 27, "{}", e.updated_at);
            assert!(e.updated_at < midnight);
        }
        for x in &a.absences {
            assert!(x.updated_at < midnight);
        }
    }

    #[test]
    fn guarantees_hold_for_200_employees() {
        assert_guarantees(&tenant(200, 7));
    }

    #[test]
    fn guarantees_hold_at_the_threshold_for_many_seeds() {
        for seed in 0..200 {
            assert_guarantees(&tenant(GUARANTEE_FROM, seed));
        }
    }

    #[test]
    fn small_and_empty_tenants_work() {
        for n in 0..GUARANTEE_FROM {
            let t = tenant(n, 3);
            assert_eq!(t.employees.len(), n);
        }
    }

    #[test]
    fn names_have_accents_and_double_barrels() {
        let t = tenant(1000, 11);
        let accented = t
            .employees
            .iter()
            .filter(|e| !e.first_name.is_ascii() || !e.last_name.is_ascii())
            .count();
        assert!(accented > 100, "{accented}");
        let double = t
            .employees
            .iter()
            .filter(|e| e.last_name.contains('-'))
            .count();
        assert!(double * 10 >= t.employees.len(), "{double}");
        assert!(t.employees.iter().any(|e| e.last_name.contains(' ')));
    }

    #[test]
    fn name_lists_are_large_enough() {
        for locale in LOCALES {
            assert!(locale.first_names.len() >= 25);
            assert!(locale.last_names.len() >= 25);
        }
    }

    #[test]
    fn folding_gives_plain_ascii() {
        assert_eq!(fold("Müller-Lüdenscheidt"), "mueller-luedenscheidt");
        assert_eq!(fold("van der Berg"), "vanderberg");
        assert_eq!(fold("'t Hart"), "thart");
        assert_eq!(fold("Geneviève"), "genevieve");
        assert_eq!(fold("Özdemir"), "oezdemir");
        assert_eq!(fold("N'Diaye"), "ndiaye");
        assert_eq!(fold("Søren"), "soren");
        assert_eq!(fold("Élodie"), "elodie");
    }

    #[test]
    fn work_emails_and_logins_are_unique_ascii() {
        let t = tenant(5000, 5);
        let mut emails = HashSet::new();
        let mut logins = HashSet::new();
        for e in &t.employees {
            let email = e
                .work_email
                .as_deref()
                .expect("every employee has a work email");
            assert!(email.ends_with("@lockgate.example"), "{email}");
            assert!(
                email
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"@.-".contains(&b)),
                "{email}"
            );
            assert!(emails.insert(email.to_string()), "duplicate {email}");
            if let Some(login) = &e.login {
                assert!(logins.insert(login.clone()), "duplicate {login}");
            }
        }
    }

    #[test]
    fn absences_lie_within_employment_and_do_not_overlap() {
        let t = tenant(2000, 9);
        let by_id: HashMap<&str, &Employee> =
            t.employees.iter().map(|e| (e.id.as_str(), e)).collect();
        let mut last_end: HashMap<&str, &str> = HashMap::new();
        for a in &t.absences {
            let e = by_id[a.employee_id.as_str()];
            assert!(a.start_date <= a.end_date, "{a:?}");
            assert!(a.start_date >= e.hire_date, "{a:?} {e:?}");
            if let Some(t) = &e.termination_date {
                assert!(a.end_date <= *t, "{a:?} {e:?}");
            }
            assert!(a.start_date >= day(-ABSENCE_PAST_DAYS - 1));
            assert!(a.start_date <= day(ABSENCE_FUTURE_DAYS));
            if let Some(previous) = last_end.insert(&a.employee_id, &a.end_date) {
                assert!(previous < a.start_date.as_str(), "overlap at {a:?}");
            }
            if a.half_day_start || a.half_day_end {
                assert!(a.type_name != "Parental leave");
            }
        }
    }

    #[test]
    fn ids_are_sequential_and_supervisors_precede_reports() {
        let t = tenant(500, 2);
        for (i, e) in t.employees.iter().enumerate() {
            assert_eq!(e.id, format!("e-{:05}", i + 1));
        }
        for (i, a) in t.absences.iter().enumerate() {
            assert_eq!(a.id, format!("a-{:06}", i + 1));
        }
        let by_id: HashMap<&str, &Employee> =
            t.employees.iter().map(|e| (e.id.as_str(), e)).collect();
        let mut with_supervisor = 0;
        for e in &t.employees {
            if let Some(s) = &e.supervisor_id {
                with_supervisor += 1;
                assert!(*s < e.id);
                assert_eq!(by_id[s.as_str()].department, e.department);
            }
        }
        assert!(
            with_supervisor * 10 > t.employees.len() * 7,
            "{with_supervisor}"
        );
    }

    #[test]
    fn proportions_are_realistic() {
        let n = 10_000;
        let t = tenant(n, 123);
        let today = day(0);
        let share = |count: usize| count as f64 / n as f64;

        let future = t.employees.iter().filter(|e| e.hire_date > today).count();
        let past = t
            .employees
            .iter()
            .filter(|e| e.termination_date.as_ref().is_some_and(|d| *d < today))
            .count();
        let leaving = t
            .employees
            .iter()
            .filter(|e| {
                e.termination_date
                    .as_ref()
                    .is_some_and(|d| *d >= today && *d <= day(60))
            })
            .count();
        let inactive = t
            .employees
            .iter()
            .filter(|e| e.status == "inactive")
            .count();
        assert!((0.06..0.10).contains(&share(future)), "future {future}");
        assert!((0.08..0.12).contains(&share(past)), "past {past}");
        assert!((0.02..0.045).contains(&share(leaving)), "leaving {leaving}");
        assert!(
            (0.03..0.06).contains(&share(inactive)),
            "inactive {inactive}"
        );

        let double = t
            .employees
            .iter()
            .filter(|e| e.last_name.contains('-'))
            .count();
        assert!(share(double) >= 0.10, "double-barrelled {double}");

        let salaried = t
            .employees
            .iter()
            .filter(|e| e.salary_minor.is_some())
            .count();
        assert!(share(salaried) > 0.6, "salaried {salaried}");
        for e in &t.employees {
            assert!(e.salary_minor.is_some() != e.hourly_wage_minor.is_some());
            if e.contract_type.as_deref() == Some("working-student") {
                assert!(e.hourly_wage_minor.is_some());
            }
            if let Some(birth) = &e.birth_date {
                assert!(
                    *birth <= day(-20 * 365) && *birth >= day(-65 * 365),
                    "{birth}"
                );
            }
        }

        let per_employee = t.absences.len() as f64 / n as f64;
        assert!((2.5..3.5).contains(&per_employee), "{per_employee}");
        let status_share = |s: &str| {
            t.absences.iter().filter(|a| a.status == s).count() as f64 / t.absences.len() as f64
        };
        assert!((0.11..0.19).contains(&status_share("pending")));
        assert!((0.05..0.11).contains(&status_share("cancelled")));
        assert!(t.absences.iter().any(|a| a.half_day_start));
        assert!(t.absences.iter().any(|a| a.half_day_end));

        let planner = t
            .exclusions
            .iter()
            .filter(|(_, c)| c == "planner-export")
            .count();
        assert!((0.03..0.07).contains(&share(planner)), "planner {planner}");
        for connector in &KNOWN_CONNECTORS[1..] {
            assert!(
                t.exclusions.iter().any(|(_, c)| c == connector),
                "{connector}"
            );
        }
    }

    #[test]
    fn extreme_today_does_not_panic() {
        for today in [Date::MIN, Date::MAX] {
            let t = generate(&SandboxOptions {
                employees: 30,
                seed: 1,
                today,
            });
            assert_eq!(t.employees.len(), 30);
        }
    }
}
