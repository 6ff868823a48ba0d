//! `GET /api/v1/openapi.json`: the API description. Paths, parameters and request bodies come
//! from `openapi.json` (written by `scripts/openapi.py`, checked by tests against the router's
//! routes); the success bodies from the handlers' return types (`crate::described`).

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// Paths, parameters, request bodies and error answers.
const BASE_JSON: &str = include_str!("../openapi.json");

/// The whole document, built once: the base with every described answer's body.
pub static OPENAPI_JSON: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let doc = document(&crate::answers()).unwrap_or_else(|e| panic!("the API document: {e}"));
    serde_json::to_string(&doc).expect("the document serializes")
});

/// The base document with each answer's body schema on its success response, and the
/// schemas they name among the components.
fn document(answers: &[crate::described::Answer]) -> Result<serde_json::Value, String> {
    let mut components = crate::described::Components::new();
    let bodies: Vec<_> = answers
        .iter()
        .map(|a| (a, (a.body)(&mut components)))
        .collect();
    // A JSON request body openapi.json does not describe is described by the type the
    // handler reads (those it describes are checked against that type by a test).
    let base: serde_json::Value = serde_json::from_str(BASE_JSON).map_err(|e| e.to_string())?;
    let requests: Vec<_> = answers
        .iter()
        .filter(|a| base["paths"][a.path][a.method]["requestBody"].is_null())
        .filter_map(|a| Some((a, (a.request)(&mut components)?)))
        .collect();
    let mut generated = serde_json::Map::new();
    let mut twice = std::collections::BTreeSet::new();
    for (name, schema) in components {
        let mut schema = serde_json::to_value(schema).map_err(|e| e.to_string())?;
        integer_keys_as_text(&mut schema);
        match generated.get(&name) {
            Some(known) if *known != schema => {
                twice.insert(name);
            }
            _ => {
                generated.insert(name, schema);
            }
        }
    }
    if !twice.is_empty() {
        return Err(format!(
            "two Rust types answer as each of {twice:?}: name one with #[schema(as = …)]"
        ));
    }
    // A request body of openapi.json named like an answer's type (the PUT body
    // `Qualification` and the answer `Qualification`) is the input: it becomes `…Input`.
    let mut text = BASE_JSON.to_string();
    let mut renamed = Vec::new();
    for name in generated.keys() {
        if base["components"]["schemas"].get(name).is_some() {
            let input = format!("{name}Input");
            if base["components"]["schemas"].get(&input).is_some() {
                return Err(format!("{name} and {input} are both request bodies"));
            }
            text = text.replace(
                &format!("\"#/components/schemas/{name}\""),
                &format!("\"#/components/schemas/{input}\""),
            );
            renamed.push((name.clone(), input));
        }
    }
    let mut doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .ok_or("no components.schemas")?;
    for (name, input) in renamed {
        let body = schemas.remove(&name).unwrap_or_default();
        schemas.insert(input, body);
    }
    schemas.extend(generated);
    // Query parameters the handler's query type reads that openapi.json leaves out are
    // described by that type's fields.
    let mut query_types = crate::described::Components::new();
    for a in answers {
        let Some(read) = (a.query)(&mut query_types) else {
            continue;
        };
        let types: serde_json::Map<String, serde_json::Value> = query_types
            .iter()
            .filter_map(|(n, s)| Some((n.clone(), serde_json::to_value(s).ok()?)))
            .collect();
        let types = serde_json::Value::Object(types);
        let Some(op) = doc["paths"]
            .get_mut(a.path)
            .and_then(|p| p.get_mut(a.method))
        else {
            continue;
        };
        let known: Vec<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect();
        let mut added = Vec::new();
        for (name, schema) in properties_of(&read, &types) {
            if known.contains(&name) || QUERY_IGNORED.contains(&(a.method, a.path, name.as_str())) {
                continue;
            }
            let schema = match schema["$ref"].as_str() {
                Some(r) => types[r.rsplit('/').next().unwrap_or(r)].clone(),
                None => schema,
            };
            let mut parameter = serde_json::json!({"name": name, "in": "query", "required": false});
            if let Some(d) = schema.get("description") {
                parameter["description"] = d.clone();
            }
            parameter["schema"] = schema;
            added.push(parameter);
        }
        if !added.is_empty() {
            if !op["parameters"].is_array() {
                op["parameters"] = serde_json::json!([]);
            }
            if let Some(list) = op["parameters"].as_array_mut() {
                list.extend(added);
            }
        }
    }
    for (a, schema) in requests {
        if let Some(op) = doc["paths"]
            .get_mut(a.path)
            .and_then(|p| p.get_mut(a.method))
        {
            op["requestBody"] = serde_json::json!({
                "required": true,
                "content": {"application/json": {"schema": schema}},
            });
        }
    }
    for (a, body) in bodies {
        let responses = doc["paths"]
            .get_mut(a.path)
            .and_then(|p| p.get_mut(a.method))
            .and_then(|o| o.get_mut("responses"))
            .and_then(|r| r.as_object_mut())
            .ok_or_else(|| {
                format!(
                    "{} {} is answered but not in openapi.json",
                    a.method, a.path
                )
            })?;
        let body = match body {
            crate::described::Body::Json(body, Some(status)) => {
                // The type fixes the status: it is the one success.
                let described = responses
                    .iter()
                    .find(|(code, _)| code.starts_with('2'))
                    .map(|(_, r)| r["description"].clone())
                    .unwrap_or_else(|| "OK".into());
                responses.retain(|code, _| !code.starts_with('2'));
                responses.insert(
                    status.into(),
                    serde_json::json!({
                        "description": described,
                        "content": {"application/json": {"schema": body}},
                    }),
                );
                continue;
            }
            crate::described::Body::Json(body, None) => body,
            crate::described::Body::Undescribed => continue,
            crate::described::Body::Nothing => {
                // The handler answers 204 alone: no other success is promised.
                responses.retain(|code, _| !code.starts_with('2'));
                responses.insert(
                    "204".into(),
                    serde_json::json!({"description": "Done; no content"}),
                );
                continue;
            }
        };
        let (_, ok) = responses
            .iter_mut()
            .find(|(code, _)| code.starts_with('2') && code.as_str() != "204")
            .ok_or_else(|| format!("{} {} has no success response", a.method, a.path))?;
        ok["content"] = serde_json::json!({"application/json": {"schema": body}});
    }
    Ok(doc)
}

