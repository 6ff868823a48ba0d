//! Body extractors whose rejections speak the API's error format.

use crate::error::AppError;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

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
        match axum::Json::<T>::from_request(req, state).await {
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
