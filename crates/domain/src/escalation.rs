//! Market situation reports (市场状况反映表) and complaint reports (客户投诉处理报告表): serious
//! information that reaches every superior up the line at once.

use crate::error::ValidationError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationKind {
    /// Competitor promotions or launches, dealer complaints, personnel changes at a customer…
    MarketSituation,
    /// A customer's complaint and how it is being handled.
    Complaint,
}

impl EscalationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MarketSituation => "market_situation",
            Self::Complaint => "complaint",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "market_situation" => Ok(Self::MarketSituation),
            "complaint" => Ok(Self::Complaint),
            _ => Err(ValidationError::new(
                "kind",
                "invalid_choice",
                "must be market_situation or complaint",
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationFields {
    pub kind: EscalationKind,
    pub subject: String,
    pub body: String,
    pub customer_id: Option<i64>,
}

/// The e-mail a superior receives for a report, in the superior's language. The link is the
/// report's path; the mailer prefixes the server's public address when it knows it.
pub fn notification_email(
    locale: crate::person::Locale,
    kind: EscalationKind,
    author: &str,
    customer: Option<&str>,
    f: &EscalationFields,
    path: &str,
) -> (String, String) {
    use crate::person::Locale;
    let (label, customer_label, from_label, open) = match (locale, kind) {
        (Locale::ZhCn, EscalationKind::MarketSituation) => {
            ("市场状况反映", "客户", "报告人", "查看")
        }
        (Locale::ZhCn, EscalationKind::Complaint) => ("客户投诉处理报告", "客户", "报告人", "查看"),
        (Locale::En, EscalationKind::MarketSituation) => {
            ("Market situation report", "Customer", "From", "Open")
        }
        (Locale::En, EscalationKind::Complaint) => ("Complaint report", "Customer", "From", "Open"),
    };
    let subject = format!("[营盘] {label}: {}", f.subject);
    let mut body = format!("{from_label}: {author}\n");
    if let Some(c) = customer {
        body.push_str(&format!("{customer_label}: {c}\n"));
    }
    body.push_str(&format!(
        "\n{}\n\n{}\n\n{open}: {path}\n",
        f.subject, f.body
    ));
    (subject, body)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct EscalationInput {
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub customer_id: Option<i64>,
}

impl EscalationInput {
    pub fn parse(&self) -> Result<EscalationFields, ValidationError> {
        let subject = self.subject.as_deref().map(str::trim).unwrap_or("");
        if subject.is_empty() {
            return Err(ValidationError::new(
                "subject",
                "required",
                "must not be empty",
            ));
        }
        if subject.chars().count() > 200 {
            return Err(ValidationError::new(
                "subject",
                "too_long",
                "must be at most 200 characters",
            ));
        }
        let body = self.body.as_deref().map(str::trim).unwrap_or("");
        if body.is_empty() {
            return Err(ValidationError::new(
                "body",
                "required",
                "must not be empty",
            ));
        }
        if body.chars().count() > 10_000 {
            return Err(ValidationError::new(
                "body",
                "too_long",
                "must be at most 10000 characters",
            ));
        }
        Ok(EscalationFields {
            kind: EscalationKind::parse(self.kind.as_deref().unwrap_or(""))?,
            subject: subject.to_string(),
            body: body.to_string(),
            customer_id: self.customer_id,
        })
    }
}

/// Everyone above `person` in the reporting line, nearest first.
pub fn superiors_up_the_line(line: &crate::hierarchy::ReportingLine, person: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut cur = line.superior_of(person);
    while let Some(s) = cur {
        if s == person || out.contains(&s) {
            break;
        }
        out.push(s);
        cur = line.superior_of(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_within_their_bounds_and_the_mail_a_superior_gets() {
        let input = |kind: &str, subject: usize, body: usize| EscalationInput {
            kind: Some(kind.into()),
            subject: Some("题".repeat(subject)),
            body: Some("文".repeat(body)),
            customer_id: None,
        };
        let f = input("market_situation", 200, 10_000).parse().unwrap();
        assert_eq!(f.kind, EscalationKind::MarketSituation);
        assert_eq!(
            input("complaint", 1, 1).parse().unwrap().kind,
            EscalationKind::Complaint
        );
        assert_eq!(
            input("complaint", 201, 1).parse().unwrap_err().field,
            "subject"
        );
        assert_eq!(
            input("complaint", 1, 10_001).parse().unwrap_err().field,
            "body"
        );
        assert_eq!(input("rumour", 1, 1).parse().unwrap_err().field, "kind");
        for k in [EscalationKind::MarketSituation, EscalationKind::Complaint] {
            assert_eq!(EscalationKind::parse(k.as_str()), Ok(k));
        }
        let f = EscalationFields {
            kind: EscalationKind::Complaint,
            subject: "交货延误".into(),
            body: "客户要求本周内补发".into(),
            customer_id: Some(3),
        };
        let (subject, body) = notification_email(
            crate::person::Locale::ZhCn,
            EscalationKind::Complaint,
            "周军",
            Some("杭州嘉禾"),
            &f,
            "/escalations/9",
        );
        assert_eq!(subject, "[营盘] 客户投诉处理报告: 交货延误");
        assert!(body.starts_with("报告人: 周军\n客户: 杭州嘉禾\n"), "{body}");
        assert!(body.contains("客户要求本周内补发") && body.ends_with("查看: /escalations/9\n"));
        let (subject, _) = notification_email(
            crate::person::Locale::En,
            EscalationKind::MarketSituation,
            "Zhou",
            None,
            &f,
            "/x",
        );
        assert_eq!(subject, "[营盘] Market situation report: 交货延误");
    }

    #[test]
    fn superiors_stop_at_a_stored_loop() {
        let looped =
            crate::hierarchy::ReportingLine::new([(1, Some(2)), (2, Some(3)), (3, Some(2))]);
        assert_eq!(superiors_up_the_line(&looped, 1), vec![2, 3]);
        let to_self = crate::hierarchy::ReportingLine::new([(1, Some(2)), (2, Some(1))]);
        assert_eq!(superiors_up_the_line(&to_self, 1), vec![2]);
    }
    use crate::hierarchy::ReportingLine;

    #[test]
    fn reaches_every_superior() {
        let line = ReportingLine::new([(1, None), (2, Some(1)), (3, Some(2)), (4, Some(3))]);
        assert_eq!(superiors_up_the_line(&line, 4), vec![3, 2, 1]);
        assert!(superiors_up_the_line(&line, 1).is_empty());
    }

    #[test]
    fn input_is_checked() {
        let ok = EscalationInput {
            kind: Some("complaint".into()),
            subject: Some("漏水".into()),
            body: Some("客户投诉".into()),
            customer_id: None,
        };
        assert!(ok.parse().is_ok());
        assert_eq!(
            EscalationInput {
                subject: None,
                ..ok.clone()
            }
            .parse()
            .unwrap_err()
            .field,
            "subject"
        );
        assert_eq!(
            EscalationInput {
                kind: Some("gossip".into()),
                ..ok
            }
            .parse()
            .unwrap_err()
            .field,
            "kind"
        );
    }
}