/// Query fields one handler's type reads for another operation, which this one ignores.
const QUERY_IGNORED: &[(&str, &str, &str)] = &[
    // The records imports share the customers import's query (no owner, no column map).
    ("post", "/contacts/import", "map"),
    ("post", "/contacts/import", "owner_id"),
    ("post", "/activities/import", "map"),
    ("post", "/activities/import", "owner_id"),
    ("post", "/orders/import", "map"),
    ("post", "/orders/import", "owner_id"),
    // The JSON answers share their export's query: the format is the export's.
    ("get", "/statistics", "format"),
    ("get", "/pay-sheets", "format"),
];

/// A schema's properties, with those of its `allOf` parts, each with its schema.
fn properties_of(
    schema: &serde_json::Value,
    schemas: &serde_json::Value,
) -> Vec<(String, serde_json::Value)> {
    let resolved = match schema["$ref"].as_str() {
        Some(r) => &schemas[r.rsplit('/').next().unwrap_or(r)],
        None => schema,
    };
    let mut out: Vec<(String, serde_json::Value)> = resolved["allOf"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|part| properties_of(part, schemas))
        .collect();
    out.extend(
        resolved["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    out
}

/// A map keyed by ids (`BTreeMap<i64, _>`) is a JSON object whose keys are text: utoipa
/// says integer.
fn integer_keys_as_text(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(m) => {
            if let Some(keys) = m.get_mut("propertyNames") {
                if keys["type"] == "integer" {
                    *keys = serde_json::json!({"type": "string", "pattern": "^-?[0-9]+$"});
                }
            }
            m.values_mut().for_each(integer_keys_as_text);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(integer_keys_as_text),
        _ => {}
    }
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON.as_str(),
    )
}

/// A parameter or a body field as the reference lists it.
struct Field {
    name: String,
    place: String,
    kind: String,
    required: bool,
    note: String,
}

struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    parameters: Vec<Field>,
    body: Option<(String, Vec<Field>)>,
    /// The success answer's title and fields.
    answer: Option<(String, Vec<Field>)>,
    responses: Vec<String>,
}

/// A named schema and its fields, listed after the operations.
struct Named {
    name: String,
    fields: Vec<Field>,
    /// Its values, for an enumeration.
    values: String,
}

struct Group {
    name: String,
    operations: Vec<Operation>,
}

#[derive(askama::Template)]
#[template(path = "api_docs.html")]
struct Reference {
    title: String,
    description: String,
    groups: Vec<Group>,
    count: usize,
    schemas: Vec<Named>,
}

