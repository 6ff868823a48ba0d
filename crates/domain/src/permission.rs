//! Who may do what: the one place a role is named for a permission.
//!
//! Two questions decide every request. *Which records* a person reaches is their scope (own /
//! subtree / all, [`crate::person::scope_for`]), applied inside each store query, so a record
//! outside it answers 404. *Which actions* their role may take within that scope is
//! [`allows`], answered 403 when refused. `docs/permissions.md` carries [`matrix_markdown`]
//! (a test keeps the two equal) and the web tests probe every row of [`Action::ALL`] for every
//! role over HTTP.

use crate::person::Role;

/// An action that not every role may take. Everything else (reading and working one's own
/// customers, filing one's own plans and reports, escalations) is open to every role within
/// scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// People, company settings, custom-field definitions, pool definitions, login unlock.
    ManageOrganization,
    /// The audit trail.
    ReadAuditTrail,
    /// The people directory (page and API; one's own record is always readable).
    ReadDirectory,
    /// Soft-delete a customer.
    DeleteCustomer,
    /// Hand customers to another person, or put someone else's customer into the pool.
    TransferCustomers,
    /// The recycle bin: list deleted customers and restore them.
    RestoreCustomer,
    /// Suspected duplicates, merge and undo.
    MergeCustomers,
    /// Export customers as CSV or Excel (each export is recorded).
    ExportCustomers,
    /// Import customers from CSV or Excel.
    ImportCustomers,
    /// Keep the price list.
    KeepPriceList,
    /// Expense advances and their settlements.
    RecordAdvances,
    /// The monthly summary of the company and each team.
    ReadMonthlySummary,
    /// Set targets in the draft plan: a director for anyone and the company, a supervisor for
    /// the people below them (`target::check_setter`).
    SetTargets,
    /// Publish the plan as the targets attainment is measured against.
    PublishTargets,
    /// Pay plans: base salaries, the process part, commission rates.
    ManagePayPlans,
    /// Review the pay sheets of one's team and enter rewards and penalties on them.
    ReviewPay,
    /// Approve pay sheets and close a month's pay.
    ApprovePay,
    /// Set each team's monthly sales and expense budget.
    SetBudgets,
    /// Write and retire satisfaction survey questionnaires.
    ManageSurveys,
    /// Keep the objection library (拒绝准备): objections, and retire answers.
    ManageObjections,
    /// Webhooks and group robots: endpoints, their events, the delivery log.
    ManageWebhooks,
    /// The group robots of one's own team (a manager's 企业微信/钉钉/飞书 group).
    ManageTeamRobots,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::ManageOrganization,
        Action::ReadAuditTrail,
        Action::ReadDirectory,
        Action::DeleteCustomer,
        Action::TransferCustomers,
        Action::RestoreCustomer,
        Action::MergeCustomers,
        Action::ExportCustomers,
        Action::ImportCustomers,
        Action::KeepPriceList,
        Action::RecordAdvances,
        Action::ReadMonthlySummary,
        Action::SetTargets,
        Action::PublishTargets,
        Action::ManagePayPlans,
        Action::ReviewPay,
        Action::ApprovePay,
        Action::SetBudgets,
        Action::ManageSurveys,
        Action::ManageObjections,
        Action::ManageWebhooks,
        Action::ManageTeamRobots,
    ];

    /// How the action reads in the permissions document.
    pub fn description(self) -> &'static str {
        match self {
            Action::ManageOrganization => {
                "people, company settings, custom fields, pools, login unlock"
            }
            Action::ReadAuditTrail => "audit trail",
            Action::ReadDirectory => "people directory (own record: everyone)",
            Action::DeleteCustomer => "soft-delete a customer",
            Action::TransferCustomers => "transfer customers; release someone else's to the pool",
            Action::RestoreCustomer => "recycle bin, restore",
            Action::MergeCustomers => "suspected duplicates, merge, undo",
            Action::ExportCustomers => "export customers (recorded on the audit trail)",
            Action::ImportCustomers => "import customers",
            Action::KeepPriceList => "keep the price list",
            Action::RecordAdvances => "expense advances and settlements",
            Action::ReadMonthlySummary => "monthly summary",
            Action::SetTargets => "set targets (a supervisor: for the people below)",
            Action::PublishTargets => "publish the target plan",
            Action::ManagePayPlans => "pay plans (base, process part, commission rates)",
            Action::ReviewPay => "review the team's pay sheets; rewards and penalties",
            Action::ApprovePay => "approve pay sheets; close a month's pay",
            Action::SetBudgets => "set teams' sales and expense budgets",
            Action::ManageSurveys => "satisfaction survey questionnaires",
            Action::ManageObjections => "objection library: objections, retiring answers",
            Action::ManageWebhooks => "webhooks and group robots, their delivery log",
            Action::ManageTeamRobots => "the group robots of one's own team",
        }
    }
}

/// The company settings that widen a role's actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Salespeople may import customers.
    pub sales_may_import: bool,
}

/// Whether `role` may take `action` (within its scope) under the company's `policy`.
pub fn allows(role: Role, action: Action, policy: &Policy) -> bool {
    use Role::*;
    match action {
        Action::ManageOrganization | Action::ManageWebhooks => role == Admin,
        Action::ReadAuditTrail
        | Action::RestoreCustomer
        | Action::ReadMonthlySummary
        | Action::PublishTargets
        | Action::ManagePayPlans
        | Action::ApprovePay
        | Action::SetBudgets
        | Action::ManageSurveys => matches!(role, Admin | Director),
        Action::ReadDirectory | Action::ExportCustomers => role != Sales,
        Action::DeleteCustomer
        | Action::TransferCustomers
        | Action::MergeCustomers
        | Action::SetTargets
        | Action::ReviewPay
        | Action::ManageObjections
        | Action::ManageTeamRobots => matches!(role, Admin | Director | Supervisor),
        Action::ImportCustomers => role != Sales || policy.sales_may_import,
        Action::KeepPriceList | Action::RecordAdvances => matches!(role, Admin | Director | Clerk),
    }
}

