//! Customer import: which column is which (English or Chinese headers, as exported from Excel or
//! another CRM), and which rows of a file duplicate each other before the database is asked.

use crate::customer::{CustomerFields, CustomerInput};
use crate::error::ValidationError;
use std::collections::HashMap;

/// Largest import accepted in one request or command: 200,000 rows. A larger list is imported
/// in several files, each all or nothing; the cap bounds an import's memory and the time it
/// holds the database's writer.
pub const MAX_ROWS: usize = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Kind,
    Name,
    Phone,
    Email,
    Address,
    Region,
    Industry,
    Source,
    Notes,
    /// The owner's username; empty means the import's default owner.
    Owner,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::Name,
        Column::Kind,
        Column::Phone,
        Column::Email,
        Column::Address,
        Column::Region,
        Column::Industry,
        Column::Source,
        Column::Notes,
        Column::Owner,
    ];

    /// The field's name in a column mapping (`name`, `phone`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Column::Kind => "kind",
            Column::Name => "name",
            Column::Phone => "phone",
            Column::Email => "email",
            Column::Address => "address",
            Column::Region => "region",
            Column::Industry => "industry",
            Column::Source => "source",
            Column::Notes => "notes",
            Column::Owner => "owner",
        }
    }

    fn from_header(h: &str) -> Option<Self> {
        let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        Some(match h.as_str() {
            "kind" | "type" | "类型" | "客户类型" => Self::Kind,
            // The names other CRMs and hand-made sheets give the columns.
            "name" | "company" | "customer" | "名称" | "客户名称" | "公司名称" | "客户"
            | "姓名" | "客户全称" | "公司全称" | "单位名称" | "单位全称" | "企业名称" => {
                Self::Name
            }
            "phone" | "tel" | "mobile" | "电话" | "手机" | "联系电话" | "手机号" | "手机号码"
            | "电话号码" | "移动电话" => Self::Phone,
            "email" | "e-mail" | "邮箱" | "电子邮件" | "电子邮箱" | "邮箱地址" => {
                Self::Email
            }
            "address" | "地址" | "联系地址" | "详细地址" | "公司地址" => {
                Self::Address
            }
            "region" | "区域" | "地区" | "所属区域" => Self::Region,
            "industry" | "行业" | "所属行业" => Self::Industry,
            "source" | "来源" | "客户来源" | "来源渠道" => Self::Source,
            "notes" | "note" | "remark" | "备注" | "说明" => Self::Notes,
            "owner" | "owner_username" | "负责人" | "所有人" | "业务员" | "销售员" => {
                Self::Owner
            }
            _ => return None,
        })
    }
}

/// What a column of the file fills: a card field, a custom field (by key), or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Field(Column),
    Custom(String),
    Ignore,
}

impl Target {
    /// As a mapping names it: `name`, `phone`, …, `custom.<key>`, or empty for none.
    pub fn as_string(&self) -> String {
        match self {
            Target::Field(c) => c.as_str().to_string(),
            Target::Custom(k) => format!("custom.{k}"),
            Target::Ignore => String::new(),
        }
    }

    fn parse(raw: &str, custom_keys: &[String]) -> Result<Target, ValidationError> {
        let raw = raw.trim();
        if raw.is_empty() || raw == "ignore" {
            return Ok(Target::Ignore);
        }
        if let Some(c) = Column::ALL.into_iter().find(|c| c.as_str() == raw) {
            return Ok(Target::Field(c));
        }
        match raw.strip_prefix("custom.") {
            Some(k) if custom_keys.iter().any(|c| c == k) => Ok(Target::Custom(k.to_string())),
            _ => Err(ValidationError::new(
                "map",
                "unknown_field",
                format!("{raw:?} is not a field a column can fill"),
            )),
        }
    }
}