fn type_of(schema: &serde_json::Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(|r| r.as_str()) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    // OpenAPI 3.1: a nullable value is a type list with "null", or a oneOf with it.
    if let Some(serde_json::Value::Array(parts)) = schema.get("oneOf") {
        let kinds: Vec<String> = parts
            .iter()
            .filter(|p| p["type"] != "null")
            .map(type_of)
            .collect();
        let nullable = kinds.len() < parts.len();
        return format!(
            "{}{}",
            kinds.join(" | "),
            if nullable { " or null" } else { "" }
        );
    }
    if let Some(serde_json::Value::Array(types)) = schema.get("type") {
        let mut one = schema.clone();
        let kinds: Vec<&serde_json::Value> = types.iter().filter(|t| *t != "null").collect();
        if let Some(first) = kinds.first() {
            one["type"] = (*first).clone();
            let nullable = kinds.len() < types.len();
            return format!(
                "{}{}",
                type_of(&one),
                if nullable { " or null" } else { "" }
            );
        }
    }
    if schema
        .get("additionalProperties")
        .is_some_and(|v| v.is_object())
    {
        return format!("map of {}", type_of(&schema["additionalProperties"]));
    }
    let t = schema
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("object");
    match (t, schema.get("items"), schema.get("enum")) {
        ("array", Some(items), _) => format!("array of {}", type_of(items)),
        (_, _, Some(serde_json::Value::Array(values))) => {
            let v: Vec<String> = values
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect();
            format!("{t}: {}", v.join(" | "))
        }
        _ => match schema.get("format").and_then(|f| f.as_str()) {
            Some(f) => format!("{t} ({f})"),
            None => t.to_string(),
        },
    }
}

/// A schema's fields, with those of its `allOf` parts (a flattened type) and of the schemas
/// it names.
fn fields_of(schema: &serde_json::Value, schemas: &serde_json::Value, place: &str) -> Vec<Field> {
    let resolved = match schema["$ref"].as_str() {
        Some(r) => &schemas[r.rsplit('/').next().unwrap_or(r)],
        None => schema,
    };
    let mut fields: Vec<Field> = resolved["allOf"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|part| fields_of(part, schemas, place))
        .collect();
    let required: Vec<&str> = resolved["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
        .collect();
    fields.extend(
        resolved["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(n, f)| Field {
                name: n.clone(),
                place: place.into(),
                kind: type_of(f),
                required: required.contains(&n.as_str()),
                note: f["description"].as_str().unwrap_or_default().to_string(),
            }),
    );
    fields
}

/// A body's title (media type and schema name) and fields.
fn body_of(
    content: &serde_json::Value,
    schemas: &serde_json::Value,
    place: &str,
) -> Option<(String, Vec<Field>)> {
    let (media, c) = content.as_object()?.iter().next()?;
    let schema = &c["schema"];
    let name = match schema["$ref"].as_str() {
        Some(r) => format!("{media} · {}", r.rsplit('/').next().unwrap_or(r)),
        None => format!("{media} · {}", type_of(schema)),
    };
    Some((name, fields_of(schema, schemas, place)))
}

/// The document as a page a person reads: operations grouped by their first path segment,
/// each with its parameters, its request body's fields and its answers. Server-rendered from
/// the same JSON, so it works offline and never disagrees with it.
fn reference() -> Reference {
    let doc: serde_json::Value = serde_json::from_str(&OPENAPI_JSON).expect("the document parses");
    let schemas = &doc["components"]["schemas"];
    let mut groups: Vec<Group> = Vec::new();
    let mut count = 0;
    if let Some(paths) = doc["paths"].as_object() {
        for (path, ops) in paths {
            let group = path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string();
            for (method, op) in ops.as_object().into_iter().flatten() {
                count += 1;
                let parameters = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| Field {
                        name: p["name"].as_str().unwrap_or_default().to_string(),
                        place: p["in"].as_str().unwrap_or_default().to_string(),
                        kind: type_of(&p["schema"]),
                        required: p["required"].as_bool().unwrap_or(false),
                        note: p["description"].as_str().unwrap_or_default().to_string(),
                    })
                    .collect();
                let body = body_of(&op["requestBody"]["content"], schemas, "body");
                let answer = op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .find(|(code, _)| code.starts_with('2'))
                    .and_then(|(code, r)| {
                        let (name, fields) = body_of(&r["content"], schemas, "answer")?;
                        Some((format!("{code} {name}"), fields))
                    });
                let responses = op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(code, _)| code.clone())
                    .collect();
                let operation = Operation {
                    anchor: format!("{method}-{path}")
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                        .collect(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"].as_str().unwrap_or_default().to_string(),
                    parameters,
                    body,
                    answer,
                    responses,
                };
                match groups.iter_mut().find(|g| g.name == group) {
                    Some(g) => g.operations.push(operation),
                    None => groups.push(Group {
                        name: group.clone(),
                        operations: vec![operation],
                    }),
                }
            }
        }
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    let named = schemas
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| Named {
            name: name.clone(),
            fields: fields_of(schema, schemas, ""),
            values: if schema.get("enum").is_some() {
                type_of(schema)
            } else {
                String::new()
            },
        })
        .collect();
    Reference {
        schemas: named,
        title: doc["info"]["title"].as_str().unwrap_or("API").to_string(),
        description: doc["info"]["description"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        groups,
        count,
    }
}

