//! Charts drawn on the server as SVG with `charts-rs` (no JavaScript), sized to shrink on a
//! phone (the page's CSS lets an SVG scale to its container). Pages always show the figures as
//! a table beside a chart; a chart is for looking, the table for reading exact amounts.

use charts_rs::{BarChart, HorizontalBarChart, LineChart, PieChart, Series};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Charts plot approximate values; the exact figures are in the table beside them.
fn plot(d: Decimal) -> f32 {
    d.to_f32().unwrap_or(0.0)
}

/// One series: its name and a value per category.
pub struct Line {
    pub name: String,
    pub values: Vec<Decimal>,
}

fn series(lines: Vec<Line>) -> Vec<Series> {
    lines
        .into_iter()
        .map(|l| Series::new(l.name, l.values.into_iter().map(plot).collect()))
        .collect()
}

/// Vertical bars, one group per category.
pub fn bars(categories: Vec<String>, lines: Vec<Line>) -> String {
    let mut c = BarChart::new(series(lines), categories);
    c.width = 640.0;
    c.height = 320.0;
    c.svg().unwrap_or_default()
}

/// Horizontal bars: long names (people, teams) read better down the side.
pub fn horizontal_bars(categories: Vec<String>, lines: Vec<Line>) -> String {
    let height = (90.0 + 34.0 * categories.len() as f32).clamp(160.0, 900.0);
    let mut c = HorizontalBarChart::new(series(lines), categories);
    c.width = 640.0;
    c.height = height;
    c.svg().unwrap_or_default()
}

/// A trend over periods.
pub fn trend(categories: Vec<String>, lines: Vec<Line>) -> String {
    let mut c = LineChart::new(series(lines), categories);
    c.width = 640.0;
    c.height = 300.0;
    c.svg().unwrap_or_default()
}

/// Steps of a funnel (or stages of a pipeline) in their own order, the first on top. Drawn as
/// horizontal bars: a funnel chart sorts its steps by size, which would put a later step above
/// an earlier one whenever it is larger.
pub fn funnel(steps: Vec<(String, Decimal)>) -> String {
    let (names, values): (Vec<String>, Vec<Decimal>) = steps.into_iter().rev().unzip();
    horizontal_bars(
        names,
        vec![Line {
            name: String::new(),
            values,
        }],
    )
}

/// Shares of a whole.
pub fn pie(parts: Vec<(String, Decimal)>) -> String {
    let list = parts
        .into_iter()
        .map(|(name, v)| Series::new(name, vec![plot(v)]))
        .collect();
    let mut c = PieChart::new(list);
    c.width = 640.0;
    c.height = 320.0;
    c.svg().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_values_drawn() {
        let svg = bars(
            vec!["<script>alert(1)</script>".into(), "李四".into()],
            vec![
                Line {
                    name: "目标\"><img".into(),
                    values: vec![Decimal::new(100, 0), Decimal::new(200, 0)],
                },
                Line {
                    name: "实际".into(),
                    values: vec![Decimal::new(80, 0), Decimal::new(250, 0)],
                },
            ],
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(
            !svg.contains("<script>") && !svg.contains("\"><img"),
            "{svg}"
        );
        assert!(svg.contains("李四"));
        // One rectangle per value besides the background.
        assert!(svg.matches("<rect").count() >= 5, "{svg}");
        for chart in [
            horizontal_bars(
                vec!["甲".into()],
                vec![Line {
                    name: "x".into(),
                    values: vec![Decimal::ONE],
                }],
            ),
            trend(
                vec!["2026-01".into(), "2026-02".into()],
                vec![Line {
                    name: "x".into(),
                    values: vec![Decimal::ONE, Decimal::TWO],
                }],
            ),
            funnel(vec![
                ("电话".into(), Decimal::new(100, 0)),
                ("接通".into(), Decimal::new(50, 0)),
            ]),
            pie(vec![
                ("<b>".into(), Decimal::ONE),
                ("b".into(), Decimal::TWO),
            ]),
        ] {
            assert!(chart.starts_with("<svg"), "{chart}");
            assert!(!chart.contains("<b>"), "{chart}");
        }
    }
}
