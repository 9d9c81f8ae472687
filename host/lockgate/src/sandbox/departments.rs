//! The organisation generated people are placed in: departments with their
//! heads, cost centres and positions (with salary ranges), and the contract
//! types with their shares.

/// A job title with its yearly full-time salary range in whole euros.
pub(super) type Position = (&'static str, i64, i64);

pub(super) struct Department {
    pub(super) name: &'static str,
    pub(super) head: &'static str,
    pub(super) cost_center: u32,
    pub(super) weight: u32,
    pub(super) positions: &'static [Position],
}

pub(super) const HEAD_SALARY: (i64, i64) = (88_000, 145_000);

pub(super) const DEPARTMENTS: &[Department] = &[
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
pub(super) enum Contract {
    Permanent,
    FixedTerm,
    WorkingStudent,
    Freelance,
}

impl Contract {
    pub(super) fn text(self) -> &'static str {
        match self {
            Contract::Permanent => "permanent",
            Contract::FixedTerm => "fixed-term",
            Contract::WorkingStudent => "working-student",
            Contract::Freelance => "freelance",
        }
    }
}

pub(super) const CONTRACTS: &[(Contract, u32)] = &[
    (Contract::Permanent, 72),
    (Contract::FixedTerm, 14),
    (Contract::WorkingStudent, 9),
    (Contract::Freelance, 5),
];