static REFERENCE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    askama::Template::render(&reference()).expect("the reference renders")
});

async fn docs() -> impl IntoResponse {
    axum::response::Html(REFERENCE.as_str())
}

pub fn router() -> Router<crate::AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/docs", get(docs))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reference_lists_every_operation_with_its_fields() {
        let doc: serde_json::Value = serde_json::from_str(&super::OPENAPI_JSON).unwrap();
        let operations: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|o| o.as_object().unwrap().len())
            .sum();
        let r = super::reference();
        assert_eq!(r.count, operations);
        let html = super::REFERENCE.as_str();
        assert_eq!(html.matches("class=\"operation\"").count(), operations);
        // A body's fields are spelled out, required ones marked.
        assert!(
            html.contains("POST</span> <code>/api/v1/webhooks</code>"),
            "webhooks"
        );
        assert!(html.contains("<code>skip_rejected</code>"));
        // Answers list their fields, and the types they name are listed after the operations.
        assert!(
            html.contains("Answer: 200 application/json · Customer</caption>"),
            "a customer's answer"
        );
        assert!(html.contains("id=\"schema-Customer\""));
        assert!(html.contains("<code>owner_name</code>"));
        assert!(
            !html.contains("<script"),
            "a page that works without scripts or the network"
        );
    }

    #[test]
    fn document_parses_and_names_every_contract_path() {
        let doc: serde_json::Value = serde_json::from_str(&super::OPENAPI_JSON).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        for p in [
            "/auth/login",
            "/me",
            "/users",
            "/users/{id}",
            "/users/{id}/deactivate",
            "/customers",
            "/customers/{id}",
            "/customers/{id}/activities",
            "/customers/{id}/claim",
            "/pool",
            "/customers/{id}/contacts",
            "/contacts/{id}",
            "/audit",
            "/organization",
        ] {
            assert!(
                doc["paths"].get(p).is_some(),
                "{p} missing from openapi.json"
            );
        }
    }

    /// Every API route the code registers is described (regenerate with scripts/openapi.py).
    #[test]
    fn every_api_route_is_documented() {
        let doc: serde_json::Value = serde_json::from_str(&super::OPENAPI_JSON).unwrap();
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut missing = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(src).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("\"/api/v1/").skip(1) {
                let path = format!("/{}", &part[..part.find('"').unwrap()]);
                if path.contains(' ') || path == "/" {
                    continue;
                }
                seen += 1;
                if doc["paths"].get(&path).is_none() {
                    missing.push(path);
                }
            }
        }
        assert!(seen > 30, "found only {seen} routes");
        assert!(missing.is_empty(), "undocumented routes: {missing:?}");
    }
}

#[cfg(test)]
mod answers {
    use serde_json::Value;

    fn references(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| references(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| references(v, out)),
            _ => {}
        }
    }

    /// Every described answer lands on an operation of openapi.json, and every schema the
    /// document names is in it.
    #[test]
    fn answers_land_on_operations_and_references_resolve() {
        let doc = super::document(&crate::answers()).unwrap();
        let mut refs = Vec::new();
        references(&doc, &mut refs);
        for r in refs {
            let target = r
                .trim_start_matches("#/")
                .split('/')
                .fold(&doc, |v, k| &v[k]);
            assert!(!target.is_null(), "{r} does not resolve");
        }
        let body = &doc["paths"]["/customers/{id}"]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        assert_eq!(body["$ref"], "#/components/schemas/Customer");
        // A hand-built JSON tree describes nothing: no answer may name it.
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        assert!(
            schemas.keys().all(|k| !k.starts_with("Value")),
            "an answer typed as serde_json::Value"
        );
        let customer = &doc["components"]["schemas"]["Customer"];
        assert!(customer.to_string().contains("owner_name"), "{customer}");
    }
}

