//! Contacts as vCards (RFC 2426 version 3.0, which phones import most reliably, or RFC 6350
//! version 4.0), for phones and Outlook. Values are escaped and long lines folded at 75 octets
//! without splitting a character, as both RFCs ask.

/// What goes out of a contact.
pub struct Card<'a> {
    /// Stable across exports, so a phone updates the contact instead of duplicating it.
    pub uid: String,
    pub name: &'a str,
    pub organization: Option<&'a str>,
    pub title: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub note: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V3,
    V4,
}

impl Version {
    pub fn parse(raw: Option<&str>) -> Result<Self, yingpan_domain::ValidationError> {
        match raw.map(str::trim) {
            None | Some("") | Some("3.0") | Some("3") => Ok(Version::V3),
            Some("4.0") | Some("4") => Ok(Version::V4),
            Some(_) => Err(yingpan_domain::ValidationError::new(
                "version",
                "invalid_choice",
                "must be 3.0 or 4.0",
            )),
        }
    }
}

/// TEXT escaping shared by both versions: backslash, comma, semicolon, newline.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets (continuations start with a space).
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// The cards as one `.vcf` text.
pub fn vcards(version: Version, cards: &[Card<'_>]) -> String {
    let mut out = String::new();
    for c in cards {
        line(&mut out, "BEGIN:VCARD");
        line(
            &mut out,
            match version {
                Version::V3 => "VERSION:3.0",
                Version::V4 => "VERSION:4.0",
            },
        );
        line(&mut out, &format!("UID:{}", escape(&c.uid)));
        line(&mut out, &format!("FN:{}", escape(c.name)));
        // A Chinese name is not split into family and given names reliably; the whole name
        // goes in the family part, which phones show as the name.
        line(&mut out, &format!("N:{};;;;", escape(c.name)));
        if let Some(o) = c.organization {
            line(&mut out, &format!("ORG:{}", escape(o)));
        }
        if let Some(t) = c.title {
            line(&mut out, &format!("TITLE:{}", escape(t)));
        }
        if let Some(p) = c.phone {
            line(
                &mut out,
                &match version {
                    Version::V3 => format!("TEL;TYPE=CELL,VOICE:{}", escape(p)),
                    Version::V4 => format!("TEL;TYPE=cell,voice;VALUE=text:{}", escape(p)),
                },
            );
        }
        if let Some(e) = c.email {
            line(
                &mut out,
                &match version {
                    Version::V3 => format!("EMAIL;TYPE=INTERNET:{}", escape(e)),
                    Version::V4 => format!("EMAIL:{}", escape(e)),
                },
            );
        }
        if let Some(n) = c.note {
            line(&mut out, &format!("NOTE:{}", escape(n)));
        }
        line(&mut out, "END:VCARD");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_lines_folded_by_octets() {
        let note = "二期扩产; 需要节能改造, 预算约 300 万。".repeat(4);
        let card = Card {
            uid: "yingpan-contact-1-7".into(),
            name: "王建国",
            organization: Some("宁波恒达机械有限公司"),
            title: Some("采购部经理"),
            phone: Some("+86 138 0000 0001"),
            email: Some("wang@example.com"),
            note: Some(&note),
        };
        let text = vcards(Version::V3, &[card]);
        assert!(text.contains("VERSION:3.0\r\n"));
        assert!(text.contains("TEL;TYPE=CELL,VOICE:+86 138 0000 0001\r\n"));
        for l in text.split("\r\n") {
            assert!(l.len() <= 75, "a line of {} octets: {l}", l.len());
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(
            unfolded.contains("二期扩产\\; 需要节能改造\\, 预算"),
            "{unfolded}"
        );
        assert!(unfolded.contains(&format!("NOTE:{}", escape(&note))));
        assert!(Version::parse(Some("2.1")).is_err());
    }
}
