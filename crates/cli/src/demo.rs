//! A realistic demo organization: a director, three regional supervisors, twelve salespeople,
//! a clerk and an admin, with a few hundred Chinese customers, contacts and follow-ups.
//! Deterministic (fixed seed), so every demo looks the same.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use yingpan_domain::custom::CustomFieldKind;
use yingpan_domain::customer::{ContactInput, CustomerInput};
use yingpan_domain::person::{DisplayName, Role, Scope, Username};
use yingpan_store::{ActivityDetails, ActivityKind, NewUser, Store, StoreError, User, Viewer};

pub const DEMO_PASSWORD: &str = "yingpan2026";

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "晓东", "海燕",
];
const CITIES: &[(&str, &str)] = &[
    ("北京", "华北"),
    ("天津", "华北"),
    ("石家庄", "华北"),
    ("上海", "华东"),
    ("杭州", "华东"),
    ("南京", "华东"),
    ("苏州", "华东"),
    ("广州", "华南"),
    ("深圳", "华南"),
    ("厦门", "华南"),
    ("成都", "西南"),
    ("武汉", "华中"),
];
const BRANDS: &[&str] = &[
    "华信", "恒达", "鑫源", "宏图", "金桥", "瑞丰", "东方", "永盛", "天成", "嘉禾", "聚力", "新元",
    "博远", "中联", "万通", "昌隆", "海纳", "启明", "正泰", "汇通",
];
const INDUSTRIES: &[(&str, &str)] = &[
    ("科技", "信息技术"),
    ("贸易", "批发零售"),
    ("机械", "制造业"),
    ("食品", "食品饮料"),
    ("建材", "建筑建材"),
    ("医疗器械", "医疗"),
    ("物流", "交通物流"),
    ("电子", "制造业"),
    ("服饰", "纺织服装"),
    ("家居", "家居用品"),
];
const SUFFIXES: &[&str] = &["有限公司", "股份有限公司", "商行", "集团有限公司"];
const SOURCES: &[&str] = &["展会", "转介绍", "名录", "上门", "报刊", "统计资料"];
const OUTCOMES: &[&str] = &[
    "见到采购负责人，认可样品",
    "客户有意向，等待预算审批",
    "对价格有异议",
    "签下试用订单",
    "收回部分货款",
    "负责人出差，未见到",
];
const NEXT_STEPS: &[&str] = &[
    "下周送样品",
    "发正式报价",
    "约技术交流",
    "月底前回访",
    "安排财务对账",
];
const COMPETITOR_NEWS: &[&str] = &[
    "竞品降价 10% 冲量",
    "对手推出分期付款",
    "竞品新品发布会邀请了我们的客户",
    "经销商反映对手返点更高",
];
const PRODUCTS: &[&str] = &["节能灯具", "中央空调", "工业冷柜", "办公家具", "安防系统"];
const NEEDS: &[&str] = &[
    "节能改造",
    "降低采购成本",
    "扩充产能",
    "更换供应商",
    "售后响应更快",
    "账期更长",
];
const TITLES: &[&str] = &[
    "总经理",
    "采购经理",
    "财务总监",
    "技术负责人",
    "行政主管",
    "老板",
];
const SUMMARIES: &[&str] = &[
    "电话沟通需求，约下周拜访",
    "上门拜访，介绍新品",
    "发送报价单",
    "客户反馈价格偏高，需再谈",
    "确认样品寄送地址",
    "与采购经理面谈，意向明确",
    "回访售后使用情况",
    "催收上月货款",
];

pub fn print_logins() {
    println!();
    println!("Demo logins (password for all: {DEMO_PASSWORD}):");
    println!("  admin      系统管理员 (admin)");
    println!("  director   王建国 销售经理 (director, sees everything)");
    println!("  sup1       李华 华北主管 (supervisor, sees sales01–04)");
    println!("  sales01    a salesperson (sees own customers only)");
    println!("  clerk      刘芳 内勤 (clerk)");
    println!();
}

fn person_name(rng: &mut StdRng) -> String {
    format!(
        "{}{}",
        SURNAMES.choose(rng).unwrap(),
        GIVEN.choose(rng).unwrap()
    )
}

fn phone(rng: &mut StdRng) -> String {
    let prefix = ["138", "139", "136", "150", "186", "177", "159", "188"]
        .choose(rng)
        .unwrap();
    format!(
        "{prefix}{:04}{:04}",
        rng.gen_range(0..10000),
        rng.gen_range(0..10000)
    )
}

/// The same instant moved back into office hours in China (09:00–18:00), never after
/// `latest`: nobody logs a visit at four in the morning.
fn working_hours(t: DateTime<Utc>, latest: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    let hour = t
        .with_timezone(&yingpan_domain::visit_plan::china_offset())
        .hour();
    // The fifteen hours outside the office fold onto the nine inside it, spread evenly.
    let moved = if hour < 9 {
        t - Duration::hours(15)
    } else if hour >= 18 {
        t - Duration::hours(9)
    } else {
        t
    };
    moved.min(latest)
}

fn today_of(now: DateTime<Utc>) -> chrono::NaiveDate {
    now.with_timezone(&yingpan_domain::visit_plan::china_offset())
        .date_naive()
}

fn viewer(u: &User) -> Viewer {
    Viewer {
        org_id: u.org_id,
        user_id: u.id,
        role: u.role,
        scope: Scope::All,
    }
}