#[cfg(test)]
mod coverage {
    /// Every success answer has a described body: JSON from its handler's type (a handler that
    /// builds its JSON by hand describes nothing), a file's media type from openapi.json, or
    /// nothing at all (204).
    #[test]
    fn every_success_body_is_described() {
        let doc = super::document(&crate::answers()).unwrap();
        let mut undescribed = Vec::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                let ok = responses
                    .iter()
                    .find(|(c, _)| c.starts_with('2') && c.as_str() != "204");
                if ok.is_some_and(|(_, r)| r.get("content").is_none()) {
                    undescribed.push(format!("{method} {path}"));
                }
            }
        }
        assert!(undescribed.is_empty(), "no body described: {undescribed:?}");
    }
}

#[cfg(test)]
mod requests {
    use crate::described::{Answer, Components, Reads};
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn property_names(schema: &Value, schemas: &Value, out: &mut BTreeSet<String>) {
        let resolved = match schema["$ref"].as_str() {
            Some(r) => &schemas[r.rsplit('/').next().unwrap()],
            None => schema,
        };
        for part in resolved["allOf"].as_array().into_iter().flatten() {
            property_names(part, schemas, out);
        }
        out.extend(
            resolved["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone()),
        );
    }

    /// Compares, for every operation whose handler reads a part (`read`), the fields its
    /// type reads with those the document names (`named`), less the fields `ignored` by that
    /// operation; answers how many were checked and the disagreements.
    fn compare(
        read: fn(&Answer) -> Reads,
        named: impl Fn(&Value, &Answer) -> BTreeSet<String>,
        ignored: &[(&str, &str, &str)],
    ) -> (usize, Vec<String>) {
        let doc = super::document(&crate::answers()).unwrap();
        let mut components = Components::new();
        let mut mismatches = Vec::new();
        let mut checked = 0;
        for a in crate::answers() {
            let Some(schema) = read(&a)(&mut components) else {
                continue;
            };
            let generated: serde_json::Map<String, Value> = components
                .iter()
                .map(|(n, s)| (n.clone(), serde_json::to_value(s).unwrap()))
                .collect();
            let mut code = BTreeSet::new();
            property_names(&schema, &Value::Object(generated), &mut code);
            code.retain(|f| !ignored.contains(&(a.method, a.path, f.as_str())));
            let document = named(&doc, &a);
            checked += 1;
            if code != document {
                mismatches.push(format!(
                    "{} {}: only in the code {:?}, only in openapi.json {:?}",
                    a.method,
                    a.path,
                    code.difference(&document).collect::<Vec<_>>(),
                    document.difference(&code).collect::<Vec<_>>()
                ));
            }
        }
        (checked, mismatches)
    }

    /// The request bodies openapi.json describes name the fields the handlers' input types read:
    /// a field the server ignores, or one it reads that the document leaves out, fails here.
    #[test]
    fn request_bodies_name_the_fields_the_handlers_read() {
        // Fields one input type reads for another operation, which this one ignores.
        const IGNORED: &[(&str, &str, &str)] = &[
            // An opportunity is opened without a version, and stays with its customer.
            ("post", "/opportunities", "version"),
            ("patch", "/opportunities/{id}", "customer_id"),
        ];
        let (checked, mismatches) = compare(
            |a| a.request,
            |doc, a| {
                let described = &doc["paths"][a.path][a.method]["requestBody"]["content"]
                    ["application/json"]["schema"];
                let mut document = BTreeSet::new();
                property_names(described, &doc["components"]["schemas"], &mut document);
                document
            },
            IGNORED,
        );
        assert!(checked > 80, "{checked} request bodies");
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }

    /// The query parameters of the document are the fields the handlers' query types read:
    /// those openapi.json leaves out are added from the type, so this fails on a parameter
    /// openapi.json names that the handler ignores (`cf.<key>`, read from the raw query, aside).
    #[test]
    fn query_parameters_are_the_fields_the_handlers_read() {
        let (checked, mismatches) = compare(
            |a| a.query,
            |doc, a| {
                doc["paths"][a.path][a.method]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str())
                    .filter(|n| !n.contains('<'))
                    .map(str::to_string)
                    .collect()
            },
            super::QUERY_IGNORED,
        );
        assert!(checked > 40, "{checked} query types");
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }
}
