//! Connection settings from a Kafka client properties file, with the keys users already
//! have (`bootstrap.servers`, `security.protocol`, `sasl.*`, `ssl.*`), so a password lives
//! in a file and never on the command line.
//!
//! Keys this client does not use (`group.id`, `acks`, ...) are ignored, as Kafka's own
//! clients only warn about them; a key it uses with a value it cannot use is an error naming
//! the file, the line and the key.

use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// A bad or unreadable properties file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("{file}: cannot read it: {reason}")]
    /// The file could not be read.
    Unreadable {
        /// The file read.
        file: String,
        /// Why, in words.
        reason: String,
    },
    #[error("{file}, line {line}: {key}: {reason}")]
    /// A key has a bad value.
    Value {
        /// The file read.
        file: String,
        /// The line, from 1.
        line: usize,
        /// The key on that line.
        key: String,
        /// Why, in words.
        reason: String,
    },
    #[error("{file}: {reason}")]
    /// A required key is missing.
    Missing {
        /// The file read.
        file: String,
        /// Why, in words.
        reason: String,
    },
}

/// `security.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    #[default]
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

/// `sasl.mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl SaslMechanism {
    /// The name SaslHandshake carries.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// A secret that never shows in a `Debug` print or a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Who to authenticate as, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslConfig {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: Password,
}

/// The TLS trust and identity: `ssl.ca.location` (else the system's CA bundle), an
/// optional client certificate and key, and whether the broker's name is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    pub ca: Option<PathBuf>,
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `ssl.endpoint.identification.algorithm=https` (the default); empty turns it off.
    pub verify_hostname: bool,
}

/// Everything needed to reach and talk to a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientConfig {
    /// `HOST:PORT` entries, tried in order.
    pub bootstrap: Vec<String>,
    /// `security.protocol`: plaintext, TLS, SASL or both.
    pub protocol: SecurityProtocol,
    /// `sasl.*`: the mechanism and credentials, when SASL is used.
    pub sasl: Option<SaslConfig>,
    /// `ssl.*`: trust and client certificates, when TLS is used.
    pub tls: Option<TlsConfig>,
    /// `client.id`, how the brokers' logs and quotas name this client.
    pub client_id: String,
}

/// The client id when the file names none.
pub const DEFAULT_CLIENT_ID: &str = "minikafka-observe";

impl ClientConfig {
    /// A plaintext connection to `bootstrap`.
    pub fn plaintext(bootstrap: &str) -> ClientConfig {
        ClientConfig {
            bootstrap: split_servers(bootstrap),
            client_id: DEFAULT_CLIENT_ID.to_string(),
            ..ClientConfig::default()
        }
    }

    /// Reads a properties file; paths in it are relative to the file.
    pub fn load(path: &Path) -> Result<ClientConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            file: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        ClientConfig::parse(&text, &path.display().to_string(), dir)
    }

    /// Parses properties `text`, naming `file` in errors and resolving paths against `dir`.
    pub fn parse(text: &str, file: &str, dir: &Path) -> Result<ClientConfig, ConfigError> {
        let props = properties(text);
        let get = |key: &str| props.iter().rev().find(|p| p.key == key);
        let bad = |p: &Property, reason: &str| ConfigError::Value {
            file: file.to_string(),
            line: p.line,
            key: p.key.clone(),
            reason: reason.to_string(),
        };
        let mut config = ClientConfig {
            bootstrap: get("bootstrap.servers").map_or_else(Vec::new, |p| split_servers(&p.value)),
            client_id: get("client.id").map_or(DEFAULT_CLIENT_ID.to_string(), |p| p.value.clone()),
            ..ClientConfig::default()
        };
        if let Some(p) = get("security.protocol") {
            config.protocol = match p.value.to_ascii_uppercase().as_str() {
                "PLAINTEXT" => SecurityProtocol::Plaintext,
                "SSL" => SecurityProtocol::Ssl,
                "SASL_PLAINTEXT" => SecurityProtocol::SaslPlaintext,
                "SASL_SSL" => SecurityProtocol::SaslSsl,
                _ => return Err(bad(p, "must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")),
            };
        }
        if config.protocol.uses_sasl() {
            config.sasl = Some(sasl(&get, &bad, file)?);
        }
        if config.protocol.uses_tls() {
            let path = |key: &str| get(key).map(|p| dir.join(&p.value));
            config.tls = Some(TlsConfig {
                ca: path("ssl.ca.location"),
                certificate: path("ssl.certificate.location"),
                key: path("ssl.key.location"),
                verify_hostname: get("ssl.endpoint.identification.algorithm")
                    .is_none_or(|p| !p.value.is_empty()),
            });
        }
        Ok(config)
    }
}

