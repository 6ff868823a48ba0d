//! What the API answers with, read from the handlers' return types (issue 16).
//!
//! Each API module lists its handlers beside their method and path (`answers()`); the
//! handler's return type gives the success body, whose schema `utoipa` derives from the Rust
//! type itself. So the document's response bodies cannot drift from what the code serializes,
//! and Schemathesis checks every answer against them.

use crate::error::AppError;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use std::future::Future;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

/// Named schemas an answer refers to, as utoipa collects them.
pub(crate) type Components = Vec<(String, RefOr<Schema>)>;

/// Reads the schema of one part of a request, if the handler reads that part.
pub(crate) type Reads = fn(&mut Components) -> Option<Value>;

/// One operation's success body.
pub(crate) struct Answer {
    pub method: &'static str,
    pub path: &'static str,
    pub body: fn(&mut Components) -> Body,
    /// The JSON request body the handler reads, if any.
    pub request: Reads,
    /// The query string's fields the handler reads, if any.
    pub query: Reads,
}

/// What an operation answers when it succeeds.
pub(crate) enum Body {
    /// JSON of this schema, with the status when the type fixes it (201, 202).
    Json(Value, Option<&'static str>),
    /// 204, nothing.
    Nothing,
    /// Not described by the code (a file, or JSON built by hand).
    Undescribed,
}

/// The answer of `handler`, served at `method` `path` (the path as under `/api/v1`).
pub(crate) fn answer<H, M>(method: &'static str, path: &'static str, _handler: H) -> Answer
where
    H: Handles<M>,
    H::Output: Answered,
    M: Inputs,
{
    Answer {
        method,
        path,
        body: <H::Output as Answered>::body,
        request: <M as Inputs>::body,
        query: <M as Inputs>::query,
    }
}

/// Which part of a request an input describes.
#[derive(Clone, Copy)]
pub(crate) enum Part {
    Body,
    Query,
}

/// A handler argument: a JSON body (`JsonBody<T>`) describes the request's body, a query
/// (`Query<T>`) its parameters; other extractors describe neither.
pub(crate) trait Input {
    fn describes(_: Part, _: &mut Components) -> Option<Value> {
        None
    }
}

impl<S> Input for axum::extract::State<S> {}
impl Input for crate::auth::CurrentUser {}
impl Input for crate::auth::LoginClient {}
impl<T> Input for crate::extract::Path<T> {}
impl<T> Input for axum::extract::Path<T> {}
impl<T: ToSchema> Input for crate::extract::Query<T> {
    fn describes(part: Part, components: &mut Components) -> Option<Value> {
        match part {
            Part::Query => json_schema_of::<T>(components),
            Part::Body => None,
        }
    }
}
impl Input for axum::body::Bytes {}
impl Input for axum::http::HeaderMap {}
impl Input for axum_extra::extract::CookieJar {}

impl<T: ToSchema> Input for crate::extract::JsonBody<T> {
    fn describes(part: Part, components: &mut Components) -> Option<Value> {
        match part {
            Part::Body => json_schema_of::<T>(components),
            Part::Query => None,
        }
    }
}

fn json_schema_of<T: ToSchema>(components: &mut Components) -> Option<Value> {
    match schema_of::<T>(components) {
        Body::Json(schema, _) => Some(schema),
        _ => None,
    }
}

/// A handler's arguments: the first that describes a part describes it.
pub(crate) trait Inputs {
    fn describes(part: Part, components: &mut Components) -> Option<Value>;

    fn body(components: &mut Components) -> Option<Value> {
        Self::describes(Part::Body, components)
    }

