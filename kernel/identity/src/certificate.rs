//! Client certificates (mTLS) to identities, by the configured clients.
//! Whether the certificate chains to a CA we trust, and is in date, is
//! rustls's to check during the handshake: here it only names its holder.

use std::collections::HashSet;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use crate::config::{ClientConfig, IdentityConfig};
use crate::error::{AuthError, SetupError, bounded};
use crate::identity::{Identity, MTLS_ISSUER};

/// At most this many of a certificate's names are quoted in an error.
const NAMES_QUOTED: usize = 8;

/// The configured clients, by the certificate names they answer to.
#[derive(Debug, Clone, Default)]
pub struct CertificateMap {
    clients: Vec<ClientConfig>,
}

/// The names a certificate goes by.
enum Name<'a> {
    Cn(&'a str),
    Dns(&'a str),
    Uri(&'a str),
}

impl Name<'_> {
    /// DNS names and CNs (usually host names) ignore ASCII case; URIs are
    /// compared as written.
    fn is(&self, subject: &str) -> bool {
        match self {
            Name::Cn(name) | Name::Dns(name) => name.eq_ignore_ascii_case(subject),
            Name::Uri(uri) => *uri == subject,
        }
    }
}

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Name::Cn(name) => write!(f, "CN={}", bounded(name)),
            Name::Dns(name) => write!(f, "DNS={}", bounded(name)),
            Name::Uri(uri) => write!(f, "URI={}", bounded(uri)),
        }
    }
}

impl CertificateMap {
    /// The map of `[[identity.clients]]`.
    pub fn from_config(config: &IdentityConfig) -> Result<Self, SetupError> {
        Self::new(&config.clients)
    }

    /// The map of these clients: each needs a subject, a role and a name,
    /// and no two may share a subject.
    pub fn new(clients: &[ClientConfig]) -> Result<Self, SetupError> {
        let mut subjects = HashSet::new();
        for client in clients {
            let problem = |reason: &str| SetupError::Client {
                subject: client.subject.clone(),
                reason: reason.to_owned(),
            };
            if client.subject.is_empty() {
                return Err(problem("subject is empty"));
            }
            if client.role.is_empty() {
                return Err(problem("role is empty"));
            }
            if client.name.is_empty() {
                return Err(problem("name is empty"));
            }
            if !subjects.insert(client.subject.to_ascii_lowercase()) {
                return Err(problem("is configured twice"));
            }
        }
        Ok(Self {
            clients: clients.to_vec(),
        })
    }

    /// Whether no client is configured (then mTLS identifies nobody).
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The identity of the client whose certificate (DER) this is: the one
    /// configured client whose subject is the certificate's CN or one of its
    /// DNS or URI SANs.
    pub fn identify(&self, leaf_der: &[u8]) -> Result<Identity, AuthError> {
        let (_, certificate) = X509Certificate::from_der(leaf_der)
            .map_err(|_| AuthError::BadCertificate("not a DER X.509 certificate".to_owned()))?;
        let names = names_of(&certificate)?;
        let matches: Vec<&ClientConfig> = self
            .clients
            .iter()
            .filter(|client| names.iter().any(|name| name.is(&client.subject)))
            .collect();
        let client = match matches.as_slice() {
            [client] => *client,
            [] => return Err(AuthError::UnmappedCertificate(quote(&names))),
            several => {
                return Err(AuthError::AmbiguousCertificate {
                    names: quote(&names),
                    clients: several
                        .iter()
                        .map(|c| bounded(&c.subject))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        };
        Ok(Identity {
            issuer: MTLS_ISSUER.to_owned(),
            subject: client.name.clone(),
            role: client.role.clone(),
            regions: client.regions.clone(),
            outlet: client.outlet.clone(),
            person: client.person.clone(),
            permissions: client.permissions.clone(),
            expires_at: Some(certificate.validity().not_after.timestamp()),
        })
    }
}

/// The certificate's subject CNs, then its DNS and URI SANs.
fn names_of<'a>(certificate: &'a X509Certificate<'_>) -> Result<Vec<Name<'a>>, AuthError> {
    let mut names: Vec<Name<'a>> = certificate
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .map(Name::Cn)
        .collect();
    let alternatives = certificate.subject_alternative_name().map_err(|_| {
        AuthError::BadCertificate("its subject alternative names are malformed".to_owned())
    })?;
    for general in alternatives.iter().flat_map(|san| &san.value.general_names) {
        match general {
            GeneralName::DNSName(dns) => names.push(Name::Dns(dns)),
            GeneralName::URI(uri) => names.push(Name::Uri(uri)),
            _ => {}
        }
    }
    Ok(names)
}

fn quote(names: &[Name<'_>]) -> String {
    if names.is_empty() {
        return "no CN, DNS or URI name".to_owned();
    }
    let mut quoted: Vec<String> = names
        .iter()
        .take(NAMES_QUOTED)
        .map(Name::to_string)
        .collect();
    if names.len() > NAMES_QUOTED {
        quoted.push(format!("and {} more", names.len() - NAMES_QUOTED));
    }
    quoted.join(", ")
}
