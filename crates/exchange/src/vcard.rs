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

/// What is read of a card: the parts an import makes a customer and a contact of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadCard {
    /// The card's place in the file (1 for the first), as an import names its rows.
    pub number: usize,
    pub name: String,
    pub organization: Option<String>,
    pub title: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub address: Option<String>,
    pub note: Option<String>,
}

/// Whether the text is a vCard file rather than a table.
pub fn is_vcard(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .get(..11)
        .is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCARD"))
}

fn invalid(code: &'static str, message: String) -> yingpan_domain::ValidationError {
    yingpan_domain::ValidationError::new("file", code, message)
}

/// The file's bytes as text: UTF-8, or GB18030 when the file declares a GB charset (older
/// Chinese phones); anything else is refused rather than read as mojibake.
pub fn vcard_text(bytes: &[u8]) -> Result<String, yingpan_domain::ValidationError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.trim_start_matches('\u{feff}').to_string()),
        Err(_) => {
            let declares_gb = bytes
                .windows(10)
                .any(|w| w.eq_ignore_ascii_case(b"CHARSET=GB"));
            if declares_gb {
                Ok(encoding_rs::GB18030.decode(bytes).0.into_owned())
            } else {
                Err(invalid(
                    "invalid_encoding",
                    "the .vcf file is not UTF-8 text (save it as UTF-8 and try again)".into(),
                ))
            }
        }
    }
}

/// Undoes TEXT escaping (`\\`, `\,`, `\;`, `\n`).
fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Splits a structured value at unescaped semicolons.
fn components(v: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in v.chars() {
        match c {
            ';' if !escaped => parts.push(String::new()),
            _ => {
                let last = parts.last_mut().expect("one part at least");
                if escaped {
                    last.push('\\');
                }
                if c != '\\' || escaped {
                    last.push(c);
                }
            }
        }
        escaped = c == '\\' && !escaped;
    }
    parts
        .iter()
        .map(|p| unescape(p).trim().to_string())
        .collect()
}

/// vCard 2.1 as Android phones write it: quoted-printable values may continue on the next line
/// after a trailing `=`, which is not RFC line folding.
fn join_soft_breaks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending = false;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if pending {
            out.push_str(line.trim_start());
        } else {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            out.push_str(line);
        }
        let head = out
            .rsplit("\r\n")
            .next()
            .unwrap_or_default()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        pending = head.contains("QUOTED-PRINTABLE") && line.ends_with('=');
        if pending {
            out.pop();
        }
    }
    out.push_str("\r\n");
    out
}

/// vCard 2.1 writes types bare (`TEL;CELL;VOICE:`); the parser wants `name=value`
/// parameters, so a bare one becomes `TYPE=…`.
fn name_bare_params(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split("\r\n") {
        let folded = line.starts_with(' ') || line.starts_with('\t');
        match line.split_once(':') {
            Some((head, value)) if !folded && head.contains(';') => {
                let mut parts = head.split(';');
                out.push_str(parts.next().unwrap_or_default());
                for p in parts {
                    out.push(';');
                    if !p.contains('=') && !p.is_empty() {
                        out.push_str("TYPE=");
                    }
                    out.push_str(p);
                }
                out.push(':');
                out.push_str(value);
            }
            _ => out.push_str(line),
        }
        out.push_str("\r\n");
    }
    out
}