/// The kinds of daily work a menu offers. What a person may do on a page is still decided by
/// [`allows`] and the scope; this only keeps out of a role's menu the pages it has no use for
/// (a clerk has no visit plans, an admin no due contacts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Due contacts, the pipeline, referrals: working one's own customers.
    Selling,
    /// Visit plans and daily reports.
    DailyProcess,
    /// Targets, statistics, the funnel, customer economics.
    Results,
    /// Pay sheets.
    Pay,
    /// The price list, ledgers, signing for an absent owner: the office's work.
    Office,
}

/// Whether people of `role` are expected to file a visit plan each working day and a daily
/// report after it (their superiors' workbench lists who has not).
pub fn files_daily_process(role: Role) -> bool {
    role == Role::Sales
}

/// Whether `role` has a use for `work` in its menu.
pub fn works_in(role: Role, work: Work) -> bool {
    use Role::*;
    match work {
        Work::Selling | Work::DailyProcess => matches!(role, Sales | Supervisor | Director),
        Work::Results => role != Clerk,
        Work::Pay => matches!(role, Sales | Supervisor | Director | Admin),
        Work::Office => true,
    }
}

/// Whether every public pool is open to the role (listing and claiming), members-only ones
/// included: those who run the whole company. Everyone else — a clerk who reads every customer
/// too — sees the company pool, open pools and the pools they belong to.
pub fn opens_every_pool(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Director)
}

/// Whether the role sets targets for anyone and for the company (those who run the whole
/// company); others who may set targets set them for the people below them only
/// (`target::check_setter`).
pub fn sets_every_target(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Director)
}

/// Whether the role may cover for any absent owner in the company — sign the order and take
/// the payment for them (rule 4): the clerk and those who run the company. Others cover only
/// within their team (`attribution::check_act_for`).
pub fn covers_for_anyone(role: Role) -> bool {
    matches!(role, Role::Clerk | Role::Admin | Role::Director)
}

/// The permission matrix as the Markdown table in `docs/permissions.md` (default policy; the
/// settings that change a cell are named in it).
pub fn matrix_markdown() -> String {
    let policy = Policy::default();
    let mut out = String::from("| action |");
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.as_str()));
    }
    out.push_str("\n| --- |");
    for _ in Role::ALL {
        out.push_str(" --- |");
    }
    out.push('\n');
    for a in Action::ALL {
        out.push_str(&format!("| {} |", a.description()));
        for r in Role::ALL {
            let cell = match (allows(r, a, &policy), a, r) {
                (false, Action::ImportCustomers, Role::Sales) => "if the company allows",
                (true, _, _) => "yes",
                (false, _, _) => "—",
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_as_documented() {
        let p = Policy::default();
        let who = |a: Action| -> Vec<&str> {
            Role::ALL
                .iter()
                .filter(|r| allows(**r, a, &p))
                .map(|r| r.as_str())
                .collect()
        };
        assert_eq!(who(Action::ManageOrganization), ["admin"]);
        assert_eq!(who(Action::ReadAuditTrail), ["admin", "director"]);
        assert_eq!(
            who(Action::DeleteCustomer),
            ["admin", "director", "supervisor"]
        );
        assert_eq!(who(Action::KeepPriceList), ["admin", "director", "clerk"]);
        assert!(!who(Action::ExportCustomers).contains(&"sales"));
        assert!(!who(Action::ImportCustomers).contains(&"sales"));
        let open = Policy {
            sales_may_import: true,
        };
        assert!(allows(Role::Sales, Action::ImportCustomers, &open));
        assert!(!allows(Role::Sales, Action::ExportCustomers, &open));
    }

    #[test]
    fn every_pool_is_open_to_those_who_run_the_company_only() {
        let open: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| opens_every_pool(*r))
            .collect();
        assert_eq!(open, [Role::Admin, Role::Director]);
        let every: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| sets_every_target(*r))
            .collect();
        assert_eq!(every, [Role::Admin, Role::Director]);
        let cover: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| covers_for_anyone(*r))
            .collect();
        assert_eq!(cover, [Role::Admin, Role::Director, Role::Clerk]);
        // Whoever sets every target may set targets at all.
        assert!(every
            .iter()
            .all(|r| allows(*r, Action::SetTargets, &Policy::default())));
    }

    #[test]
    fn the_document_is_the_module() {
        let doc = include_str!("../../../docs/permissions.md");
        let table = matrix_markdown();
        assert_eq!(table.lines().count(), 2 + Action::ALL.len());
        assert!(
            table.contains("| import customers | yes | yes | yes | if the company allows | yes |")
        );
        assert!(
            doc.contains(&matrix_markdown()),
            "docs/permissions.md is out of date; paste this table into it:\n{}",
            matrix_markdown()
        );
    }

    #[test]
    fn menus_follow_the_work_of_each_role() {
        use Role::*;
        let works = |role| {
            [
                Work::Selling,
                Work::DailyProcess,
                Work::Results,
                Work::Pay,
                Work::Office,
            ]
            .map(|w| works_in(role, w))
        };
        assert_eq!(works(Sales), [true, true, true, true, true]);
        assert_eq!(works(Supervisor), [true, true, true, true, true]);
        assert_eq!(works(Clerk), [false, false, false, false, true]);
        assert_eq!(works(Admin), [false, false, true, true, true]);
    }
}
