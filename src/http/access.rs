//! Who may do what, decided once per request and once per connection: the
//! id a client used (a room's edit id or its view id) and, when tokens are
//! configured, its token.
//!
//! A connection's role is the least of what its id and its token allow: a
//! view id never edits, whatever the token says, and an `edit` token used
//! on an edit id still watches only if it names the room's view id. Which
//! room an id names never changes, so the answer is cached (bounded).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::auth::{Claims, TokenError, Tokens};
use crate::domain::{Role, RoomId};
use crate::error::ApiError;
use crate::room::{Access, CloseReason};
use crate::store::{Resolved, Store, StoreError};

/// The token a request carries: `Authorization: Bearer`, else `?token=`
/// (a browser cannot set headers on a WebSocket).
#[derive(Debug, Default)]
pub struct Token(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Token {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned());
        let query = || {
            parts.uri.query().and_then(|q| {
                q.split('&')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(key, _)| *key == "token")
                    .map(|(_, value)| percent_decode(value))
            })
        };
        Ok(Self(bearer.or_else(query).filter(|t| !t.is_empty())))
    }
}

/// `%XX` and `+` as a query string encodes them; JWTs need neither, but a
/// client may encode anyway. Bad escapes are kept as they are.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why a request or connection was turned away.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("room not found")]
    NotFound,
    #[error("{0}")]
    Unauthorized(TokenError),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl Refusal {
    /// The close code of a WebSocket refused for this reason.
    pub fn close_reason(&self) -> CloseReason {
        match self {
            Self::NotFound => CloseReason::NOT_FOUND,
            Self::Unauthorized(_) | Self::Forbidden(_) => CloseReason::UNAUTHORIZED,
            Self::Store(_) => CloseReason::UNAVAILABLE,
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound => ApiError::NotFound("room not found".into()),
            Refusal::Unauthorized(e) => ApiError::Unauthorized(e.to_string()),
            Refusal::Forbidden(why) => ApiError::Forbidden(why.into()),
            Refusal::Store(e) => e.into(),
        }
    }
}

/// A request or connection let in.
#[derive(Debug, Clone)]
pub struct Admission {
    /// The room, by its edit id (what the hub and the store key on).
    pub room: RoomId,
    pub access: Access,
    /// When its token stops being valid (Unix seconds), if tokens are on.
    pub expires_at: Option<i64>,
}

pub struct Gate {
    tokens: Option<Tokens>,
    ids: Mutex<HashMap<RoomId, Resolved>>,
    max_ids: usize,
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Gate {
    pub fn new(tokens: Option<Tokens>, max_ids: usize) -> Self {
        Self {
            tokens,
            ids: Mutex::new(HashMap::new()),
            max_ids: max_ids.max(1),
        }
    }

    pub fn tokens_required(&self) -> bool {
        self.tokens.is_some()
    }

    /// The claims of a valid token; `Ok(None)` when tokens are off.
    fn claims(&self, token: &Token) -> Result<Option<Claims>, Refusal> {
        let Some(tokens) = &self.tokens else {
            return Ok(None);
        };
        let raw = token
            .0
            .as_deref()
            .ok_or(Refusal::Unauthorized(TokenError::Missing))?;
        tokens
            .verify(raw, now_secs())
            .map(Some)
            .map_err(Refusal::Unauthorized)
    }

    /// Which room `id` names, and with which role.
    async fn resolve(&self, store: &dyn Store, id: &RoomId) -> Result<Resolved, Refusal> {
        if let Some(hit) = self.lock().get(id) {
            return Ok(hit.clone());
        }
        let resolved = store.resolve(id).await?.ok_or(Refusal::NotFound)?;
        let mut ids = self.lock();
        if ids.len() >= self.max_ids {
            ids.clear();
        }
        ids.insert(id.clone(), resolved.clone());
        Ok(resolved)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RoomId, Resolved>> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lets a request or connection into the room `asked` names.
    pub async fn admit(
        &self,
        store: &dyn Store,
        asked: &RoomId,
        token: &Token,
    ) -> Result<Admission, Refusal> {
        // The token first: a request without one costs no store read.
        let claims = self.claims(token)?;
        let resolved = self.resolve(store, asked).await?;
        let Some(claims) = claims else {
            let access = match resolved.role {
                Role::Edit => Access::editor(),
                Role::View => Access::viewer(),
            };
            return Ok(Admission {
                room: resolved.room,
                access,
                expires_at: None,
            });
        };
        let mut role = resolved.role.min(claims.role);
        if claims.room != Claims::ANY_ROOM {
            let named = RoomId::parse(&claims.room)
                .map_err(|_| Refusal::Forbidden("the token is for another room"))?;
            let named = match self.resolve(store, &named).await {
                Ok(named) => named,
                Err(Refusal::NotFound) => {
                    return Err(Refusal::Forbidden("the token is for another room"));
                }
                Err(e) => return Err(e),
            };
            if named.room != resolved.room {
                return Err(Refusal::Forbidden("the token is for another room"));
            }
            role = role.min(named.role);
        }
        Ok(Admission {
            room: resolved.room,
            access: Access {
                role,
                name: claims.name.map(Into::into),
            },
            expires_at: self.tokens.as_ref().map(|t| t.expires_at(claims.exp)),
        })
    }

    /// For calls outside any one room (creating one, autocomplete): a
    /// token with role `edit` is needed, for every room (`*`) when
    /// `any_room`.
    pub fn require_editor(&self, token: &Token, any_room: bool) -> Result<(), Refusal> {
        let Some(claims) = self.claims(token)? else {
            return Ok(());
        };
        if claims.role != Role::Edit {
            return Err(Refusal::Forbidden("this needs a token with role \"edit\""));
        }
        if any_room && claims.room != Claims::ANY_ROOM {
            return Err(Refusal::Forbidden(
                "creating rooms needs a token for every room (\"room\": \"*\")",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tokens_are_decoded() {
        assert_eq!(percent_decode("a.b_c-d"), "a.b_c-d");
        assert_eq!(percent_decode("a%2Eb"), "a.b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
