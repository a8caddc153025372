//! Client certificates to identities, by CN, DNS SAN or URI SAN.

use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use xingji_identity::{AuthError, CertificateMap, ClientConfig, MTLS_ISSUER, SetupError};

/// A self-signed certificate with this CN and these DNS and URI names.
fn certificate(cn: Option<&str>, dns: &[&str], uris: &[&str]) -> Vec<u8> {
    let mut params = CertificateParams::new(dns.iter().map(|d| d.to_string()).collect::<Vec<_>>())
        .expect("params");
    if let Some(cn) = cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    for uri in uris {
        let uri = (*uri).try_into().expect("an IA5 string");
        params.subject_alt_names.push(SanType::URI(uri));
    }
    let key = KeyPair::generate().expect("a key");
    params.self_signed(&key).expect("signed").der().to_vec()
}

fn client(subject: &str, name: &str) -> ClientConfig {
    ClientConfig {
        subject: subject.to_owned(),
        role: "partner".to_owned(),
        name: name.to_owned(),
        regions: vec!["shanghai".to_owned()],
        permissions: vec!["orders.create".to_owned(), "orders.read".to_owned()],
        ..ClientConfig::default()
    }
}

fn map() -> CertificateMap {
    CertificateMap::new(&[
        client("crm.partner.example", "crm"),
        client("Billing Gateway", "billing"),
        client("spiffe://partner.example/erp", "erp"),
    ])
    .expect("a good map")
}

#[test]
fn a_certificate_is_mapped_by_its_dns_name() {
    let der = certificate(Some("CRM"), &["crm.partner.example"], &[]);
    let identity = map().identify(&der).expect("mapped");
    assert_eq!(identity.issuer, MTLS_ISSUER);
    assert_eq!(identity.subject, "crm");
    assert_eq!(identity.role, "partner");
    assert_eq!(identity.regions, ["shanghai"]);
    assert_eq!(identity.permissions, ["orders.create", "orders.read"]);
    assert_eq!(identity.outlet, None);
    assert!(identity.expires_at.is_some());
    // DNS names ignore case.
    let shouting = certificate(None, &["CRM.Partner.Example"], &[]);
    assert_eq!(map().identify(&shouting).expect("mapped").subject, "crm");
}

#[test]
fn a_certificate_is_mapped_by_its_common_name() {
    let der = certificate(Some("Billing Gateway"), &["billing.internal"], &[]);
    assert_eq!(map().identify(&der).expect("mapped").subject, "billing");
}

#[test]
fn a_certificate_is_mapped_by_its_uri_name() {
    let der = certificate(None, &[], &["spiffe://partner.example/erp"]);
    assert_eq!(map().identify(&der).expect("mapped").subject, "erp");
    // URIs are compared as written.
    let other = certificate(None, &[], &["spiffe://partner.example/ERP"]);
    assert!(map().identify(&other).is_err());
}

#[test]
fn an_unmapped_certificate_is_refused_naming_its_names() {
    let der = certificate(
        Some("Mallory"),
        &["mallory.example", "m.example"],
        &["spiffe://x/y"],
    );
    let refused = map().identify(&der);
    assert_eq!(
        refused.map_err(|e| e.to_string()),
        Err(
            "client certificate (CN=Mallory, DNS=mallory.example, DNS=m.example, \
             URI=spiffe://x/y) is not mapped to a client"
                .to_owned()
        )
    );
}

#[test]
fn a_certificate_matching_two_clients_is_refused() {
    let der = certificate(Some("Billing Gateway"), &["crm.partner.example"], &[]);
    assert!(matches!(
        map().identify(&der),
        Err(AuthError::AmbiguousCertificate { clients, .. })
            if clients == "crm.partner.example, Billing Gateway"
    ));
}

#[test]
fn what_is_not_a_certificate_is_refused() {
    assert!(matches!(
        map().identify(b"not DER"),
        Err(AuthError::BadCertificate(_))
    ));
    assert!(matches!(
        CertificateMap::default().identify(&certificate(Some("x"), &[], &[])),
        Err(AuthError::UnmappedCertificate(_))
    ));
}

#[test]
fn a_map_with_incomplete_or_repeated_clients_is_refused() {
    let incomplete = [ClientConfig {
        role: String::new(),
        ..client("crm.partner.example", "crm")
    }];
    assert!(matches!(
        CertificateMap::new(&incomplete),
        Err(SetupError::Client { reason, .. }) if reason == "role is empty"
    ));
    let nameless = [client("crm.partner.example", "")];
    assert!(CertificateMap::new(&nameless).is_err());
    let repeated = [
        client("crm.partner.example", "crm"),
        client("CRM.partner.example", "crm-2"),
    ];
    assert!(matches!(
        CertificateMap::new(&repeated),
        Err(SetupError::Client { reason, .. }) if reason == "is configured twice"
    ));
}