    fn query(components: &mut Components) -> Option<Value> {
        Self::describes(Part::Query, components)
    }
}

/// Calls `$m!` for every number of handler arguments up to seven (axum's extractors, the last
/// one the body), naming the types of one call `A, B, …`.
macro_rules! for_each_arity {
    ($m:ident) => {
        $m!();
        $m!(A);
        $m!(A, B);
        $m!(A, B, C);
        $m!(A, B, C, D);
        $m!(A, B, C, D, E);
        $m!(A, B, C, D, E, G);
        $m!(A, B, C, D, E, G, H);
    };
}

macro_rules! inputs {
    ($($arg:ident),*) => {
        impl<$($arg: Input,)*> Inputs for ($($arg,)*) {
            #[allow(unused_variables)]
            fn describes(part: Part, components: &mut Components) -> Option<Value> {
                None$(.or_else(|| <$arg as Input>::describes(part, components)))*
            }
        }
    };
}
for_each_arity!(inputs);

/// A handler's output type, whatever its extractors (the marker `M` is their tuple, as in
/// axum's own `Handler`).
pub(crate) trait Handles<M> {
    type Output;
}

macro_rules! handles {
    ($($arg:ident),*) => {
        impl<F, Fut, $($arg,)*> Handles<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut,
            Fut: Future,
        {
            type Output = Fut::Output;
        }
    };
}
for_each_arity!(handles);

/// A handler result whose success body has a schema.
pub(crate) trait Answered {
    /// The body's schema, with the named schemas it refers to added to `components`.
    fn body(components: &mut Components) -> Body;
}

/// A reference to `T`'s named schema, or `T`'s schema itself when it is a container
/// (`Vec`, a map) that has no name of its own; None for a JSON tree built by hand
/// (`serde_json::Value`), which describes nothing.
pub(crate) fn schema_of<T: ToSchema>(components: &mut Components) -> Body {
    let name = T::name();
    if name == "Value" {
        return Body::Undescribed;
    }
    T::schemas(components);
    let schema = T::schema();
    if matches!(name.as_ref(), "Vec" | "BTreeMap" | "HashMap" | "Option") {
        return Body::Json(
            serde_json::to_value(schema).expect("a schema serializes"),
            None,
        );
    }
    components.push((name.to_string(), schema));
    Body::Json(
        json!({"$ref": format!("#/components/schemas/{name}")}),
        None,
    )
}

impl<T: ToSchema> Answered for Result<Json<T>, AppError> {
    fn body(components: &mut Components) -> Body {
        schema_of::<T>(components)
    }
}

impl<T: ToSchema> Answered for Result<(StatusCode, Json<T>), AppError> {
    fn body(components: &mut Components) -> Body {
        schema_of::<T>(components)
    }
}

impl<T: ToSchema> Answered for Json<T> {
    fn body(components: &mut Components) -> Body {
        schema_of::<T>(components)
    }
}

impl<T: ToSchema> Answered for Result<(axum_extra::extract::CookieJar, Json<T>), AppError> {
    fn body(components: &mut Components) -> Body {
        schema_of::<T>(components)
    }
}

/// 201 Created with the JSON of what was created.
pub(crate) struct Created<T>(pub T);

/// 202 Accepted: queued, with what says where it went.
pub(crate) struct Accepted<T>(pub T);

impl<T: Serialize> axum::response::IntoResponse for Created<T> {
    fn into_response(self) -> axum::response::Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

impl<T: Serialize> axum::response::IntoResponse for Accepted<T> {
    fn into_response(self) -> axum::response::Response {
        (StatusCode::ACCEPTED, Json(self.0)).into_response()
    }
}

fn with_status(body: Body, status: &'static str) -> Body {
    match body {
        Body::Json(schema, _) => Body::Json(schema, Some(status)),
        other => other,
    }
}

impl<T: ToSchema> Answered for Result<Created<T>, AppError> {
    fn body(components: &mut Components) -> Body {
        with_status(schema_of::<T>(components), "201")
    }
}

impl<T: ToSchema> Answered for Result<Accepted<T>, AppError> {
    fn body(components: &mut Components) -> Body {
        with_status(schema_of::<T>(components), "202")
    }
}

/// A file (CSV, vCard, iCalendar) or an answer whose form depends on the request: described
/// by openapi.json alone.
impl Answered for Result<axum::response::Response, AppError> {
    fn body(_: &mut Components) -> Body {
        Body::Undescribed
    }
}

/// A removal: 204 No Content.
impl Answered for Result<StatusCode, AppError> {
    fn body(_: &mut Components) -> Body {
        Body::Nothing
    }
}

/// The id of what a request created.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct NewId {
    pub id: i64,
}

/// The API's list answer: `{"items": [...], "total": n}`, with `page` and `per_page` when the
/// list is paged.
#[derive(Debug, Serialize)]
pub(crate) struct Listing<T> {
    pub items: Vec<T>,
    pub total: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<i64>,
    /// There are more than `total`: a broad search counts its matches up to a cap.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_capped: bool,
}

impl<T> Listing<T> {
    /// Everything there is (`total` is the number of items).
    pub fn all(items: Vec<T>) -> Self {
        Self {
            total: items.len() as i64,
            items,
            page: None,
            per_page: None,
            total_capped: false,
        }
    }

    /// Some of `total` (the first ones, or those on a page the request did not name).
    pub fn counted<N>(items: Vec<T>, total: N) -> Self
    where
        i64: TryFrom<N>,
    {
        Self {
            items,
            total: i64::try_from(total).unwrap_or(i64::MAX),
            page: None,
            per_page: None,
            total_capped: false,
        }
    }

    /// One page of `total`.
    pub fn page(items: Vec<T>, total: i64, page: i64, per_page: i64) -> Self {
        Self {
            items,
            total,
            page: Some(page),
            per_page: Some(per_page),
            total_capped: false,
        }
    }

    /// One page of the first `cap` of `counted` items, where `counted` is `cap + 1` when there
    /// are more (`CustomerListQuery::search_cap`).
    pub fn page_capped(items: Vec<T>, counted: i64, cap: i64, page: i64, per_page: i64) -> Self {
        Self {
            total_capped: counted > cap,
            ..Self::page(items, counted.min(cap), page, per_page)
        }
    }
}

fn integer() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
}

// By hand rather than derived: utoipa names every `Listing<T>` alike and leaves `T`'s own schema
// out of the components it collects.
impl<T: ToSchema> PartialSchema for Listing<T> {
    fn schema() -> RefOr<Schema> {
        let item = RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()));
        ObjectBuilder::new()
            .property("items", ArrayBuilder::new().items(item))
            .required("items")
            .property(
                "total",
                integer().description(Some("how many there are in all")),
            )
            .required("total")
            .property("page", integer())
            .property("per_page", integer())
            .property(
                "total_capped",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some(
                        "present and true when there are more than `total` (a broad search counts its matches up to a limit)",
                    )),
            )
            .into()
    }
}

impl<T: ToSchema> ToSchema for Listing<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("{}List", T::name()).into()
    }

    fn schemas(components: &mut Components) {
        T::schemas(components);
        components.push((T::name().to_string(), T::schema()));
    }
}
