//! The HTTP layer's one error type, answered as RFC 9457 problem+json.
//! Internal failures are logged with their cause and answered generically:
//! a client never reads a database's error text.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::room::HistoryError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is well-formed JSON but says something invalid.
    #[error("{0}")]
    BadRequest(String),
    /// 401: tokens are required and this request has no valid one.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: refused by policy (a WebSocket from a foreign `Origin`, or a
    /// valid token that does not grant this request).
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such room (or route).
    #[error("{0}")]
    NotFound(String),
    /// 422: a required field is missing or has the wrong type.
    #[error("{0}")]
    Unprocessable(String),
    /// 409: the request conflicts with what the room holds or may hold.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is over its limit.
    #[error("{0}")]
    TooLarge(String),
    /// 415: a body that is not `application/json`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429: a rate limit; the value is the seconds to wait.
    #[error("too many requests, retry in {0} s")]
    TooManyRequests(u64),
    /// 503: the store or bus is unreachable; logged, detail is generic.
    #[error("service unavailable")]
    Unavailable(String),
    /// 500: a bug; logged, detail is generic.
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Problem<'a> {
    r#type: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::Internal("room id collision".into()),
            StoreError::Corrupt(m) => Self::Internal(m),
            StoreError::Backend(m) => Self::Unavailable(m),
            StoreError::Limit(m) => Self::Conflict(m.into()),
        }
    }
}

impl From<HistoryError> for ApiError {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Unavailable => Self::Unavailable("the room could not be opened".into()),
            HistoryError::Refused(why) => Self::Conflict(why.into()),
            HistoryError::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(cause) => tracing::error!(%cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(%cause, "backend unavailable"),
            _ => {}
        }
        let title = status.canonical_reason().unwrap_or("Error");
        let body = Problem {
            r#type: "about:blank",
            title,
            status: status.as_u16(),
            detail: self.to_string(),
        };
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Self::Unauthorized(_) = self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Self::TooManyRequests(secs) = self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