/// The file's layout as a key for remembering its mapping: its headers, trimmed and in
/// lower case, in order.
pub fn layout_signature<'a>(headers: impl IntoIterator<Item = &'a str>) -> String {
    headers
        .into_iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// What each header fills when nobody says otherwise: the known names (English or Chinese),
/// then custom fields by label or key (`custom_fields`: (label, key)).
pub fn suggest(headers: &[&str], custom_fields: &[(String, String)]) -> Vec<Target> {
    let mut taken: Vec<Target> = Vec::new();
    headers
        .iter()
        .map(|h| {
            let t = match Column::from_header(h) {
                Some(c) => Target::Field(c),
                None => {
                    let h = h.trim().trim_start_matches('\u{feff}');
                    custom_fields
                        .iter()
                        .find(|(label, key)| label == h || key.eq_ignore_ascii_case(h))
                        .map(|(_, key)| Target::Custom(key.clone()))
                        .unwrap_or(Target::Ignore)
                }
            };
            if t != Target::Ignore && taken.contains(&t) {
                return Target::Ignore;
            }
            taken.push(t.clone());
            t
        })
        .collect()
}

/// A mapping chosen for a file: `(header, field)` pairs, each field at most once, the name
/// among them. Headers the mapping does not name fill nothing.
pub fn checked_mapping(
    headers: &[&str],
    mapping: &[(String, String)],
    custom_keys: &[String],
) -> Result<Vec<Target>, ValidationError> {
    let mut targets = Vec::with_capacity(headers.len());
    let mut seen: Vec<(Target, &str)> = Vec::new();
    for h in headers {
        let t = match mapping.iter().find(|(header, _)| header.trim() == h.trim()) {
            Some((_, field)) => Target::parse(field, custom_keys)?,
            None => Target::Ignore,
        };
        if t != Target::Ignore {
            if let Some((_, first)) = seen.iter().find(|(x, _)| *x == t) {
                return Err(ValidationError::new(
                    "map",
                    "mapped_twice",
                    format!(
                        "columns {first:?} and {h:?} both fill {}; map one of them to nothing",
                        t.as_string()
                    ),
                ));
            }
            seen.push((t.clone(), h));
        }
        targets.push(t);
    }
    if let Some((header, _)) = mapping
        .iter()
        .find(|(header, _)| !headers.iter().any(|h| h.trim() == header.trim()))
    {
        return Err(ValidationError::new(
            "map",
            "unknown_column",
            format!("the file has no column {header:?}"),
        ));
    }
    Ok(targets)
}

/// The position of each known column in a file, and of each custom field's column (by the
/// field's key); unknown columns are ignored.
#[derive(Debug, Clone)]
pub struct ColumnMap(HashMap<Column, usize>, Vec<(usize, String)>);

impl ColumnMap {
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ValidationError> {
        Self::with_custom_fields(headers, &[])
    }

    /// As [`ColumnMap::from_headers`], and a column headed by a custom field's label or key
    /// (`custom_fields`: (label, key)) fills that field — as the export writes them.
    pub fn with_custom_fields<'a>(
        headers: impl IntoIterator<Item = &'a str>,
        custom_fields: &[(String, String)],
    ) -> Result<Self, ValidationError> {
        let headers: Vec<&str> = headers.into_iter().collect();
        Self::from_targets(&suggest(&headers, custom_fields))
    }

    /// The map of a file whose columns fill `targets`, in order (see [`suggest`] and
    /// [`checked_mapping`]).
    pub fn from_targets(targets: &[Target]) -> Result<Self, ValidationError> {
        let mut map = HashMap::new();
        let mut custom: Vec<(usize, String)> = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            match t {
                Target::Field(c) => {
                    map.entry(*c).or_insert(i);
                }
                Target::Custom(key) => {
                    if !custom.iter().any(|(_, k)| k == key) {
                        custom.push((i, key.clone()));
                    }
                }
                Target::Ignore => {}
            }
        }
        if !map.contains_key(&Column::Name) {
            return Err(ValidationError::new(
                "file",
                "missing_name_column",
                "the first row must name the columns, one of them name / 客户名称",
            ));
        }
        Ok(Self(map, custom))
    }

    /// The owner's username in a row, if the file has an owner column and the cell is filled.
    pub fn owner(&self, row: &[&str]) -> Option<String> {
        self.0
            .get(&Column::Owner)
            .and_then(|&i| row.get(i))
            .map(|v| unguard(v.trim()))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// A row as the input a form would have sent; "个人"/"individual" marks an individual.
    pub fn input(&self, row: &[&str]) -> CustomerInput {
        let get = |c: Column| {
            self.0
                .get(&c)
                .and_then(|&i| row.get(i))
                .map(|v| unguard(v.trim()))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let kind = get(Column::Kind).map(|k| match k.as_str() {
            "个人" | "个人客户" | "individual" | "person" => "individual".to_string(),
            "公司" | "企业" | "企业客户" | "company" => "company".to_string(),
            other => other.to_string(),
        });
        CustomerInput {
            kind,
            name: get(Column::Name),
            phone: get(Column::Phone),
            email: get(Column::Email),
            address: get(Column::Address),
            region: get(Column::Region),
            industry: get(Column::Industry),
            source: get(Column::Source),
            notes: get(Column::Notes),
            profile: None,
            custom: {
                let values: std::collections::BTreeMap<String, serde_json::Value> = self
                    .1
                    .iter()
                    .filter_map(|(i, key)| {
                        let v = unguard(row.get(*i)?.trim());
                        (!v.is_empty()).then(|| (key.clone(), serde_json::Value::from(v)))
                    })
                    .collect();
                (!values.is_empty()).then_some(values)
            },
        }
    }
}

fn starts_a_formula(v: &str) -> bool {
    v.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A cell as a spreadsheet will read it: text that would start a formula gets a leading
/// apostrophe, so an exported name like `=HYPERLINK(…)` stays text (CSV injection). A value
/// that already looks guarded gets one more, so [`unguard`] gives back exactly what was
/// exported.
pub fn formula_safe(v: &str) -> std::borrow::Cow<'_, str> {
    if starts_a_formula(v) || looks_guarded(v) {
        format!("'{v}").into()
    } else {
        v.into()
    }
}

/// Apostrophes followed by what would start a formula: the shape of a guarded cell.
fn looks_guarded(v: &str) -> bool {
    let rest = v.trim_start_matches('\'');
    rest.len() < v.len() && starts_a_formula(rest)
}

/// The value behind an exported cell: the guard apostrophe [`formula_safe`] added is removed,
/// so a re-imported export does not grow apostrophes.
pub fn unguard(v: &str) -> &str {
    if looks_guarded(v) {
        &v[1..]
    } else {
        v
    }
}

/// A row that will not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Rejected {
    /// 1-based line in the file, the header being line 1.
    pub line: usize,
    pub field: Option<String>,
    pub code: String,
    pub message: String,
    /// For a duplicate within the file: the earlier line it repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as: Option<usize>,
    /// For a duplicate of a registered customer: which one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<DuplicateOf>,
}

