//! Extractors whose rejections speak the API's error format: bodies (JSON, forms), the query
//! string and path parameters. Each refuses text with control characters (NUL and the like,
//! which PostgreSQL cannot store and no person types) with a 422 naming the field, before any
//! handler sees it.

use crate::error::AppError;
use crate::i18n::Locale;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Control characters other than tab and line breaks.
pub fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The path of the first JSON string (or key) holding a control character.
fn json_control_field(v: &Value, path: &str) -> Option<String> {
    match v {
        Value::String(s) if has_control(s) => Some(path.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| json_control_field(x, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if has_control(k) {
                Some(p)
            } else {
                json_control_field(x, &p)
            }
        }),
        _ => None,
    }
}

/// Control characters reach JSON text only escaped (`\u0000`–`\u001f`, `\u007f`) or as raw
/// C1 characters (UTF-8 `C2 80`–`C2 9F`); only a body holding one of those is looked at closely.
fn json_may_hold_control(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"\\u00")
        || bytes
            .windows(2)
            .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
}

/// Urlencoded text: a control character is percent-encoded (`%00`–`%1F`, `%7F`, `%C2%80`…)
/// or, from a careless client, raw.
fn urlencoded_may_hold_control(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| *b < 0x20 || *b == 0x7F)
        || bytes.windows(3).any(|w| {
            w[0] == b'%'
                && matches!(
                    (w[1].to_ascii_uppercase(), w[2].to_ascii_uppercase()),
                    (b'0' | b'1', _) | (b'7', b'F') | (b'C', b'2')
                )
        })
}

/// The first urlencoded field whose name or value holds a control character.
pub fn urlencoded_control_field(bytes: &[u8]) -> Option<String> {
    if !urlencoded_may_hold_control(bytes) {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).unwrap_or_default();
    pairs
        .into_iter()
        .find(|(k, v)| has_control(k) || has_control(v))
        .map(|(k, _)| k)
}

fn control_error(field: String) -> AppError {
    AppError::InvalidText { field }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// JSON body; malformed, non-UTF-8, oversized or mistyped bodies become a 400/413/415
/// with a stable code and the offending field where serde names one.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(AppError::BadRequest {
                code: "unsupported_media_type",
                message: "send the body as application/json".into(),
            });
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest {
                code: "payload_too_large",
                message: "the request body is too large".into(),
            })?;
        if json_may_hold_control(&bytes) {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                if let Some(field) = json_control_field(&v, "") {
                    return Err(control_error(field));
                }
            }
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> AppError {
    let status = rej.status();
    let text = rej.body_text();
    if status == StatusCode::PAYLOAD_TOO_LARGE || text.contains("length limit") {
        return AppError::BadRequest {
            code: "payload_too_large",
            message: "the request body is too large".into(),
        };
    }
    match rej {
        JsonRejection::MissingJsonContentType(_) => AppError::BadRequest {
            code: "unsupported_media_type",
            message: "send the body as application/json".into(),
        },
        JsonRejection::JsonDataError(_) => AppError::BadRequest {
            code: "invalid_field",
            message: text,
        },
        _ => AppError::BadRequest {
            code: "invalid_json",
            message: format!("the body is not valid UTF-8 JSON: {text}"),
        },
    }
}

/// Form body (application/x-www-form-urlencoded) with the same error mapping.
pub struct FormBody<T>(pub T);

impl<S, T> FromRequest<S> for FormBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(field) = req
            .uri()
            .query()
            .and_then(|q| urlencoded_control_field(q.as_bytes()))
        {
            return Err(control_error(field));
        }
        let (parts, body) = req.into_parts();
        let bytes =
            axum::body::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(|_| AppError::BadRequest {
                    code: "payload_too_large",
                    message: "the request body is too large".into(),
                })?;
        if let Some(field) = urlencoded_control_field(&bytes) {
            return Err(control_error(field));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(FormBody(v)),
            Err(FormRejection::BytesRejection(_)) => Err(AppError::BadRequest {
                code: "payload_too_large",
                message: "the request body is too large".into(),
            }),
            Err(rej) => Err(AppError::BadRequest {
                code: "invalid_form",
                message: rej.body_text(),
            }),
        }
    }
}

/// How an extractor's refusal is answered: the JSON envelope under `/api/`, an error page
/// elsewhere.
pub struct Refusal {
    api: bool,
    error: AppError,
}

impl Refusal {
    fn new(parts: &Parts, error: AppError) -> Self {
        Self {
            api: parts.uri.path().starts_with("/api/"),
            error,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        if self.api {
            self.error.into_response()
        } else {
            self.error.into_page(Locale::ZhCn)
        }
    }
}

/// The query string, parsed; refuses control characters and unparsable values with the
/// envelope (axum's own answers plain text).
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        if let Some(field) = urlencoded_control_field(raw.as_bytes()) {
            return Err(Refusal::new(parts, control_error(field)));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(raw));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let field = e.path().to_string();
                Refusal::new(
                    parts,
                    AppError::InvalidParameter {
                        code: "invalid_query",
                        field,
                        message: e.inner().to_string(),
                    },
                )
            })
    }
}

fn form_urlencoded_parse(raw: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(raw.as_bytes())
}

/// Path parameters, parsed; an unparsable one (`/customers/abc`, an id past `i64`) is a 400
/// in the envelope naming the parameter.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(rej) => {
                let (field, message) = match &rej {
                    PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                        ErrorKind::ParseErrorAtKey { key, value, .. } => {
                            (key.clone(), format!("{value:?} is not a valid value"))
                        }
                        ErrorKind::ParseErrorAtIndex { index, value, .. } => {
                            (index.to_string(), format!("{value:?} is not a valid value"))
                        }
                        ErrorKind::ParseError { value, .. } => {
                            // One parameter parsed as a whole: name it from the raw params.
                            let key =
                                axum::extract::RawPathParams::from_request_parts(parts, state)
                                    .await
                                    .ok()
                                    .and_then(|raw| {
                                        raw.iter()
                                            .find(|(_, v)| v == value)
                                            .map(|(k, _)| k.to_string())
                                    })
                                    .unwrap_or_default();
                            (key, format!("{value:?} is not a valid value"))
                        }
                        other => (String::new(), other.to_string()),
                    },
                    other => (String::new(), other.body_text()),
                };
                Err(Refusal::new(
                    parts,
                    AppError::InvalidParameter {
                        code: "invalid_path",
                        field,
                        message,
                    },
                ))
            }
        }
    }
}