pub async fn load(store: &Store, now: DateTime<Utc>, customers: usize) -> Result<(), StoreError> {
    let mut rng = StdRng::seed_from_u64(20261123);
    // One hash for every demo account keeps start-up fast; each still has its own row and salt-free reuse is fine for a demo.
    let hash = yingpan_web::hash_password(DEMO_PASSWORD);
    let new = |username: &str, name: &str, role: Role, superior: Option<i64>| NewUser {
        username: Username::parse(username).expect("demo username"),
        password_hash: hash.clone(),
        display_name: DisplayName::parse(name).expect("demo name"),
        role,
        superior_id: superior,
    };
    let start = now - Duration::days(90);
    let (_, admin) = store
        .init_organization(
            "营盘演示贸易有限公司",
            new("admin", "系统管理员", Role::Admin, None),
            start,
        )
        .await?;
    let a = viewer(&admin);
    let director = store
        .create_user(&a, new("director", "王建国", Role::Director, None), start)
        .await?;
    let mut sales = Vec::new();
    let mut supervisors = Vec::new();
    for (i, (name, region)) in [("李华", "华北"), ("张敏", "华东"), ("陈刚", "华南")]
        .iter()
        .enumerate()
    {
        let sup = store
            .create_user(
                &a,
                new(
                    &format!("sup{}", i + 1),
                    &format!("{name}（{region}主管）"),
                    Role::Supervisor,
                    Some(director.id),
                ),
                start,
            )
            .await?;
        supervisors.push(sup.id);
        for j in 0..4 {
            let n = i * 4 + j + 1;
            let u = store
                .create_user(
                    &a,
                    new(
                        &format!("sales{n:02}"),
                        &person_name(&mut rng),
                        Role::Sales,
                        Some(sup.id),
                    ),
                    start,
                )
                .await?;
            sales.push((u, *region));
        }
    }
    store
        .create_user(
            &a,
            new("clerk", "刘芳", Role::Clerk, Some(director.id)),
            start,
        )
        .await?;
    // The seeds' salesperson added "products of interest" and "needs another call?" fields.
    let products: Vec<String> = PRODUCTS.iter().map(|p| p.to_string()).collect();
    store
        .create_custom_field(
            &a,
            "interest",
            "意向产品",
            CustomFieldKind::Choice,
            &products,
            start,
        )
        .await?;
    store
        .create_custom_field(
            &a,
            "call_again",
            "需再次致电",
            CustomFieldKind::YesNo,
            &[],
            start,
        )
        .await?;
    let custom_defs = store.custom_fields(admin.org_id).await?;
    let clerk_viewer = viewer(
        &store
            .users(admin.org_id)
            .await?
            .into_iter()
            .find(|u| u.role == Role::Clerk)
            .expect("demo clerk"),
    );
    let mut price_list = Vec::new();
    for (i, (name, unit, price, cost, category)) in [
        ("节能灯具", "套", "680", "420", "照明"),
        ("中央空调", "台", "12800", "9100", "暖通"),
        ("工业冷柜", "台", "8600", "6300", "暖通"),
        ("办公家具", "套", "3200", "2100", "家具"),
        ("安防系统", "套", "25000", "16800", "安防"),
    ]
    .iter()
    .enumerate()
    {
        let f = yingpan_domain::product::ProductInput {
            code: Some(format!("P{:03}", i + 1)),
            name: Some(name.to_string()),
            unit: Some(unit.to_string()),
            price: Some(price.to_string()),
            currency: Some("CNY".into()),
            cost: Some(cost.to_string()),
            category: Some(category.to_string()),
            ..Default::default()
        }
        .parse()
        .expect("demo product");
        price_list.push(store.create_product(&a, &f, start).await?);
    }

    // The company keeps its regions, industries and sources as lists, and runs a pool per region
    // with its own protection periods (key customers protected longer).
    let mut regions: Vec<String> = Vec::new();
    for (_, r) in CITIES {
        if !regions.iter().any(|x| x == r) {
            regions.push(r.to_string());
        }
    }
    let mut industries: Vec<String> = Vec::new();
    for (_, i) in INDUSTRIES {
        if !industries.iter().any(|x| x == i) {
            industries.push(i.to_string());
        }
    }
    let lists = yingpan_domain::picklist::Picklists::parse(
        &[
            ("region".to_string(), regions),
            ("industry".to_string(), industries),
            (
                "source".to_string(),
                SOURCES.iter().map(|s| s.to_string()).collect(),
            ),
        ]
        .into_iter()
        .collect(),
    )
    .expect("demo picklists");
    store.set_picklists(&a, &lists, start).await?;
    for (name, region, days, priority) in
        [("华东公海", "华东", 10, 15), ("华南公海", "华南", 7, 12)]
    {
        store
            .create_pool(
                &a,
                &yingpan_store::PoolInput {
                    name: name.into(),
                    region: Some(region.into()),
                    protection_days: Some(days),
                    priority_days: Some(priority),
                    general_days: None,
                    last_days: Some(5),
                    active: true,
                },
                start,
            )
            .await?;
    }
    let mut complaint_about: Option<(Viewer, i64, String)> = None;

    let library = demo_objections(store, &a, now - Duration::days(90)).await?;
    // `--customers N` means N customers: a random name or phone that repeats one already made is
    // refused by the duplicate check, and the next draw takes its place.
    let mut made = 0;
    for i in 0..customers * 4 {
        if made == customers {
            break;
        }
        let (owner, region) = &sales[i % sales.len()];
        let city = CITIES
            .iter()
            .filter(|(_, r)| r == region)
            .collect::<Vec<_>>();
        let (city, region_name) = **city.choose(&mut rng).unwrap();
        let individual = rng.gen_bool(0.2);
        let (name, industry) = if individual {
            (person_name(&mut rng), None)
        } else {
            let (word, industry) = *INDUSTRIES.choose(&mut rng).unwrap();
            let brand = BRANDS.choose(&mut rng).unwrap();
            (
                format!("{city}{brand}{word}{}", SUFFIXES.choose(&mut rng).unwrap()),
                Some(industry.to_string()),
            )
        };
        let input = CustomerInput {
            kind: Some(if individual { "individual" } else { "company" }.into()),
            name: Some(name),
            phone: Some(phone(&mut rng)),
            email: (!individual && rng.gen_bool(0.5)).then(|| format!("sales{}@example.cn", i + 1)),
            address: Some(format!(
                "{city}市{}路{}号",
                BRANDS.choose(&mut rng).unwrap(),
                rng.gen_range(1..300)
            )),
            region: Some(region_name.to_string()),
            industry,
            source: Some(SOURCES.choose(&mut rng).unwrap().to_string()),
            notes: None,
            profile: (!individual).then(|| {
                let employees = rng.gen_range(5..2000u32);
                [
                    ("employees".to_string(), serde_json::json!(employees)),
                    (
                        "annual_revenue".to_string(),
                        serde_json::json!(format!(
                            "{}.00",
                            employees * rng.gen_range(200_000..800_000u32) / 1000 * 1000
                        )),
                    ),
                    (
                        "needs".to_string(),
                        serde_json::json!(NEEDS.choose(&mut rng).unwrap()),
                    ),
                ]
                .into_iter()
                .collect()
            }),
            custom: Some(
                [
                    (
                        "interest".to_string(),
                        serde_json::json!(PRODUCTS.choose(&mut rng).unwrap()),
                    ),
                    (
                        "call_again".to_string(),
                        serde_json::json!(rng.gen_bool(0.4)),
                    ),
                ]
                .into_iter()
                .collect(),
            ),
        };
        let mut fields = input.parse().expect("demo customer is valid");
        fields.custom =
            yingpan_domain::custom::parse_values(&custom_defs, input.custom.as_ref().unwrap())
                .expect("demo custom values are valid");
        let created_at = working_hours(
            now - Duration::days(rng.gen_range(8..80)) - Duration::minutes(rng.gen_range(0..600)),
            now,
        );
        let sv = Viewer {
            scope: Scope::Own,
            ..viewer(owner)
        };
        // Random names can repeat; the duplicate check refuses those, as it would for a user.
        let c = match store.create_customer(&sv, &fields, None, created_at).await {
            Ok(c) => c,
            Err(StoreError::DuplicateCustomer(_)) => continue,
            Err(e) => return Err(e),
        };
        made += 1;
        if !individual {
            for _ in 0..rng.gen_range(1..=3) {
                let contact = ContactInput {
                    name: Some(person_name(&mut rng)),
                    title: Some(TITLES.choose(&mut rng).unwrap().to_string()),
                    phone: Some(phone(&mut rng)),
                    email: None,
                    is_decision_maker: Some(rng.gen_bool(0.3)),
                    notes: None,
                    relation: None,
                };
                store
                    .create_contact(
                        &sv,
                        c.id,
                        &contact.parse().expect("demo contact"),
                        created_at,
                    )
                    .await?;
            }
        }
        if individual && rng.gen_bool(0.3) {
            // A spouse registered as a linked relative: a deal in their name is this customer's.
            let spouse = ContactInput {
                name: Some(person_name(&mut rng)),
                phone: Some(phone(&mut rng)),
                relation: Some("spouse".into()),
                ..Default::default()
            };
            store
                .create_contact(
                    &sv,
                    c.id,
                    &spouse.parse().expect("demo relative"),
                    created_at,
                )
                .await?;
        }
        // Most customers were followed up recently; about one in eight has gone quiet and will
        // be back in the public pool after the recycle below.
        let quiet = rng.gen_bool(0.12);
        let mut t = created_at;
        for _ in 0..rng.gen_range(1..5) {
            let latest = if quiet {
                now - Duration::days(9)
            } else {
                now - Duration::hours(1)
            };
            if t >= latest {
                break;
            }
            let span = (latest - t).num_minutes().max(1);
            let before = t;
            t += Duration::minutes(rng.gen_range(span / 2..=span));
            t = working_hours(t, latest).max(before + Duration::minutes(10));
            let kind = *ActivityKind::ALL.choose(&mut rng).unwrap();
            let details = if kind == ActivityKind::Visit {
                ActivityDetails {
                    outcome: rng
                        .gen_bool(0.8)
                        .then(|| OUTCOMES.choose(&mut rng).unwrap().to_string()),
                    next_step: rng
                        .gen_bool(0.5)
                        .then(|| NEXT_STEPS.choose(&mut rng).unwrap().to_string()),
                    location: Some(format!("{city}市")),
                    reached: None,
                    duration_minutes: Some(rng.gen_range(30..=120)),
                    position: None,
                    // The funnel's steps: most visits set up or present, some close or serve.
                    purpose: Some(
                        [
                            "appointment",
                            "appointment",
                            "presentation",
                            "presentation",
                            "closing",
                            "service",
                        ]
                        .choose(&mut rng)
                        .unwrap()
                        .to_string(),
                    ),
                    // One visit in three meets a refusal from the library; the first answer of
                    // each works more often than the second.
                    objections: match library.choose(&mut rng) {
                        Some((objection, answers)) if rng.gen_bool(0.33) => {
                            let pick = rng.gen_range(0..answers.len());
                            vec![yingpan_domain::objection::Encounter {
                                objection_id: *objection,
                                answer_id: Some(answers[pick]),
                                worked: Some(rng.gen_bool(if pick == 0 { 0.7 } else { 0.35 })),
                            }]
                        }
                        _ => Vec::new(),
                    },
                    ..ActivityDetails::default()
                }
            } else if kind == ActivityKind::Call {
                ActivityDetails {
                    reached: Some(rng.gen_bool(0.5)),
                    duration_minutes: Some(rng.gen_range(1..=15)),
                    ..ActivityDetails::default()
                }
            } else {
                ActivityDetails::default()
            };
            store
                .log_activity_with(
                    &sv,
                    c.id,
                    kind,
                    SUMMARIES.choose(&mut rng).unwrap(),
                    &details,
                    t,
                )
                .await?;
        }
        // About a third of the customers bought something; the clerk records the money.
        if !quiet && rng.gen_bool(0.35) {
            let ordered = created_at
                + Duration::minutes(rng.gen_range(60..(now - created_at).num_minutes().max(61)));
            let p = price_list.choose(&mut rng).unwrap();
            let line = yingpan_domain::order::parse_line(
                Some(p.id),
                Some(&rng.gen_range(1..20).to_string()),
                None,
                p.price,
            )
            .expect("demo line");
            let order_day = ordered
                .with_timezone(&yingpan_domain::visit_plan::china_offset())
                .date_naive();
            let due = order_day + Duration::days(*[15, 30, 30, 60].choose(&mut rng).unwrap());
            let order = store
                .create_order(
                    &sv,
                    c.id,
                    &[(line, p.name.clone(), p.unit.clone(), p.currency.clone())],
                    due,
                    ordered,
                )
                .await?;
            let total = order.total;
            let deposit = (total * rust_decimal::Decimal::new(3, 1)).round_dp(0);
            if deposit > rust_decimal::Decimal::ZERO {
                store
                    .record_payment(
                        &clerk_viewer,
                        order.id,
                        yingpan_domain::order::PaymentKind::Deposit,
                        deposit,
                        None,
                        ordered,
                    )
                    .await?;
            }
            let paid_at = ordered + Duration::days(rng.gen_range(5..40));
            if paid_at < now && rng.gen_bool(0.6) {
                store
                    .record_payment(
                        &clerk_viewer,
                        order.id,
                        yingpan_domain::order::PaymentKind::Payment,
                        total - deposit,
                        Some("银行转账"),
                        paid_at,
                    )
                    .await?;
            }
            let shipped = ordered + Duration::days(rng.gen_range(1..10));
            if shipped < now {
                store
                    .set_delivery_status(
                        &clerk_viewer,
                        order.id,
                        yingpan_domain::order::DeliveryStatus::Delivered,
                        None,
                        shipped,
                    )
                    .await?;
            }
        }
        // Tiers (which set the call and visit cadence) for most customers, with the MAN
        // assessment behind them; open and closed opportunities for some.
        if !quiet && rng.gen_bool(0.7) {
            let current = store.customer(&sv, c.id).await?;
            let tier = *[
                yingpan_domain::qualification::Tier::Priority,
                yingpan_domain::qualification::Tier::General,
                yingpan_domain::qualification::Tier::General,
                yingpan_domain::qualification::Tier::Last,
            ]
            .choose(&mut rng)
            .unwrap();
            let q = yingpan_store::Qualification {
                man_money: Some(rng.gen_bool(0.7)),
                man_authority: Some(rng.gen_bool(0.6)),
                man_need: Some(rng.gen_bool(0.8)),
                tier: Some(tier),
                ..Default::default()
            };
            store
                .qualify(&sv, c.id, current.version, &q, t + Duration::minutes(5))
                .await?;
        }
        if !quiet && !individual && rng.gen_bool(0.35) {
            use yingpan_domain::opportunity::{Stage, Status};
            let stage = *[
                Stage::Prospecting,
                Stage::Appointment,
                Stage::Presentation,
                Stage::Presentation,
                Stage::Closing,
            ]
            .choose(&mut rng)
            .unwrap();
            let product = PRODUCTS.choose(&mut rng).unwrap();
            let amount = rng.gen_range(2..60) * 5_000;
            let opened = created_at + Duration::days(rng.gen_range(1..7));
            let o = store
                .create_opportunity(
                    &sv,
                    c.id,
                    &yingpan_store::OpportunityFields {
                        name: format!("{product}采购项目"),
                        stage,
                        money: yingpan_domain::opportunity::Money {
                            amount: rust_decimal::Decimal::from(amount),
                            currency: "CNY".into(),
                        },
                        probability: stage.default_probability(),
                        expected_close: Some(today_of(now) + Duration::days(rng.gen_range(5..60))),
                    },
                    working_hours(opened, now - Duration::hours(2)),
                )
                .await?;
            let closed = working_hours(
                opened + Duration::days(rng.gen_range(3..20)),
                now - Duration::hours(1),
            );
            if closed < now - Duration::hours(1) && rng.gen_bool(0.3) {
                let (to, reason) = if rng.gen_bool(0.6) {
                    (Status::Won, None)
                } else {
                    (Status::Lost, Some("价格高于竞品"))
                };
                store
                    .set_opportunity_status(&sv, o.id, o.version, to, reason, closed)
                    .await?;
            }
        }
        if complaint_about.is_none() && !quiet && !individual {
            complaint_about = Some((sv, c.id, c.name.clone()));
        }
        if !quiet && t < now - Duration::days(6) {
            let recent =
                working_hours(now - Duration::minutes(rng.gen_range(30..6 * 24 * 60)), now)
                    .max(t + Duration::minutes(10));
            store
                .log_activity(&sv, c.id, ActivityKind::Call, SUMMARIES[0], recent)
                .await?;
        }
    }
    // Two weeks of daily reports against a daily target, and travel advances from the clerk.
    let today = now
        .with_timezone(&yingpan_domain::visit_plan::china_offset())
        .date_naive();
    for (u, _) in &sales {
        let sv = Viewer {
            scope: Scope::Own,
            ..viewer(u)
        };
        for back in 1..=14 {
            let day = today - Duration::days(back);
            if matches!(
                chrono::Datelike::weekday(&day),
                chrono::Weekday::Sat | chrono::Weekday::Sun
            ) || rng.gen_bool(0.1)
            {
                continue;
            }
            let report = yingpan_domain::daily_report::DailyReportInput {
                visits: store.day_visits(&sv, day).await?,
                target_amount: Some("20000".into()),
                competitor_info: rng
                    .gen_bool(0.15)
                    .then(|| COMPETITOR_NEWS.choose(&mut rng).unwrap().to_string()),
                ..Default::default()
            }
            .parse()
            .expect("demo report");
            // Filed the same evening, a few of them only the next morning (late).
            let filed = yingpan_domain::daily_report::day_bounds(
                day,
                yingpan_domain::visit_plan::china_offset(),
            )
            .0 + Duration::hours(if rng.gen_bool(0.15) { 33 } else { 18 });
            store.file_daily_report(&sv, day, &report, filed).await?;
        }
        let entry = yingpan_domain::ledger::parse_entry(
            "advance",
            "2000",
            "差旅借支",
            None,
            today - Duration::days(20),
        )
        .expect("demo advance");
        store
            .record_advance(&clerk_viewer, u.id, &entry, now - Duration::days(20))
            .await?;
        if rng.gen_bool(0.6) {
            let entry = yingpan_domain::ledger::parse_entry(
                "settlement",
                "1280.50",
                "住宿及交通发票",
                None,
                today - Duration::days(5),
            )
            .expect("demo settlement");
            store
                .record_advance(&clerk_viewer, u.id, &entry, now - Duration::days(5))
                .await?;
        }
    }
    // Pay from three months back, this month's team budgets, and someone away today (to cover for).
    let d = viewer(&director);
    let this_month = yingpan_domain::weekly_report::Period::month_of(today);
    let mut from = this_month.start;
    for _ in 0..3 {
        from = yingpan_domain::weekly_report::Period::month_of(from - Duration::days(1)).start;
    }
    let plan: yingpan_domain::pay::PayPlan = serde_json::from_value(serde_json::json!({
        "base_salary": "4000",
        "process_amount": "2000",
        "process_items": [
            {"measure": "complete_cards", "weight_percent": "25", "norm": 8},
            {"measure": "cadence_kept", "weight_percent": "25"},
            {"measure": "plans_on_time", "weight_percent": "15"},
            {"measure": "reports_on_time", "weight_percent": "15"},
            {"measure": "reports_complete", "weight_percent": "10"},
            {"measure": "weekly_targets_met", "weight_percent": "10"}
        ],
        "default_rate_percent": "3",
        "category_rates": [{"category": "照明", "rate_percent": "5"}],
        "steps": [
            {"from_percent": "0", "multiplier_percent": "80"},
            {"from_percent": "100", "multiplier_percent": "120"}
        ],
        "referral_reward": "200"
    }))
    .expect("demo pay plan");
    store
        .save_pay_plan(
            &d,
            yingpan_domain::weekly_report::Period::month_of(from),
            &plan,
            None,
            now,
        )
        .await?;
    for sup in &supervisors {
        store
            .set_budget(
                &d,
                this_month,
                *sup,
                Some(rust_decimal::Decimal::from(400_000)),
                Some(rust_decimal::Decimal::from(6_000)),
                0,
                now,
            )
            .await?;
    }
    if let Some((away, _)) = sales.first() {
        store
            .add_absence(
                &viewer(away),
                away.id,
                today,
                today + Duration::days(2),
                Some("外出培训"),
                now,
            )
            .await?;
    }
    // A complaint and a market report waiting in the superiors' inboxes.
    if let Some((_, customer_id, _)) = &complaint_about {
        demo_tickets(store, &clerk_viewer, *customer_id, now).await?;
    }
    if let Some((sv, customer_id, name)) = complaint_about {
        store
            .file_escalation(
                &sv,
                &yingpan_domain::escalation::EscalationFields {
                    kind: yingpan_domain::escalation::EscalationKind::Complaint,
                    subject: format!("{name}投诉交货延迟"),
                    body: "客户反映上批货物晚到五天，影响其门店开业，要求说明原因并承诺下批交期。"
                        .into(),
                    customer_id: Some(customer_id),
                },
                false,
                now - Duration::hours(20),
            )
            .await?;
    }
    if let Some((u, _)) = sales.get(5) {
        store
            .file_escalation(
                &viewer(u),
                &yingpan_domain::escalation::EscalationFields {
                    kind: yingpan_domain::escalation::EscalationKind::MarketSituation,
                    subject: "竞品在华东降价 10% 冲量".into(),
                    body: "两家经销商反映对手本月起降价 10%，并给首单客户延长账期到 60 天。".into(),
                    customer_id: None,
                },
                false,
                now - Duration::hours(30),
            )
            .await?;
    }
    demo_survey(store, &a, &clerk_viewer, &mut rng, now).await?;
    demo_campaigns(store, &viewer(&director), now).await?;
    if let (Some(&sup), Some((rep, _)), Some((other, _))) =
        (supervisors.first(), sales.first(), sales.get(1))
    {
        let sup = Viewer {
            user_id: sup,
            role: Role::Supervisor,
            ..viewer(rep)
        };
        demo_tasks(store, &sup, &viewer(rep), &viewer(other), director.id, now).await?;
        demo_key_accounts(store, &sup, &viewer(rep), now).await?;
        demo_commands(store, &sup, &viewer(rep), now).await?;
    }
    store.compile_due_weekly_reports(now).await?;
    store.escalate_overdue_tickets(false, now).await?;
    // Return visits long past were made: the owners recorded them; the recent ones wait.
    let (past, _) = store
        .return_visits_due(&a, now - Duration::days(2), 500)
        .await?;
    for (i, v) in past.iter().enumerate() {
        let Some(owner) = v.owner_id else { continue };
        let result = if i % 5 == 4 {
            yingpan_domain::service::VisitResult::Neutral
        } else {
            yingpan_domain::service::VisitResult::Satisfied
        };
        let due = yingpan_store::parse_ts(&v.due_at)?;
        store
            .record_return_visit(
                &Viewer {
                    user_id: owner,
                    ..a
                },
                v.id,
                result,
                "回访：确认货物已安装使用，客户无其他问题。",
                working_hours(due, now),
            )
            .await?;
    }
    let moved = store.recycle(now).await?;
    let all = yingpan_store::CustomerListQuery {
        per_page: 1,
        ..Default::default()
    };
    let (_, total) = store.list_customers(&a, &all).await?;
    println!("Demo data: 18 people, {total} customers ({moved} back in the public pool).");
    Ok(())
}