fn sasl<'a>(
    get: &dyn Fn(&str) -> Option<&'a Property>,
    bad: &dyn Fn(&Property, &str) -> ConfigError,
    file: &str,
) -> Result<SaslConfig, ConfigError> {
    let mechanism = match get("sasl.mechanism") {
        None => SaslMechanism::Plain,
        Some(p) => match p.value.to_ascii_uppercase().as_str() {
            "PLAIN" => SaslMechanism::Plain,
            "SCRAM-SHA-256" => SaslMechanism::ScramSha256,
            "SCRAM-SHA-512" => SaslMechanism::ScramSha512,
            _ => return Err(bad(p, "must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")),
        },
    };
    let jaas = get("sasl.jaas.config").map(|p| jaas_credentials(&p.value));
    let username = get("sasl.username")
        .map(|p| p.value.clone())
        .or_else(|| jaas.as_ref().and_then(|j| j.0.clone()));
    let password = get("sasl.password")
        .map(|p| p.value.clone())
        .or_else(|| jaas.as_ref().and_then(|j| j.1.clone()));
    match (username, password) {
        (Some(username), Some(password)) => Ok(SaslConfig {
            mechanism,
            username,
            password: Password(password),
        }),
        _ => Err(ConfigError::Missing {
            file: file.to_string(),
            reason: "SASL needs sasl.username and sasl.password (or sasl.jaas.config with \
                     username=\"...\" password=\"...\")"
                .to_string(),
        }),
    }
}

fn split_servers(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `username="..."` and `password="..."` from a JAAS login module line.
fn jaas_credentials(jaas: &str) -> (Option<String>, Option<String>) {
    (jaas_option(jaas, "username"), jaas_option(jaas, "password"))
}

fn jaas_option(jaas: &str, name: &str) -> Option<String> {
    let mut rest = jaas;
    while let Some(at) = rest.find(name) {
        let before_ok = rest[..at]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let after = rest[at + name.len()..].trim_start();
        if before_ok && let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start();
            return Some(match value.strip_prefix('"') {
                Some(quoted) => unescape_quoted(quoted),
                None => value
                    .split(|c: char| c.is_whitespace() || c == ';')
                    .next()
                    .unwrap_or("")
                    .to_string(),
            });
        }
        rest = &rest[at + name.len()..];
    }
    None
}

fn unescape_quoted(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// One `key=value` of a properties file, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Property {
    key: String,
    value: String,
    line: usize,
}

/// Java's properties format: `#` and `!` comments, `=`, `:` or a space between key and
/// value, a trailing backslash continuing the line, and backslash escapes.
fn properties(text: &str) -> Vec<Property> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let mut logical = line.trim_start().to_string();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while ends_with_continuation(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let (key, value) = split_key_value(&logical);
        out.push(Property {
            key: unescape(key),
            value: unescape(value),
            line: i + 1,
        });
    }
    out
}

fn ends_with_continuation(line: &str) -> bool {
    line.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' {
            return (&line[..i], line[i + 1..].trim_start());
        } else if c.is_whitespace() {
            let rest = line[i..].trim_start();
            let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest);
            return (&line[..i], rest.trim_start());
        }
    }
    (line, "")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ClientConfig, ConfigError> {
        ClientConfig::parse(text, "client.properties", Path::new("/etc/kafka"))
    }

    #[test]
    fn a_scram_over_tls_file_reads_like_the_java_client_reads_it() {
        let c = parse(
            "# comment\n\
             bootstrap.servers = a:9093, b:9093\n\
             security.protocol=SASL_SSL\n\
             sasl.mechanism: SCRAM-SHA-512\n\
             sasl.username=alice\n\
             sasl.password=s3cr\\=t\n\
             ssl.ca.location=ca.pem\n\
             ssl.endpoint.identification.algorithm=\n\
             group.id=ignored\n",
        )
        .unwrap();
        assert_eq!(c.bootstrap, ["a:9093", "b:9093"]);
        assert_eq!(c.protocol, SecurityProtocol::SaslSsl);
        let sasl = c.sasl.unwrap();
        assert_eq!(sasl.mechanism, SaslMechanism::ScramSha512);
        assert_eq!(sasl.username, "alice");
        assert_eq!(sasl.password.0, "s3cr=t");
        assert_eq!(format!("{:?}", sasl.password), "Password(***)");
        let tls = c.tls.unwrap();
        assert_eq!(tls.ca, Some(PathBuf::from("/etc/kafka/ca.pem")));
        assert!(!tls.verify_hostname);
        assert_eq!(c.client_id, DEFAULT_CLIENT_ID);
    }

    #[test]
    fn jaas_lines_carry_credentials_across_continuations() {
        let c = parse(
            "security.protocol=SASL_PLAINTEXT\n\
             sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule \\\n    \
             required username=\"bob\" password=\"p a ss\";\n",
        )
        .unwrap();
        let sasl = c.sasl.unwrap();
        assert_eq!(sasl.mechanism, SaslMechanism::Plain);
        assert_eq!(sasl.username, "bob");
        assert_eq!(sasl.password.0, "p a ss");
        assert!(c.tls.is_none());
    }

    #[test]
    fn bad_values_name_the_line_and_key() {
        let e = parse("bootstrap.servers=x:1\nsecurity.protocol=TLS\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "client.properties, line 2: security.protocol: must be PLAINTEXT, SSL, \
             SASL_PLAINTEXT or SASL_SSL"
        );
        let e = parse("security.protocol=SASL_SSL\nsasl.mechanism=GSSAPI\n").unwrap_err();
        assert!(e.to_string().contains("line 2: sasl.mechanism"), "{e}");
        let e = parse("security.protocol=SASL_SSL\nsasl.username=a\n").unwrap_err();
        assert!(e.to_string().contains("sasl.password"), "{e}");
    }

    #[test]
    fn the_hostname_check_is_on_unless_emptied() {
        let c = parse("security.protocol=SSL\n").unwrap();
        assert!(c.tls.unwrap().verify_hostname);
        assert!(c.sasl.is_none());
    }
}
