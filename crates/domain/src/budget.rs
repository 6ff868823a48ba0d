//! Budgets (seed 003): each team's sales and expense budget for a month, against what the team
//! sold and spent (daily-report expenses and settled advances).

use rust_decimal::Decimal;
use serde::Serialize;

/// One team's month: budgets (none when not set) and actuals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BudgetFacts {
    pub sales_budget: Option<Decimal>,
    pub expense_budget: Option<Decimal>,
    pub sales: Decimal,
    pub expenses: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BudgetFigures {
    /// Sales as a percentage of the sales budget.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub sales_percent: Option<Decimal>,
    /// Expenses as a percentage of the expense budget: over 100 is over budget.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub expense_percent: Option<Decimal>,
    /// Sales per yuan of expense (two decimals); none without expenses.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub sales_per_expense: Option<Decimal>,
    pub over_budget: bool,
}

pub fn figures(f: &BudgetFacts) -> BudgetFigures {
    let pct =
        |part: Decimal, whole: Option<Decimal>| whole.and_then(|w| crate::money::percent(part, w));
    BudgetFigures {
        sales_percent: pct(f.sales, f.sales_budget),
        expense_percent: pct(f.expenses, f.expense_budget),
        sales_per_expense: (!f.expenses.is_zero()).then(|| (f.sales / f.expenses).round_dp(2)),
        over_budget: f.expense_budget.is_some_and(|b| f.expenses > b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_team_month() {
        let f = figures(&BudgetFacts {
            sales_budget: Some(d("200000")),
            expense_budget: Some(d("10000")),
            sales: d("150000"),
            expenses: d("12000"),
        });
        assert_eq!(f.sales_percent, Some(d("75")));
        assert_eq!(f.expense_percent, Some(d("120")));
        assert_eq!(f.sales_per_expense, Some(d("12.50")));
        assert!(f.over_budget);
        let none = figures(&BudgetFacts::default());
        assert_eq!(
            (none.sales_percent, none.sales_per_expense, none.over_budget),
            (None, None, false)
        );
    }
}