/// Service tickets the clerk logged from the customer's calls: one past its deadlines (the
/// sweep tells the owner's superiors), one being handled, one resolved (a return visit follows).
async fn demo_tickets(
    store: &Store,
    clerk: &Viewer,
    customer_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use yingpan_domain::service::{parse_step, Category, Severity, TicketFields};
    let ticket = |category, severity, subject: String, description: &str| TicketFields {
        customer_id,
        category,
        severity,
        subject,
        description: description.into(),
        product_id: None,
        order_id: None,
        assignee_id: None,
    };
    store
        .file_ticket(
            clerk,
            &ticket(
                Category::Complaint,
                Severity::High,
                "第二批设备运行异响".into(),
                "客户来电：上周交付的设备运行时有明显异响，要求尽快派人检修。",
            ),
            now - Duration::hours(30),
        )
        .await?;
    let handled = store
        .file_ticket(
            clerk,
            &ticket(
                Category::AfterSales,
                Severity::Normal,
                "申请补发安装说明书".into(),
                "客户门店新员工需要中文安装说明书两份。",
            ),
            now - Duration::hours(5),
        )
        .await?;
    let owner = Viewer {
        user_id: handled.assignee_id,
        ..*clerk
    };
    let step = |s: &str, body: &str| parse_step(s, Some(body), None).expect("demo step");
    store
        .ticket_step(
            &owner,
            handled.id,
            &step("start", "已联系客户，明天随货寄出。"),
            None,
            now - Duration::hours(4),
        )
        .await?;
    let done = store
        .file_ticket(
            clerk,
            &ticket(
                Category::Inquiry,
                Severity::Low,
                "询问年度返利政策".into(),
                "",
            ),
            now - Duration::days(4),
        )
        .await?;
    store
        .ticket_step(
            clerk,
            done.id,
            &step("resolve", "已把返利政策文件发到客户邮箱，并电话说明。"),
            None,
            now - Duration::days(3) - Duration::hours(20),
        )
        .await?;
    Ok(())
}

