//! SigV4: the caller's account and region come from the credential scope and the
//! access-key map; signatures are checked only when the simulator was given credentials
//! to check them with (lattice-api.md §1, controller.md §6.1 "accept any signature").

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::request::Parts;

use crate::Simulator;
use crate::state::Error;

pub use crate::sim::Caller;

/// A request carrying this header (any value) only observes: the harness reading the state
/// for an assertion. Its calls take no fault, leave no journal entry and draw nothing from
/// the seeded streams, so reading never changes what the controllers meet.
pub const OBSERVER_HEADER: &str = "x-latticelab-observer";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    access_key: &'a str,
    region: &'a str,
    /// The signing name: `vpc-lattice`, or `tagging` for the Resource Groups Tagging API.
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse(header: &str) -> Option<Authorization<'_>> {
    let rest = header.strip_prefix("AWS4-HMAC-SHA256")?.trim_start();
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    // Credential = AKID/yyyymmdd/region/service/aws4_request
    let mut scope = credential?.split('/');
    let access_key = scope.next()?;
    let region = scope.nth(1)?;
    let service = scope.next()?;
    Some(Authorization {
        access_key,
        region,
        service,
        signed_headers: signed?.split(';').collect(),
        signature: signature?,
    })
}

fn denied(message: &str) -> Error {
    Error::AccessDenied { message: message.to_string() }
}

/// The caller of a request, after checking its signature when that is asked for.
pub fn caller(sim: &Simulator, parts: &Parts, body: &[u8]) -> Result<Caller, Error> {
    let options = sim.options();
    let header = parts.headers.get("authorization").and_then(|v| v.to_str().ok());
    let Some(auth) = header.and_then(parse) else {
        if options.verify_signatures {
            return Err(denied("Missing Authentication Token"));
        }
        return Ok(Caller {
            account: options.default_account.clone(),
            region: options.default_region.clone(),
            access_key: String::new(),
            observer: parts.headers.contains_key(OBSERVER_HEADER),
        });
    };
    let known = options.credentials.get(auth.access_key);
    if options.verify_signatures {
        let Some(credential) = known else {
            return Err(denied("The security token included in the request is invalid."));
        };
        let expected = expected_signature(parts, body, &auth, &credential.secret_access_key)
            .ok_or_else(|| denied("The request signature could not be checked."))?;
        if expected != auth.signature {
            return Err(denied(
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method.",
            ));
        }
    }
    Ok(Caller {
        account: known.map_or_else(|| options.default_account.clone(), |c| c.account_id.clone()),
        region: auth.region.to_string(),
        access_key: auth.access_key.to_string(),
        observer: parts.headers.contains_key(OBSERVER_HEADER),
    })
}

/// Re-signs the request with the caller's secret over exactly the headers it signed.
fn expected_signature(parts: &Parts, body: &[u8], auth: &Authorization, secret: &str) -> Option<String> {
    let amz_date = parts.headers.get("x-amz-date")?.to_str().ok()?;
    let time = parse_amz_date(amz_date)?;
    let headers: Vec<(&str, &str)> =
        auth.signed_headers.iter().filter_map(|name| Some((*name, parts.headers.get(*name)?.to_str().ok()?))).collect();
    let identity = Credentials::new(auth.access_key, secret, None, None, "latticelab").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region)
        .name(auth.service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .ok()?
        .into();
    // The signer needs an authority (it panics without one): in-process requests carry it
    // in the URI, requests off a socket in `Host`.
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let host = match parts.uri.authority() {
        Some(authority) => authority.as_str(),
        None => parts.headers.get("host")?.to_str().ok()?,
    };
    let uri = format!("http://{host}{path}");
    let signable =
        SignableRequest::new(parts.method.as_str(), uri.as_str(), headers.into_iter(), SignableBody::Bytes(body))
            .ok()?;
    let (_, signature) = sign(signable, &params).ok()?.into_parts();
    Some(signature)
}

/// `20260101T000000Z` → a time.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    if text.len() != 16 {
        return None;
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_scope_names_key_and_region() {
        let header = "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/vpc-lattice/aws4_request, \
                      SignedHeaders=host;x-amz-date, Signature=abc";
        let auth = parse(header).unwrap();
        assert_eq!(
            (auth.access_key, auth.region, auth.service, auth.signature),
            ("AKID", "eu-west-1", "vpc-lattice", "abc")
        );
        assert_eq!(auth.signed_headers, ["host", "x-amz-date"]);
        assert!(parse("Bearer x").is_none());
    }

    #[test]
    fn amz_dates_parse() {
        let t = parse_amz_date("20260101T000130Z").unwrap();
        assert_eq!(t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(), 1_767_225_690);
        assert!(parse_amz_date("2026").is_none());
    }
}
