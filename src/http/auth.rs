//! Signed access tokens, for products that put pairprog behind their own
//! login: compact JWTs (RFC 7519) signed with HS256 (a shared secret) or
//! EdDSA/Ed25519 (the product keeps the private key, pairprog the public
//! one).
//!
//! Hand-assembled from `hmac` + `sha2` and `ed25519-dalek` rather than a
//! JWT crate: two algorithms and five claims are a page of code, where
//! `jsonwebtoken` brings a choice of crypto backends (`aws-lc-rs`, or
//! RSA and NIST curves through `rust_crypto`) that nothing here uses.
//! Only the algorithm whose key is configured is accepted (never `none`,
//! never one chosen by the token alone); signatures are compared in
//! constant time (HMAC) or verified strictly (Ed25519).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, VerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::domain::Role;
use crate::settings::AuthSettings;

/// The claims pairprog reads; others (`sub`, `iat`, `iss`...) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// The room's edit or view id, or `*` for every room.
    pub room: String,
    pub role: Role,
    /// Shown to the others as this participant's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Expiry, Unix seconds: required.
    pub exp: i64,
    #[serde(default)]
    pub nbf: Option<i64>,
}

impl Claims {
    pub const ANY_ROOM: &'static str = "*";
}

/// Why a token was refused. The text is for the client: it names what is
/// wrong without echoing the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("a token is required (?token= or Authorization: Bearer)")]
    Missing,
    #[error("the token is too long")]
    TooLong,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not accepted here")]
    Algorithm,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token's claims are invalid: {0}")]
    Claims(&'static str),
}

/// A key setting that cannot be used; start-up is refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid auth setting: {0}")]
pub struct KeyError(String);

/// Longest display name a token may carry, in characters.
const MAX_NAME_CHARS: usize = 64;

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the key's
/// 32 bytes follow.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

pub struct Tokens {
    secret: Option<Vec<u8>>,
    public_key: Option<VerifyingKey>,
    leeway_secs: i64,
    max_bytes: usize,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

impl Tokens {
    /// `None` when no key is configured: tokens are then not used at all.
    pub fn from_settings(settings: &AuthSettings) -> Result<Option<Self>, KeyError> {
        if !settings.enabled() {
            return Ok(None);
        }
        let public_key = settings
            .token_public_key
            .as_deref()
            .map(parse_public_key)
            .transpose()?;
        Ok(Some(Self {
            secret: settings
                .token_secret
                .as_ref()
                .map(|s| s.expose().as_bytes().to_vec()),
            public_key,
            leeway_secs: i64::try_from(settings.leeway_secs).unwrap_or(i64::MAX),
            max_bytes: settings.max_token_bytes,
        }))
    }

    /// Checks a token's signature and dates at `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        if token.len() > self.max_bytes {
            return Err(TokenError::TooLong);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(header)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let signed = &token[..header_and_payload_len(token)];
        match header.alg.as_str() {
            "HS256" => {
                let secret = self.secret.as_deref().ok_or(TokenError::Algorithm)?;
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(secret).map_err(|_| TokenError::Algorithm)?;
                mac.update(signed.as_bytes());
                mac.verify_slice(&signature)
                    .map_err(|_| TokenError::Signature)?;
            }
            "EdDSA" | "Ed25519" => {
                let key = self.public_key.as_ref().ok_or(TokenError::Algorithm)?;
                let signature =
                    Signature::from_slice(&signature).map_err(|_| TokenError::Signature)?;
                key.verify_strict(signed.as_bytes(), &signature)
                    .map_err(|_| TokenError::Signature)?;
            }
            _ => return Err(TokenError::Algorithm),
        }
        let claims: Claims = decode_json(payload)?;
        if claims.exp.saturating_add(self.leeway_secs) <= now {
            return Err(TokenError::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(self.leeway_secs))
        {
            return Err(TokenError::NotYetValid);
        }
        check_claims(&claims)?;
        Ok(claims)
    }

    /// When a token valid at `exp` stops being so, leeway included.
    pub fn expires_at(&self, exp: i64) -> i64 {
        exp.saturating_add(self.leeway_secs)
    }
}

/// Signs `claims` with HS256: what a product's backend does to mint a
/// token, here for tests and tools.
pub fn sign_hs256(secret: &[u8], claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(signed.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signed}.{signature}")
}

fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

fn check_claims(claims: &Claims) -> Result<(), TokenError> {
    let room_ok =
        claims.room == Claims::ANY_ROOM || crate::domain::RoomId::parse(&claims.room).is_ok();
    if !room_ok {
        return Err(TokenError::Claims("`room` must be a room id or \"*\""));
    }
    if let Some(name) = &claims.name {
        let trimmed = name.trim();
        if trimmed.is_empty()
            || trimmed.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(TokenError::Claims(
                "`name` must be 1 to 64 characters without control characters",
            ));
        }
    }
    Ok(())
}

/// An Ed25519 public key as PEM (`-----BEGIN PUBLIC KEY-----`), or as
/// base64 of its 32 raw bytes or of the DER SubjectPublicKeyInfo.
pub fn parse_public_key(raw: &str) -> Result<VerifyingKey, KeyError> {
    let body: String = raw
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let body = body.trim_end_matches('=');
    let bytes = STANDARD_NO_PAD
        .decode(body)
        .or_else(|_| URL_SAFE_NO_PAD.decode(body))
        .map_err(|_| KeyError("auth.token_public_key is not base64 or PEM".into()))?;
    let raw_key = match bytes.len() {
        32 => &bytes[..],
        44 if bytes[..12] == ED25519_SPKI_PREFIX => &bytes[12..],
        _ => {
            return Err(KeyError(
                "auth.token_public_key must be an Ed25519 public key (32 bytes, or its SPKI)"
                    .into(),
            ));
        }
    };
    let mut key = [0u8; 32];
    key.copy_from_slice(raw_key);
    VerifyingKey::from_bytes(&key)
        .map_err(|_| KeyError("auth.token_public_key is not a valid Ed25519 point".into()))
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