/// A delivery satisfaction survey the director wrote, answered by phone for delivered orders
/// (scores lean high, a few low), so its results page has figures beside repeat purchase.
async fn demo_survey(
    store: &Store,
    admin: &Viewer,
    clerk: &Viewer,
    rng: &mut StdRng,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use yingpan_domain::survey::{parse_answers, parse_questions};
    let questions = parse_questions(
        "score: 您对产品质量的满意度\nscore: 交货是否及时\nscore: 业务员的服务态度\ntext?: 其他意见和建议",
    )?;
    let survey = store
        .create_survey(
            admin,
            "交货满意度回访",
            &questions,
            now - Duration::days(40),
        )
        .await?;
    let orders = store
        .orders(
            admin,
            &yingpan_store::OrderFilter {
                limit: 40,
                ..Default::default()
            },
        )
        .await?;
    let remarks = [
        "希望送货前先电话联系",
        "包装可以再结实一些",
        "",
        "",
        "价格能否再优惠",
    ];
    for o in orders.iter().filter(|o| o.delivered_at.is_some()).take(18) {
        let low = rng.gen_bool(0.2);
        let score = |rng: &mut StdRng| {
            if low {
                rng.gen_range(1..=3)
            } else {
                rng.gen_range(4..=5)
            }
            .to_string()
        };
        let mut raw = std::collections::BTreeMap::new();
        raw.insert("q1".to_string(), score(rng));
        raw.insert("q2".to_string(), score(rng));
        raw.insert("q3".to_string(), score(rng));
        raw.insert(
            "q4".to_string(),
            remarks[rng.gen_range(0..remarks.len())].to_string(),
        );
        let answers = parse_answers(&questions, &raw)?;
        store
            .record_survey_by_phone(
                clerk,
                survey.id,
                o.customer_id,
                Some(o.id),
                &answers,
                now - Duration::days(rng.gen_range(1..30)),
            )
            .await?;
    }
    Ok(())
}

