//! The client side of SASL PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802, RFC 7677),
//! without I/O: each step takes the server's bytes and gives the next message to send.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use thiserror::Error;

use super::config::{SaslConfig, SaslMechanism};

/// Why a SASL exchange failed on our side (a bad server message).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SaslError {
    #[error("malformed SCRAM message from the server: {0}")]
    Malformed(String),
    #[error("the server's SCRAM nonce does not extend ours")]
    Nonce,
    #[error("the server's SCRAM iteration count {0} is out of range")]
    Iterations(u32),
    #[error("the server did not prove it knows the password (SCRAM signature mismatch)")]
    ServerSignature,
    #[error("the server refused: {0}")]
    Refused(String),
}

/// Iteration counts past this are refused: Kafka's own maximum is 16,384, and an unbounded
/// count would let a server pin the CPU.
const MAX_ITERATIONS: u32 = 65_536;

/// The PLAIN message: authorization id (empty), user and password, NUL-separated.
pub fn plain_message(username: &str, password: &str) -> Vec<u8> {
    format!("\0{username}\0{password}").into_bytes()
}

/// One SCRAM exchange, from the client-first message to the check of the server's proof.
#[derive(Debug)]
pub struct Scram {
    sha512: bool,
    password: String,
    client_first_bare: String,
    nonce: String,
    server_signature: Option<Vec<u8>>,
}

impl Scram {
    /// Starts an exchange with a fresh client nonce.
    pub fn start(config: &SaslConfig) -> Scram {
        use rand::RngCore;
        let mut raw = [0u8; 24];
        rand::rng().fill_bytes(&mut raw);
        Scram::with_nonce(config, &B64.encode(raw))
    }

    /// Starts an exchange with a given nonce (the RFC's test vectors fix it).
    pub fn with_nonce(config: &SaslConfig, nonce: &str) -> Scram {
        let user = config.username.replace('=', "=3D").replace(',', "=2C");
        Scram {
            sha512: config.mechanism == SaslMechanism::ScramSha512,
            password: config.password.0.clone(),
            client_first_bare: format!("n={user},r={nonce}"),
            nonce: nonce.to_string(),
            server_signature: None,
        }
    }

    /// The client-first message (no channel binding).
    pub fn client_first(&self) -> Vec<u8> {
        format!("n,,{}", self.client_first_bare).into_bytes()
    }

    /// Reads the server-first message and gives the client-final one, with our proof.
    pub fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>, SaslError> {
        let server_first = std::str::from_utf8(server_first)
            .map_err(|_| SaslError::Malformed("not UTF-8".to_string()))?;
        let attr = |name: char| attribute(server_first, name);
        let nonce = attr('r').ok_or_else(|| SaslError::Malformed("no nonce".to_string()))?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err(SaslError::Nonce);
        }
        let salt = attr('s')
            .and_then(|s| B64.decode(s).ok())
            .ok_or_else(|| SaslError::Malformed("no salt".to_string()))?;
        let iterations: u32 = attr('i')
            .and_then(|i| i.parse().ok())
            .ok_or_else(|| SaslError::Malformed("no iteration count".to_string()))?;
        if iterations == 0 || iterations > MAX_ITERATIONS {
            return Err(SaslError::Iterations(iterations));
        }
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let (proof, server_signature) = proofs(
            self.sha512,
            &self.password,
            &salt,
            iterations,
            &auth_message,
        );
        self.server_signature = Some(server_signature);
        Ok(format!("{without_proof},p={}", B64.encode(proof)).into_bytes())
    }

    /// Checks the server-final message: the server must prove it knows the password too.
    pub fn verify_server_final(&self, server_final: &[u8]) -> Result<(), SaslError> {
        let text = std::str::from_utf8(server_final)
            .map_err(|_| SaslError::Malformed("not UTF-8".to_string()))?;
        if let Some(e) = attribute(text, 'e') {
            return Err(SaslError::Refused(e.to_string()));
        }
        let got = attribute(text, 'v')
            .and_then(|v| B64.decode(v).ok())
            .ok_or_else(|| SaslError::Malformed("no server signature".to_string()))?;
        match &self.server_signature {
            Some(expected) if *expected == got => Ok(()),
            _ => Err(SaslError::ServerSignature),
        }
    }
}

