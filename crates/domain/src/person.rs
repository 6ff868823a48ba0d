//! People of the sales organization: roles, usernames, passwords.

use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Director,
    Supervisor,
    Sales,
    Clerk,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Director,
        Role::Supervisor,
        Role::Sales,
        Role::Clerk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Director => "director",
            Role::Supervisor => "supervisor",
            Role::Sales => "sales",
            Role::Clerk => "clerk",
        }
    }

    /// The top of the command line (admin, director) may stand without a superior;
    /// everyone else has exactly one (一个上级原则).
    pub fn requires_superior(self) -> bool {
        !matches!(self, Role::Admin | Role::Director)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "role",
                    "unknown_role",
                    format!("unknown role {s:?}; expected one of admin, director, supervisor, sales, clerk"),
                )
            })
    }
}

/// What part of the customer base a person may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only customers the person owns.
    Own,
    /// Customers owned by the person or anyone below them in the reporting line.
    Subtree,
    /// The whole organization.
    All,
}

/// The company policy for the inside-sales clerk (内勤), who keeps ledgers for everyone in some
/// companies and only for their own team in others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClerkVisibility {
    All,
    Subtree,
    Own,
}

impl FromStr for ClerkVisibility {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Self::All),
            "subtree" => Ok(Self::Subtree),
            "own" => Ok(Self::Own),
            _ => Err(ValidationError::new(
                "clerk_visibility",
                "invalid_choice",
                "must be one of all, subtree, own",
            )),
        }
    }
}

impl ClerkVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Subtree => "subtree",
            Self::Own => "own",
        }
    }
}