/// A shared segment of the priority customers, a thank-you letter already printed for them and
/// an e-mail waiting as a draft (the demo has no SMTP server).
async fn demo_campaigns(
    store: &Store,
    director: &Viewer,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use yingpan_domain::campaign::CampaignInput;
    let segment = store
        .create_segment(
            director,
            "重点客户",
            "tier=priority",
            true,
            now - Duration::days(20),
        )
        .await?;
    let input = |name: &str, channel: &str, subject: &str, body: &str| CampaignInput {
        name: Some(name.into()),
        channel: Some(channel.into()),
        segment_id: Some(segment.id),
        subject: Some(subject.into()),
        body: Some(body.into()),
        scheduled_at: None,
    };
    let letter = store
        .create_campaign(
            director,
            &input(
                "年终答谢信",
                "letter",
                "",
                "{{customer.name}}：\n\n感谢贵公司一年来对{{company.name}}的信任与支持。新的一年，{{owner.name}}将继续为您服务。\n\n{{company.name}}\n销售部",
            )
            .parse(now)?,
            now - Duration::days(10),
        )
        .await?;
    let members = yingpan_store::CustomerListQuery {
        card: yingpan_store::CardFilter {
            tier: Some("priority".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    store
        .launch_campaign(
            director,
            letter.id,
            &members,
            letter.version,
            now - Duration::days(10),
        )
        .await?;
    store
        .create_campaign(
            director,
            &input(
                "新年订货会邀请",
                "email",
                "{{customer.name}}：诚邀参加{{company.name}}新年订货会",
                "{{contact.name}}您好：\n\n{{company.name}}将于一月中旬举办新年订货会，届时有新品发布和订货优惠。{{owner.name}}会与您确认行程。",
            )
            .parse(now)?,
            now - Duration::days(1),
        )
        .await?;
    Ok(())
}

/// The objection library (拒绝准备): the refusals Chinese B2B buyers give most, each with two
/// prepared answers. Returns each objection's id with its answers' ids.
async fn demo_objections(
    store: &Store,
    admin: &Viewer,
    at: DateTime<Utc>,
) -> Result<Vec<(i64, Vec<i64>)>, StoreError> {
    use yingpan_domain::objection::ObjectionInput;
    let entries: [(&str, &str, &str, [&str; 2]); 4] = [
        (
            "价格太高，别家便宜 15%",
            "担心买贵了被领导问责；其实更在意总成本和售后。",
            "closing",
            [
                "算总账：能耗省下的电费一年就抵掉差价，附上同类客户的电费对比表。",
                "给出分期付款方案，首付 30%，减轻预算压力。",
            ],
        ),
        (
            "我们已经有固定供应商了",
            "换供应商有风险，怕出问题担责任。",
            "appointment",
            [
                "不求全部替换，先做一个车间的试点，效果不好不收费。",
                "请他们参观我们在本地的老客户现场。",
            ],
        ),
        (
            "现在没预算，明年再说",
            "预算周期问题，或者只是推托。",
            "presentation",
            [
                "问清明年预算编制时间，提前把方案放进预算。",
                "用节能补贴政策说明今年做更划算。",
            ],
        ),
        (
            "要跟领导商量一下",
            "接触的人不是决策者。",
            "presentation",
            [
                "请他约领导一起做一次 20 分钟的方案介绍，我们带技术人员来。",
                "给他一页纸的汇报材料，方便他向领导汇报。",
            ],
        ),
    ];
    let mut out = Vec::new();
    for (text, concern, stage, answers) in entries {
        let f = ObjectionInput {
            text: Some(text.into()),
            concern: Some(concern.into()),
            product_id: None,
            stage: Some(stage.into()),
        }
        .parse()?;
        let id = store.create_objection(admin, &f, at).await?;
        let mut ids = Vec::new();
        for a in answers {
            ids.push(store.add_objection_answer(admin, id, a, at).await?);
        }
        out.push((id, ids));
    }
    Ok(out)
}

/// sup1's morning meeting of today (minutes and one decision), a quotation of sales01 with a
/// discount over the limit waiting for sup1, and a visit of sales01's that sup1 joins, with a
/// coaching note.
async fn demo_commands(
    store: &Store,
    sup: &Viewer,
    rep: &Viewer,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let today = now
        .with_timezone(&yingpan_domain::visit_plan::china_offset())
        .date_naive();
    let meeting = store
        .create_meeting(
            sup,
            yingpan_domain::meeting::Kind::Morning,
            today,
            now - Duration::hours(1),
        )
        .await?;
    let meeting = store
        .record_meeting(
            sup,
            meeting.meeting.id,
            "1. 昨日拜访回顾：两家客户要报价。\n2. 本周重点：回款。\n3. 竞品在华北降价，统一口径：算总账。",
            &[],
            meeting.meeting.version,
            now - Duration::minutes(50),
        )
        .await?;
    let decision = yingpan_domain::task::TaskInput {
        assignee_id: Some(rep.user_id),
        title: Some("今天下班前把两份报价发给客户".into()),
        place: None,
        plan: None,
        check: Some("晚会上汇报".into()),
        due_at: Some(now + Duration::hours(8)),
        customer_id: None,
    }
    .parse(now)?;
    store
        .meeting_decision(
            sup,
            meeting.meeting.id,
            &decision,
            now - Duration::minutes(45),
        )
        .await?;

    let q = yingpan_store::CustomerListQuery {
        per_page: 5,
        owner_id: Some(rep.user_id),
        ..Default::default()
    };
    let (customers, _) = store.list_customers(rep, &q).await?;
    let Some(customer) = customers.first() else {
        return Ok(());
    };
    let products = store.products(rep.org_id, false).await?;
    let listed: Vec<_> = products
        .iter()
        .take(2)
        .map(|p| yingpan_domain::quotation::ListedProduct {
            id: p.id,
            name: p.name.clone(),
            unit: p.unit.clone(),
            currency: p.currency.clone(),
            price: p.price,
        })
        .collect();
    if listed.len() == 2 {
        let lines = yingpan_domain::quotation::price_lines(
            &[
                yingpan_domain::quotation::LineInput {
                    product_id: Some(listed[0].id),
                    quantity: Some("200".into()),
                    discount_percent: Some("15".into()),
                },
                yingpan_domain::quotation::LineInput {
                    product_id: Some(listed[1].id),
                    quantity: Some("10".into()),
                    discount_percent: Some("5".into()),
                },
            ],
            &listed,
        )?;
        let f = yingpan_store::QuotationFields {
            lines: &lines,
            valid_until: today + Duration::days(30),
            terms: "预付 30%，到货验收后 30 天付清；免费安装，保修一年。",
        };
        let quote = store
            .create_quotation(rep, customer.id, &f, now - Duration::hours(3))
            .await?;
        store
            .quotation_step(
                rep,
                quote.quotation.id,
                yingpan_domain::quotation::Step::Submit,
                "",
                today + Duration::days(30),
                quote.quotation.version,
                today,
                now - Duration::hours(2),
            )
            .await?;
    }

    let visit_day = today + Duration::days(2);
    let items =
        yingpan_domain::visit_plan::parse_items(&[yingpan_domain::visit_plan::PlanItemInput {
            customer_id: Some(customer.id),
            customer_name: Some(customer.name.clone()),
            region: customer.region.clone(),
            start: Some("10:00".into()),
            end: Some("11:30".into()),
            purpose: Some("develop_new_customer".into()),
            notes: None,
        }])?;
    if let Ok(plan) = store
        .create_plan(rep, visit_day, &items, now - Duration::hours(2))
        .await
    {
        let plan = store
            .submit_plan(rep, plan.id, plan.version, now - Duration::hours(2))
            .await?;
        store
            .join_visit(sup, plan.id, 0, today, now - Duration::hours(1))
            .await?;
    }
    store
        .add_coaching_note(
            sup,
            rep.user_id,
            yingpan_domain::coaching::NoteKind::New,
            "第一个月：每天两次电话演练；拜访前先把拒绝话术过一遍（价格、已有供应商）。",
            now - Duration::days(3),
        )
        .await?;
    Ok(())
}

/// The first salesperson's customers screened into all four quadrants, and an account plan for
/// the best of them: returned once by sup1, revised, and approved (its actions became tasks).
async fn demo_key_accounts(
    store: &Store,
    sup: &Viewer,
    rep: &Viewer,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use yingpan_domain::account_plan::{ContentInput, Step};
    let q = yingpan_store::CustomerListQuery {
        per_page: 12,
        owner_id: Some(rep.user_id),
        ..Default::default()
    };
    let (customers, _) = store.list_customers(rep, &q).await?;
    // (attractiveness, ability to win) scores per customer, cycling through the quadrants.
    let patterns: [(u8, u8); 4] = [(5, 4), (4, 2), (2, 4), (2, 2)];
    let mut core = None;
    for (i, c) in customers.iter().enumerate() {
        let (a, w) = patterns[i % 4];
        let bump = (i / 4) as u8 % 2;
        let scores = yingpan_domain::screening::Axis::ALL
            .into_iter()
            .flat_map(|axis| {
                let base = match axis {
                    yingpan_domain::screening::Axis::Attractiveness => a,
                    yingpan_domain::screening::Axis::AbilityToWin => w,
                };
                axis.factors()
                    .iter()
                    .enumerate()
                    .map(move |(k, f)| (f.to_string(), (base + bump * (k as u8 % 2)).min(5)))
            })
            .collect();
        let at = now - Duration::days(20 - i as i64);
        let screened = store.screen_customer(rep, c.id, &scores, "", at).await?;
        if core.is_none() && screened.class == "core" {
            core = Some(c.id);
        }
    }
    let Some(customer) = core else { return Ok(()) };
    let year = yingpan_store::plan_year(now);
    let started = now - Duration::days(14);
    let d = store
        .create_account_plan(rep, customer, year, started)
        .await?;
    let id = d.plan.id;
    let next_year = year + 1;
    let content = |goal: &str| -> Result<_, StoreError> {
        let mut text = std::collections::BTreeMap::new();
        for (k, v) in [
            ("basics", "华北区域骨干企业，三个生产基地，员工约 800 人。"),
            ("purchase_history", "近两年每季度采购一次，以节能灯为主。"),
            ("needs", "二期厂房明年投产，需要整体照明节能改造。"),
            (
                "decision_process",
                "设备部提需求，采购部比价，总经理王总拍板。",
            ),
            ("opportunities", "二期扩产；政府节能补贴。"),
            ("threats", "竞品在华北降价 10%，并给 60 天账期。"),
            ("strategy", "以节能改造整体方案切入二期，锁定三年框架协议。"),
            ("resources", "技术支持一人；样品两套；高层拜访一次。"),
            ("long_term", "从单品供应商变成照明整体方案伙伴。"),
        ] {
            text.insert(k.to_string(), v.to_string());
        }
        Ok(ContentInput {
            text,
            last_year_result: None,
            this_year_goal: Some(goal.into()),
            actions: vec![
                yingpan_domain::account_plan::ActionInput {
                    key: String::new(),
                    title: "拜访王总，介绍二期节能改造方案".into(),
                    due_on: format!("{next_year}-01-10"),
                },
                yingpan_domain::account_plan::ActionInput {
                    key: String::new(),
                    title: "提交二期整体报价".into(),
                    due_on: format!("{next_year}-01-25"),
                },
            ],
        }
        .parse(year)?)
    };
    let d = store
        .save_account_plan(rep, id, d.plan.version, content("1500000")?, started)
        .await?;
    let d = store
        .account_plan_step(
            rep,
            id,
            Step::Submit,
            "",
            d.plan.version,
            started + Duration::hours(1),
        )
        .await?;
    let d = store
        .account_plan_step(
            sup,
            id,
            Step::Return,
            "目标偏保守：二期投产后至少 200 万。",
            d.plan.version,
            started + Duration::days(1),
        )
        .await?;
    let at = started + Duration::days(2);
    let d = store
        .account_plan_step(rep, id, Step::Revise, "", d.plan.version, at)
        .await?;
    let d = store
        .save_account_plan(rep, id, d.plan.version, content("2000000")?, at)
        .await?;
    let d = store
        .account_plan_step(rep, id, Step::Submit, "", d.plan.version, at)
        .await?;
    store
        .account_plan_step(
            sup,
            id,
            Step::Approve,
            "同意，注意回款。",
            d.plan.version,
            at + Duration::hours(3),
        )
        .await?;
    Ok(())
}

/// sup1's written commands to two of the team — one acknowledged but past its time, one done —
/// and a skip-level appeal to the director, unanswered.
async fn demo_tasks(
    store: &Store,
    sup: &Viewer,
    rep: &Viewer,
    other: &Viewer,
    director: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use yingpan_domain::task::{Step, TaskInput};
    let task =
        |assignee: &Viewer, title: &str, place: &str, plan: &str, check: &str, due| TaskInput {
            assignee_id: Some(assignee.user_id),
            title: Some(title.into()),
            place: Some(place.into()),
            plan: Some(plan.into()),
            check: Some(check.into()),
            due_at: Some(due),
            customer_id: None,
        };
    let given = now - Duration::days(5);
    let late = store
        .give_task(
            sup,
            &task(
                rep,
                "走访三家经销商，核实十一月库存",
                "石家庄、保定",
                "先电话约时间，带上库存核对表；每家停留不超过两小时。",
                "提交三家的库存表和照片",
                now - Duration::days(1),
            )
            .parse(given)?,
            given,
        )
        .await?;
    store
        .task_step(
            rep,
            late.id,
            Step::Acknowledge,
            "",
            late.version,
            given + Duration::hours(2),
        )
        .await?;
    let done = store
        .give_task(
            sup,
            &task(
                other,
                "为天津恒达准备二期报价",
                "",
                "按上月价目表，批量九五折以内。",
                "报价单经主管审核",
                now + Duration::days(3),
            )
            .parse(given)?,
            given,
        )
        .await?;
    store
        .task_step(
            other,
            done.id,
            Step::Complete,
            "报价单已发客户，等待回复。",
            done.version,
            now - Duration::days(2),
        )
        .await?;
    store
        .file_appeal(
            other,
            &yingpan_domain::appeal::AppealInput {
                to_id: Some(director),
                subject: Some("大客户分配".into()),
                reason: Some("本月新划入的三个大客户都给了同组同事，希望按区域重新分配。".into()),
                task_id: None,
            }
            .parse()?,
            now - Duration::hours(6),
        )
        .await?;
    Ok(())
}