/// The registered customer a row repeats, as a dry run names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DuplicateOf {
    pub customer_id: i64,
    pub name: String,
    pub owner_name: Option<String>,
}

/// Parses every row; returns the good rows with their line numbers and the rejected ones.
pub fn parse_rows(
    rows: impl IntoIterator<Item = (usize, CustomerInput)>,
) -> (Vec<(usize, CustomerFields)>, Vec<Rejected>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (line, input) in rows {
        match input.parse() {
            Ok(f) => good.push((line, f)),
            Err(e) => bad.push(Rejected {
                line,
                field: Some(e.field.to_string()),
                code: e.code.to_string(),
                message: e.message.to_string(),
                same_as: None,
                duplicate_of: None,
            }),
        }
    }
    (good, bad)
}

/// Marks rows whose keys (normalized company name, phone, e-mail) repeat an earlier row of the
/// same file; `keys` gives each row's keys. Returns the indexes to keep and the rejections.
pub fn dedupe_within<K: Eq + std::hash::Hash + Clone>(
    lines: &[usize],
    keys: &[Vec<K>],
) -> (Vec<usize>, Vec<Rejected>) {
    let mut seen: HashMap<K, usize> = HashMap::new();
    let mut keep = Vec::new();
    let mut rejected = Vec::new();
    for (i, row_keys) in keys.iter().enumerate() {
        match row_keys.iter().find_map(|k| seen.get(k)) {
            Some(&first) => rejected.push(Rejected {
                line: lines[i],
                field: None,
                code: "duplicate_in_file".into(),
                message: format!("the same customer as line {first}"),
                same_as: Some(first),
                duplicate_of: None,
            }),
            None => {
                for k in row_keys {
                    seen.insert(k.clone(), lines[i]);
                }
                keep.push(i);
            }
        }
    }
    (keep, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn any_header_maps_to_a_field_once() {
        let headers = ["单位全称", "手机号码", "座机", "意向", "备用"];
        let keys = vec!["interest".to_string()];
        let targets = checked_mapping(
            &headers,
            &pairs(&[
                ("单位全称", "name"),
                ("手机号码", "phone"),
                ("意向", "custom.interest"),
                ("座机", ""),
            ]),
            &keys,
        )
        .unwrap();
        assert_eq!(
            targets,
            [
                Target::Field(Column::Name),
                Target::Field(Column::Phone),
                Target::Ignore,
                Target::Custom("interest".into()),
                Target::Ignore
            ]
        );
        let map = ColumnMap::from_targets(&targets).unwrap();
        let input = map.input(&["恒达机械", "13800000001", "0571-1", "空调", "x"]);
        assert_eq!(input.name.as_deref(), Some("恒达机械"));
        assert_eq!(input.phone.as_deref(), Some("13800000001"));
        assert_eq!(input.custom.unwrap()["interest"], "空调");

        let twice = checked_mapping(
            &headers,
            &pairs(&[("手机号码", "phone"), ("座机", "phone")]),
            &keys,
        )
        .unwrap_err();
        assert_eq!((twice.field, twice.code), ("map", "mapped_twice"));
        assert!(twice.message.contains("手机号码") && twice.message.contains("座机"));
        assert_eq!(
            checked_mapping(&headers, &pairs(&[("单位全称", "company_name")]), &keys)
                .unwrap_err()
                .code,
            "unknown_field"
        );
        assert_eq!(
            checked_mapping(&headers, &pairs(&[("单位全称", "custom.nope")]), &keys)
                .unwrap_err()
                .code,
            "unknown_field"
        );
        assert_eq!(
            checked_mapping(&headers, &pairs(&[("不存在", "name")]), &keys)
                .unwrap_err()
                .code,
            "unknown_column"
        );
        // Without the name, the map is refused as a file without one would be.
        let nameless = checked_mapping(&headers, &pairs(&[("手机号码", "phone")]), &keys).unwrap();
        assert_eq!(
            ColumnMap::from_targets(&nameless).unwrap_err().code,
            "missing_name_column"
        );
    }

    #[test]
    fn suggestions_follow_known_names_and_custom_labels() {
        let custom = vec![("意向产品".to_string(), "interest".to_string())];
        assert_eq!(
            suggest(&["客户名称", "电话", "手机", "意向产品", "其他"], &custom),
            [
                Target::Field(Column::Name),
                Target::Field(Column::Phone),
                Target::Ignore,
                Target::Custom("interest".into()),
                Target::Ignore
            ]
        );
        assert_eq!(
            layout_signature(["\u{feff}客户名称 ", "Phone"]),
            layout_signature(["客户名称", "phone"])
        );
    }

    #[test]
    fn every_column_is_read_under_its_chinese_and_english_names() {
        let header = [
            "客户名称",
            "类型",
            "电话",
            "邮箱",
            "地址",
            "地区",
            "行业",
            "客户来源",
            "备注",
            "负责人",
        ];
        let cols = ColumnMap::from_headers(header).unwrap();
        let row = [
            "甲公司",
            "个人",
            "13800138000",
            "a@b.cn",
            "文三路",
            "华东",
            "机械",
            "展会",
            "老客户",
            "sales01",
        ];
        let i = cols.input(&row);
        assert_eq!(
            (
                i.name.as_deref(),
                i.kind.as_deref(),
                i.phone.as_deref(),
                i.email.as_deref(),
                i.address.as_deref(),
                i.region.as_deref(),
                i.industry.as_deref(),
                i.source.as_deref(),
                i.notes.as_deref()
            ),
            (
                Some("甲公司"),
                Some("individual"),
                Some("13800138000"),
                Some("a@b.cn"),
                Some("文三路"),
                Some("华东"),
                Some("机械"),
                Some("展会"),
                Some("老客户")
            )
        );
        assert_eq!(cols.owner(&row).as_deref(), Some("sales01"));
        let mut blank = row;
        blank[9] = "  ";
        assert_eq!(cols.owner(&blank), None, "a blank owner cell names nobody");
        let en = ColumnMap::from_headers([
            "name", "e-mail", "address", "region", "industry", "source", "remark", "owner",
        ])
        .unwrap();
        let i = en.input(&[
            "Acme", "x@y.cn", "Road 1", "East", "Tools", "Fair", "VIP", "boss",
        ]);
        assert_eq!(
            (
                i.email.as_deref(),
                i.notes.as_deref(),
                en.owner(&["Acme", "", "", "", "", "", "", "boss"])
                    .as_deref()
            ),
            (Some("x@y.cn"), Some("VIP"), Some("boss"))
        );
        assert_eq!(i.source.as_deref(), Some("Fair"));
        assert_eq!(i.region.as_deref(), Some("East"));
        assert_eq!(i.industry.as_deref(), Some("Tools"));
        assert_eq!(i.address.as_deref(), Some("Road 1"));
    }

    #[test]
    fn the_formula_guard_comes_off_on_import() {
        assert_eq!(formula_safe("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(formula_safe("北京营盘"), "北京营盘");
        assert_eq!(unguard("'=HYPERLINK(1)"), "=HYPERLINK(1)");
        assert_eq!(unguard("'-5"), "-5");
        assert_eq!(unguard("O'Brien"), "O'Brien");
        assert_eq!(
            unguard("=SUM(1)"),
            "=SUM(1)",
            "an unguarded formula is left as it is"
        );
        assert_eq!(unguard("'quoted'"), "'quoted'");
        let cols = ColumnMap::from_headers(["客户名称", "电话"]).unwrap();
        assert_eq!(
            cols.input(&["'=SUM(A1)", "'+86 21 5888 1234"])
                .name
                .as_deref(),
            Some("=SUM(A1)")
        );
    }

    proptest::proptest! {
        #[test]
        fn export_then_import_gives_back_the_value(v in "['=+@-]{0,3}\\PC{0,12}") {
            let cell = formula_safe(&v);
            proptest::prop_assert_eq!(unguard(&cell), v.as_str());
        }
    }
    use proptest::prelude::*;

    #[test]
    fn chinese_and_english_headers() {
        let map = ColumnMap::from_headers(["\u{feff}客户名称", "手机", "备注", "无关列"]).unwrap();
        let input = map.input(&["杭州嘉禾食品有限公司", " 0571-8888 6666 ", "", "x"]);
        assert_eq!(input.name.as_deref(), Some("杭州嘉禾食品有限公司"));
        assert_eq!(input.phone.as_deref(), Some("0571-8888 6666"));
        assert_eq!(input.notes, None);
        let e = ColumnMap::from_headers(["phone", "email"]).unwrap_err();
        assert_eq!(e.code, "missing_name_column");
        let map = ColumnMap::from_headers(["type", "name"]).unwrap();
        assert_eq!(
            map.input(&["个人", "张伟"]).kind.as_deref(),
            Some("individual")
        );
    }

    #[test]
    fn bad_rows_are_named_by_line_and_field() {
        let rows = vec![
            (
                2,
                CustomerInput {
                    name: Some("甲公司".into()),
                    ..Default::default()
                },
            ),
            (
                3,
                CustomerInput {
                    name: Some("乙公司".into()),
                    phone: Some("打电话".into()),
                    ..Default::default()
                },
            ),
        ];
        let (good, bad) = parse_rows(rows);
        assert_eq!(good.len(), 1);
        assert_eq!((bad[0].line, bad[0].field.as_deref()), (3, Some("phone")));
    }

    proptest! {
        /// Every kept row has keys no other kept row has; every rejected row shares one with a
        /// kept row before it.
        #[test]
        fn dedupe_keeps_first_of_each_key(keys in proptest::collection::vec(proptest::collection::vec(0u8..20, 0..3), 0..60)) {
            let lines: Vec<usize> = (2..keys.len() + 2).collect();
            let (keep, rejected) = dedupe_within(&lines, &keys);
            prop_assert_eq!(keep.len() + rejected.len(), keys.len());
            let mut owner = HashMap::new();
            for &i in &keep {
                for k in keys[i].iter().collect::<std::collections::HashSet<_>>() {
                    prop_assert!(owner.insert(*k, i).is_none());
                }
            }
            for r in &rejected {
                let i = r.line - 2;
                prop_assert!(keys[i].iter().any(|k| owner.get(k).is_some_and(|&j| j < i)));
            }
        }
    }
}