/// The value of `name=` in a comma-separated SCRAM message.
fn attribute(message: &str, name: char) -> Option<&str> {
    message.split(',').find_map(|part| {
        let mut chars = part.chars();
        (chars.next() == Some(name) && chars.next() == Some('=')).then(|| &part[2..])
    })
}

/// The client proof and the expected server signature, as RFC 5802 section 3 defines
/// them, for one hash function.
macro_rules! scram_proofs {
    ($hash:ty, $password:expr, $salt:expr, $iterations:expr, $auth:expr) => {{
        let mut salted = [0u8; <$hash as sha2::digest::OutputSizeUser>::OutputSize::USIZE];
        pbkdf2::pbkdf2_hmac::<$hash>($password.as_bytes(), $salt, $iterations, &mut salted);
        let hmac = |key: &[u8], data: &[u8]| {
            let mut mac =
                <Hmac<$hash> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        };
        let client_key = hmac(&salted, b"Client Key");
        let stored_key = <$hash>::digest(&client_key);
        let client_signature = hmac(&stored_key, $auth.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = hmac(&salted, b"Server Key");
        (proof, hmac(&server_key, $auth.as_bytes()))
    }};
}

fn proofs(
    sha512: bool,
    password: &str,
    salt: &[u8],
    iterations: u32,
    auth: &str,
) -> (Vec<u8>, Vec<u8>) {
    use sha2::digest::typenum::Unsigned;
    if sha512 {
        scram_proofs!(Sha512, password, salt, iterations, auth)
    } else {
        scram_proofs!(Sha256, password, salt, iterations, auth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observe::config::Password;

    fn config(mechanism: SaslMechanism) -> SaslConfig {
        SaslConfig {
            mechanism,
            username: "user".to_string(),
            password: Password("pencil".to_string()),
        }
    }

    #[test]
    fn scram_sha_256_matches_rfc_7677() {
        let mut s = Scram::with_nonce(&config(SaslMechanism::ScramSha256), "rOprNGfwEbeRWgbNEkqO");
        assert_eq!(s.client_first(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                             s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let final_msg = s.client_final(server_first).unwrap();
        assert_eq!(
            String::from_utf8(final_msg).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        s.verify_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        assert_eq!(
            s.verify_server_final(b"v=AAAA"),
            Err(SaslError::ServerSignature)
        );
        assert_eq!(
            s.verify_server_final(b"e=invalid-proof"),
            Err(SaslError::Refused("invalid-proof".to_string()))
        );
    }

    #[test]
    fn scram_refuses_bad_server_messages() {
        let mut s = Scram::with_nonce(&config(SaslMechanism::ScramSha512), "abc");
        assert_eq!(
            s.client_final(b"r=xyz123,s=AAAA,i=4096"),
            Err(SaslError::Nonce)
        );
        assert_eq!(
            s.client_final(b"r=abc123,s=AAAA,i=99999999"),
            Err(SaslError::Iterations(99_999_999))
        );
        assert!(matches!(
            s.client_final(b"r=abc123,i=4096"),
            Err(SaslError::Malformed(_))
        ));
        assert!(s.client_final(&[0xff, 0xfe]).is_err());
        // A well-formed SHA-512 round gives a 64-byte proof.
        let out = s.client_final(b"r=abc123,s=AAAA,i=4096").unwrap();
        let text = String::from_utf8(out).unwrap();
        let proof = B64.decode(attribute(&text, 'p').unwrap()).unwrap();
        assert_eq!(proof.len(), 64);
    }

    #[test]
    fn names_with_commas_are_escaped_and_plain_is_nul_separated() {
        let mut c = config(SaslMechanism::ScramSha256);
        c.username = "a,b=c".to_string();
        let s = Scram::with_nonce(&c, "n");
        assert_eq!(s.client_first(), b"n,,n=a=2Cb=3Dc,r=n");
        assert_eq!(plain_message("u", "p"), b"\0u\0p");
    }
}