pub fn scope_for(role: Role, clerk: ClerkVisibility) -> Scope {
    match role {
        Role::Admin | Role::Director => Scope::All,
        Role::Supervisor => Scope::Subtree,
        Role::Sales => Scope::Own,
        Role::Clerk => match clerk {
            ClerkVisibility::All => Scope::All,
            ClerkVisibility::Subtree => Scope::Subtree,
            ClerkVisibility::Own => Scope::Own,
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ValidationError::new(
                "username",
                "required",
                "must not be empty",
            ));
        }
        if s.chars().count() > 64 {
            return Err(ValidationError::new(
                "username",
                "too_long",
                "must be at most 64 characters",
            ));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(ValidationError::new(
                "username",
                "invalid_format",
                "may contain only letters, digits and . _ - @",
            ));
        }
        Ok(Self(s.to_ascii_lowercase()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ValidationError::new(
                "display_name",
                "required",
                "must not be empty",
            ));
        }
        if s.chars().count() > 100 {
            return Err(ValidationError::new(
                "display_name",
                "too_long",
                "must be at most 100 characters",
            ));
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password as typed by a person; never stored, only hashed.
pub struct NewPassword(String);

/// The least strength a password must have: zxcvbn's score 2, about 10⁸ guesses. `password`,
/// `12345678`, eight spaces or one's own username score 0.
const MIN_STRENGTH: zxcvbn::Score = zxcvbn::Score::Two;

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::parse_for(raw, &[])
    }

    /// Parses a password for a person: `personal` (their username and name) counts as known
    /// to a guesser, so a password built from it is weak.
    pub fn parse_for(raw: &str, personal: &[&str]) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if n < 8 {
            return Err(ValidationError::new(
                "password",
                "too_short",
                "must be at least 8 characters",
            ));
        }
        if n > 256 {
            return Err(ValidationError::new(
                "password",
                "too_long",
                "must be at most 256 characters",
            ));
        }
        let mut known: Vec<&str> = personal.to_vec();
        known.extend(["yingpan", "营盘", "crm"]);
        if zxcvbn::zxcvbn(raw, &known).score() < MIN_STRENGTH {
            return Err(ValidationError::new(
                "password",
                "weak_password",
                "is too easy to guess: avoid common words, sequences and your own name; a few unrelated words work well",
            ));
        }
        Ok(Self(raw.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Locale {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "zh-CN" | "zh" | "zh-cn" => Ok(Locale::ZhCn),
            "en" | "en-US" | "en-GB" => Ok(Locale::En),
            _ => Err(ValidationError::new(
                "locale",
                "invalid_choice",
                "must be zh-CN or en",
            )),
        }
    }
}

/// Whether removing `leaving` (deactivation or a role change away from admin) would leave the
/// organization without an active admin.
pub fn leaves_no_admin(active_admin_ids: &[i64], leaving: i64) -> bool {
    !active_admin_ids.iter().any(|&id| id != leaving)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_settings_and_names_as_stored() {
        let tops: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| !r.requires_superior())
            .collect();
        assert_eq!(
            tops,
            [Role::Admin, Role::Director],
            "one superior for everyone else"
        );
        assert_eq!(Role::Supervisor.to_string(), "supervisor");
        for v in [
            ClerkVisibility::All,
            ClerkVisibility::Subtree,
            ClerkVisibility::Own,
        ] {
            assert_eq!(v.as_str().parse::<ClerkVisibility>(), Ok(v));
        }
        assert_eq!(
            "everyone".parse::<ClerkVisibility>().unwrap_err().field,
            "clerk_visibility"
        );
        for (raw, l) in [
            ("zh-CN", Locale::ZhCn),
            ("zh", Locale::ZhCn),
            ("zh-cn", Locale::ZhCn),
            ("en", Locale::En),
            ("en-US", Locale::En),
            ("en-GB", Locale::En),
        ] {
            assert_eq!(Locale::parse(raw), Ok(l));
        }
        assert_eq!(Locale::ZhCn.as_str(), "zh-CN");
        assert_eq!(Locale::En.as_str(), "en");
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        assert_eq!(
            Username::parse(&"a".repeat(65)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            DisplayName::parse(&format!(" {} ", "名".repeat(100)))
                .unwrap()
                .as_str(),
            "名".repeat(100)
        );
        assert_eq!(
            DisplayName::parse(&"名".repeat(101)).unwrap_err().code,
            "too_long"
        );
        // The least strength accepted (zxcvbn's score 2) is accepted.
        assert_eq!(
            zxcvbn::zxcvbn("wrong-one", &["yingpan", "营盘", "crm"]).score(),
            MIN_STRENGTH
        );
        assert!(NewPassword::parse("wrong-one").is_ok());
        let strong = "ink-lamp-river-42";
        assert_eq!(NewPassword::parse(strong).unwrap().expose(), strong);
        assert_eq!(
            format!("{:?}", NewPassword::parse(strong).unwrap()),
            "NewPassword(***)"
        );
        let long = format!("{}x", "ink-lamp-river-".repeat(17));
        assert_eq!(long.chars().count(), 256);
        assert!(NewPassword::parse(&long).is_ok());
        assert_eq!(
            NewPassword::parse(&format!("{long}y")).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn weak_passwords_are_refused_and_strong_ones_kept() {
        for weak in [
            "password",
            "12345678",
            "        ",
            "qwertyuiop",
            "rep_a1rep_a1",
        ] {
            let e = NewPassword::parse_for(weak, &["rep_a1"]).unwrap_err();
            assert_eq!((e.field, e.code), ("password", "weak_password"), "{weak:?}");
        }
        // One's own name is known to a guesser.
        assert!(NewPassword::parse_for("wangxiaoming", &["wangxiaoming"]).is_err());
        for strong in ["new-password-456", "Yp-demo-2026", "墨水 橙子 电梯 2026"] {
            assert!(
                NewPassword::parse_for(strong, &["rep_a1"]).is_ok(),
                "{strong}"
            );
        }
        assert_eq!(NewPassword::parse("short").unwrap_err().code, "too_short");
    }

    #[test]
    fn only_salespeople_may_not_export_customers() {
        for role in Role::ALL {
            let may = crate::permission::allows(
                role,
                crate::permission::Action::ExportCustomers,
                &crate::permission::Policy::default(),
            );
            assert_eq!(may, role != Role::Sales, "{role:?}");
        }
    }

    #[test]
    fn roles_round_trip_and_unknown_is_rejected() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        let e = "boss".parse::<Role>().unwrap_err();
        assert_eq!((e.field, e.code), ("role", "unknown_role"));
    }

    #[test]
    fn scope_follows_role_and_clerk_policy() {
        assert_eq!(scope_for(Role::Sales, ClerkVisibility::All), Scope::Own);
        assert_eq!(
            scope_for(Role::Supervisor, ClerkVisibility::Own),
            Scope::Subtree
        );
        assert_eq!(scope_for(Role::Director, ClerkVisibility::Own), Scope::All);
        assert_eq!(scope_for(Role::Clerk, ClerkVisibility::Own), Scope::Own);
        assert_eq!(scope_for(Role::Clerk, ClerkVisibility::All), Scope::All);
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse("  Li.Lei ").unwrap().as_str(), "li.lei");
        assert_eq!(Username::parse("").unwrap_err().code, "required");
        assert_eq!(Username::parse("李雷").unwrap_err().code, "invalid_format");
        assert_eq!(
            Username::parse(&"a".repeat(65)).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn last_admin_cannot_leave() {
        assert!(leaves_no_admin(&[1], 1));
        assert!(!leaves_no_admin(&[1, 2], 1));
        assert!(!leaves_no_admin(&[1], 5));
        assert!(leaves_no_admin(&[], 5));
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert_eq!(NewPassword::parse("short").unwrap_err().code, "too_short");
        assert!(NewPassword::parse("ink-lamp-42").is_ok());
    }
}
