//! Token verification, case by case, with tokens minted here.

#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::json;

use super::*;
use crate::settings::Secret;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const NOW: i64 = 1_800_000_000;

fn settings(secret: Option<&str>, public_key: Option<String>) -> AuthSettings {
    let mut settings = crate::settings::Settings::defaults().auth;
    settings.token_secret = secret.map(|s| serde_json::from_value::<Secret>(json!(s)).unwrap());
    settings.token_public_key = public_key;
    settings
}

fn hs256_tokens() -> Tokens {
    Tokens::from_settings(&settings(Some(SECRET), None))
        .unwrap()
        .unwrap()
}

fn claims(room: &str, role: &str, exp: i64) -> serde_json::Value {
    json!({"room": room, "role": role, "exp": exp, "sub": "user-1"})
}

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn sign_eddsa(key: &SigningKey, claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    let signature = key.sign(signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn pem(key: &VerifyingKey) -> String {
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(key.as_bytes());
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(der)
    )
}

#[test]
fn no_key_means_no_tokens() {
    assert!(
        Tokens::from_settings(&settings(None, None))
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_valid_hs256_token_gives_its_claims() {
    let token = sign_hs256(SECRET.as_bytes(), &claims("abc123xyz0", "view", NOW + 60));
    let got = hs256_tokens().verify(&token, NOW).unwrap();
    assert_eq!(got.room, "abc123xyz0");
    assert_eq!(got.role, Role::View);
    assert_eq!(got.name, None);
}

#[test]
fn expired_wrong_signature_and_malformed_tokens_are_refused() {
    let tokens = hs256_tokens();
    let expired = sign_hs256(SECRET.as_bytes(), &claims("*", "edit", NOW));
    assert_eq!(tokens.verify(&expired, NOW), Err(TokenError::Expired));
    let other_secret = sign_hs256(
        b"another secret entirely, 32 bytes!",
        &claims("*", "edit", NOW + 60),
    );
    assert_eq!(
        tokens.verify(&other_secret, NOW),
        Err(TokenError::Signature)
    );

    // A payload swapped under a valid signature.
    let valid = sign_hs256(SECRET.as_bytes(), &claims("room000001", "view", NOW + 60));
    let forged_payload = URL_SAFE_NO_PAD.encode(claims("*", "edit", NOW + 60).to_string());
    let parts: Vec<&str> = valid.split('.').collect();
    let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_eq!(tokens.verify(&forged, NOW), Err(TokenError::Signature));

    for junk in ["", "a.b", "a.b.c.d", "!!.??.**", &"x".repeat(5000)] {
        assert!(tokens.verify(junk, NOW).is_err(), "{junk:.20}");
    }
    let too_soon = {
        let mut c = claims("*", "edit", NOW + 60);
        c["nbf"] = json!(NOW + 30);
        sign_hs256(SECRET.as_bytes(), &c)
    };
    assert_eq!(tokens.verify(&too_soon, NOW), Err(TokenError::NotYetValid));
}

#[test]
fn none_and_unconfigured_algorithms_are_refused() {
    let tokens = hs256_tokens();
    let payload = URL_SAFE_NO_PAD.encode(claims("*", "edit", NOW + 60).to_string());
    let none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#)
    );
    assert_eq!(tokens.verify(&none, NOW), Err(TokenError::Algorithm));
    let eddsa = sign_eddsa(&signing_key(), &claims("*", "edit", NOW + 60));
    assert_eq!(tokens.verify(&eddsa, NOW), Err(TokenError::Algorithm));
}

#[test]
fn bad_claims_are_refused() {
    let tokens = hs256_tokens();
    let cases = [
        json!({"room": "*", "role": "owner", "exp": NOW + 60}),
        json!({"room": "*", "role": "edit"}),
        json!({"room": "../etc", "role": "edit", "exp": NOW + 60}),
        json!({"room": "*", "role": "edit", "exp": NOW + 60, "name": "a\u{7}b"}),
        json!({"room": "*", "role": "edit", "exp": NOW + 60, "name": "n".repeat(65)}),
    ];
    for claims in cases {
        let token = sign_hs256(SECRET.as_bytes(), &claims);
        assert!(tokens.verify(&token, NOW).is_err(), "{claims}");
    }
    let named = json!({"room": "*", "role": "edit", "exp": NOW + 60, "name": "Ada Lovelace"});
    let token = sign_hs256(SECRET.as_bytes(), &named);
    assert_eq!(
        tokens.verify(&token, NOW).unwrap().name.as_deref(),
        Some("Ada Lovelace")
    );
}

#[test]
fn ed25519_tokens_verify_with_the_public_key_in_any_form() {
    let key = signing_key();
    let public = key.verifying_key();
    let forms = [
        pem(&public),
        STANDARD.encode(public.as_bytes()),
        URL_SAFE_NO_PAD.encode(public.as_bytes()),
    ];
    let token = sign_eddsa(&key, &claims("*", "edit", NOW + 60));
    for form in forms {
        let tokens = Tokens::from_settings(&settings(None, Some(form.clone())))
            .unwrap()
            .unwrap();
        assert_eq!(
            tokens.verify(&token, NOW).unwrap().role,
            Role::Edit,
            "{form}"
        );
        // HS256 is off without a secret.
        let hs = sign_hs256(SECRET.as_bytes(), &claims("*", "edit", NOW + 60));
        assert_eq!(tokens.verify(&hs, NOW), Err(TokenError::Algorithm));
    }
    let stranger = sign_eddsa(
        &SigningKey::from_bytes(&[9u8; 32]),
        &claims("*", "edit", NOW + 60),
    );
    let tokens = Tokens::from_settings(&settings(None, Some(pem(&public))))
        .unwrap()
        .unwrap();
    assert_eq!(tokens.verify(&stranger, NOW), Err(TokenError::Signature));
}

#[test]
fn unusable_public_keys_are_refused_at_start_up() {
    for bad in ["not base64 at all!", "AAAA", &STANDARD.encode([1u8; 40])] {
        assert!(
            Tokens::from_settings(&settings(None, Some(bad.into()))).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn leeway_extends_expiry() {
    let mut with_leeway = settings(Some(SECRET), None);
    with_leeway.leeway_secs = 30;
    let tokens = Tokens::from_settings(&with_leeway).unwrap().unwrap();
    let token = sign_hs256(SECRET.as_bytes(), &claims("*", "edit", NOW - 10));
    assert!(tokens.verify(&token, NOW).is_ok());
    assert_eq!(tokens.expires_at(NOW), NOW + 30);
}