/// Reads every card of a `.vcf` text (vCard 2.1, 3.0 or 4.0): names, organisation, title,
/// phones, e-mails, address and note, quoted-printable and GB charsets decoded. A card that
/// cannot be read, or a value that is not text in its declared charset, refuses the file.
pub fn read(text: &str) -> Result<Vec<ReadCard>, yingpan_domain::ValidationError> {
    let text = name_bare_params(join_soft_breaks(text).trim_end());
    let mut cards = Vec::new();
    for (i, card) in ical::VcardParser::new(std::io::BufReader::new(text.as_bytes())).enumerate() {
        let number = i + 1;
        let card = card.map_err(|e| invalid("invalid_vcard", format!("card {number}: {e}")))?;
        let mut out = ReadCard {
            number,
            ..ReadCard::default()
        };
        let mut structured_name = None;
        for p in &card.properties {
            let param = |name: &str| {
                p.params.as_ref().and_then(|ps| {
                    ps.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .and_then(|(_, v)| v.first().cloned())
                })
            };
            let raw = p.value.clone().unwrap_or_default();
            let encoding = param("ENCODING").unwrap_or_default().to_ascii_uppercase();
            if matches!(encoding.as_str(), "B" | "BASE64") {
                continue; // a photo or a key: nothing an import keeps
            }
            let value = if encoding == "QUOTED-PRINTABLE" {
                let bytes =
                    quoted_printable::decode(raw.as_bytes(), quoted_printable::ParseMode::Robust)
                        .map_err(|e| invalid("invalid_vcard", format!("card {number}: {e}")))?;
                let charset = param("CHARSET").unwrap_or_default().to_ascii_uppercase();
                if charset.starts_with("GB") {
                    encoding_rs::GB18030.decode(&bytes).0.into_owned()
                } else {
                    String::from_utf8(bytes).map_err(|_| {
                        invalid(
                            "invalid_encoding",
                            format!("card {number}: {} is not UTF-8 text", p.name),
                        )
                    })?
                }
            } else {
                raw
            };
            let text = || Some(unescape(&value).trim().to_string()).filter(|v| !v.is_empty());
            match p.name.to_ascii_uppercase().as_str() {
                "FN" => out.name = text().unwrap_or_default(),
                "N" => {
                    // Family name first, then the given name: 王;芳 is 王芳, Smith;John is John Smith.
                    let parts = components(&value);
                    let (family, given) = (
                        parts.first().cloned().unwrap_or_default(),
                        parts.get(1).cloned().unwrap_or_default(),
                    );
                    let cjk = family.chars().chain(given.chars()).any(|c| c > '\u{2e80}');
                    structured_name = Some(if cjk {
                        format!("{family}{given}")
                    } else {
                        format!("{given} {family}").trim().to_string()
                    });
                }
                "ORG" => {
                    out.organization = components(&value)
                        .into_iter()
                        .next()
                        .filter(|o| !o.is_empty())
                }
                "TITLE" => out.title = text(),
                "TEL" => out.phones.extend(text()),
                "EMAIL" => out.emails.extend(text()),
                "NOTE" => out.note = text(),
                "ADR" if out.address.is_none() => {
                    // PO box; extended; street; locality; region; postal code; country — written
                    // from the largest part down, as a Chinese address reads.
                    let parts = components(&value);
                    let pick = |i: usize| parts.get(i).cloned().unwrap_or_default();
                    let address: String = [pick(6), pick(4), pick(3), pick(2), pick(1), pick(0)]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" ");
                    out.address = Some(address).filter(|a| !a.is_empty());
                }
                _ => {}
            }
        }
        if out.name.is_empty() {
            out.name = structured_name.unwrap_or_default();
        }
        cards.push(out);
    }
    if cards.is_empty() {
        return Err(invalid("invalid_vcard", "the file holds no vCard".into()));
    }
    Ok(cards)
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

    #[test]
    fn cards_read_back_what_was_written() {
        let card = Card {
            uid: "yingpan-contact-1-7".into(),
            name: "王建国",
            organization: Some("宁波恒达机械; 有限公司"),
            title: Some("采购部经理"),
            phone: Some("+86 138 0000 0001"),
            email: Some("wang@example.com"),
            note: Some("二期扩产, 需要节能改造。\n预算约 300 万"),
        };
        for version in [Version::V3, Version::V4] {
            let cards = read(&vcards(version, std::slice::from_ref(&card))).unwrap();
            assert_eq!(
                cards,
                vec![ReadCard {
                    number: 1,
                    name: "王建国".into(),
                    organization: Some("宁波恒达机械; 有限公司".into()),
                    title: Some("采购部经理".into()),
                    phones: vec!["+86 138 0000 0001".into()],
                    emails: vec!["wang@example.com".into()],
                    address: None,
                    note: Some("二期扩产, 需要节能改造。\n预算约 300 万".into()),
                }]
            );
        }
    }

    #[test]
    fn android_quoted_printable_and_gb_charsets_are_decoded() {
        // As an Android phone exports: vCard 2.1, quoted-printable UTF-8 with a soft break.
        let text = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E6=9D=8E;=E5=B0=8F=\r\n=E9=BE=99;;;\r\n\
                    TEL;CELL:139-0000-0001\r\nTEL;WORK:0571-88886666\r\nADR;HOME:;;文三路 8 号;杭州;浙江;310000;中国\r\nEND:VCARD\r\n";
        let cards = read(text).unwrap();
        assert_eq!(cards[0].name, "李小龙");
        assert_eq!(cards[0].phones, ["139-0000-0001", "0571-88886666"]);
        assert_eq!(
            cards[0].address.as_deref(),
            Some("中国 浙江 杭州 文三路 8 号")
        );
        let (gb, _, _) = encoding_rs::GBK.encode("张三");
        let qp: String = gb.iter().map(|b| format!("={b:02X}")).collect();
        let text = format!("BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=GBK;ENCODING=QUOTED-PRINTABLE:{qp}\r\nEND:VCARD\r\n");
        assert_eq!(read(&text).unwrap()[0].name, "张三");
        let western = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Smith;John;;;\r\nEND:VCARD\r\n";
        assert_eq!(read(western).unwrap()[0].name, "John Smith");
    }

    #[test]
    fn broken_files_are_refused_with_the_reason() {
        let bad_utf8 =
            "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE:=FF=FE\r\nEND:VCARD\r\n";
        assert_eq!(read(bad_utf8).unwrap_err().code, "invalid_encoding");
        let mut latin1 = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:".to_vec();
        latin1.extend([0xE9, 0xE8]);
        latin1.extend(b"\r\nEND:VCARD\r\n");
        assert_eq!(vcard_text(&latin1).unwrap_err().code, "invalid_encoding");
        assert_eq!(
            read("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n")
                .unwrap_err()
                .code,
            "invalid_vcard"
        );
        assert!(is_vcard("\u{feff}begin:vcard\r\n"));
        assert!(!is_vcard("客户名称,电话\n"));
    }
}
