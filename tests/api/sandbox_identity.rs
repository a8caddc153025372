//! Issue 13, hole 5: plugin identity. A component that calls itself
//! `warranty-jiujiu@1.0.1` but was built by someone else
//! (`plugins/test-impostor`, which would read the Jiujiu contracts, list
//! their keys and move the contract counter) is refused at install, unsigned
//! or signed by another trusted publisher; the real contracts and their
//! numbering are untouched. A trusted publisher's signed component installs
//! as that publisher's, and a deployment that takes only signed components
//! refuses the rest.

use std::path::Path;

use tonic::Code;
use xingji::config::Config;
use xingji::signing::{sign_file, write_key_pair};
use xingji_api::google::r#type::Date;
use xingji_api::v1::warranty_service_client::WarrantyServiceClient;
use xingji_api::v1::*;
use xingji_core::calendar::{date_from_days, today};
use xingji_core::settings::{PluginsConfig, PublisherConfig};
use xingji_tests::{TestServer, bad_fields, built_plugin};

/// A deployment trusting the publisher `acme`, whose key pair is made in
/// `dir/keys`; returns it with acme's private key file.
fn trusting_acme(dir: &Path, allow_unsigned: bool) -> (Config, std::path::PathBuf) {
    let (key, public) = write_key_pair(&dir.join("keys"), "acme").expect("keygen");
    let config = Config {
        data_dir: dir.join("data"),
        plugins: PluginsConfig {
            allow_unsigned,
            publishers: vec![PublisherConfig {
                name: "acme".into(),
                key_file: public,
            }],
            ..PluginsConfig::default()
        },
        ..Config::default()
    };
    (config, key)
}

/// `plugin`'s built component and its signature by `key`.
fn signed(dir: &Path, plugin: &str, key: &Path) -> (Vec<u8>, Vec<u8>) {
    let component = built_plugin(plugin);
    let file = dir.join(format!("{plugin}.wasm"));
    std::fs::write(&file, &component).expect("write component");
    let signature = sign_file(&file, key, None).expect("sign");
    (component, std::fs::read(signature).expect("read signature"))
}

fn install(component: Vec<u8>, signature: Vec<u8>) -> InstallPluginRequest {
    InstallPluginRequest {
        component,
        signature,
    }
}

fn sale(request_id: &str, serial: &str) -> PurchaseRequest {
    PurchaseRequest {
        region: "shanghai".into(),
        request_id: request_id.into(),
        appliance: Some(Appliance {
            product_line: ProductLine::Refrigerator as i32,
            model: "BCD-458".into(),
            serial: serial.into(),
            purchase_date: Some(date_from_days(today() - 365)),
            price_fen: 459_900,
        }),
        years: 2,
        customer_phone: "13912345678".into(),
        sold_date: None::<Date>,
    }
}

#[tokio::test]
async fn an_impostor_of_jiujiu_is_refused_and_the_contracts_stay_jiujius() {
    let dir = tempfile::tempdir().unwrap();
    let (config, acme_key) = trusting_acme(dir.path(), true);
    let server = TestServer::start_config(config).await;
    let mut plugins = server.plugins().await;
    let mut warranty = WarrantyServiceClient::new(server.channel().await);

    let first = warranty
        .purchase(sale("jj-genuine-1", "SH-GENUINE-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.id, "JJ-000001");
    let contracts = |warranty: &mut WarrantyServiceClient<_>| {
        let mut warranty = warranty.clone();
        async move {
            warranty
                .list_contracts(ListContractsRequest {
                    region: "shanghai".into(),
                    page_size: 100,
                    page_token: String::new(),
                })
                .await
                .unwrap()
                .into_inner()
                .contracts
        }
    };
    let before = contracts(&mut warranty).await;
    assert_eq!(before, std::slice::from_ref(&first));

    // Unsigned (this deployment takes unsigned components): the name is
    // xingji's, not unsigned's.
    let impostor = built_plugin("test-impostor");
    let refused = plugins
        .install_plugin(install(impostor.clone(), Vec::new()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused
            .message()
            .contains("warranty-jiujiu belongs to publisher \"xingji\""),
        "{}",
        refused.message()
    );
    // Signed by a publisher this deployment trusts: still not the name's.
    let (impostor, signature) = signed(dir.path(), "test-impostor", &acme_key);
    let refused = plugins
        .install_plugin(install(impostor, signature))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("\"xingji\"") && refused.message().contains("\"acme\""),
        "{}",
        refused.message()
    );

    // Nothing of it was installed, so it can run nowhere.
    let listed = plugins
        .list_plugins(ListPluginsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .plugins;
    let jiujiu: Vec<(&str, &str)> = listed
        .iter()
        .filter(|p| p.name == "warranty-jiujiu")
        .map(|p| (p.version.as_str(), p.publisher.as_str()))
        .collect();
    assert_eq!(jiujiu, [("1.0.0", "xingji")]);
    let activate = plugins
        .activate_plugin(ActivatePluginRequest {
            region: "shanghai".into(),
            slot: PluginSlot::Warranty as i32,
            name: "warranty-jiujiu".into(),
            version: "1.0.1".into(),
            reason: "the impostor's upgrade".into(),
            params: Vec::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(activate.code(), Code::NotFound);

    // The contracts are as they were, and the next sale follows the last.
    assert_eq!(contracts(&mut warranty).await, before);
    let next = warranty
        .purchase(sale("jj-genuine-2", "SH-GENUINE-2"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.id, "JJ-000002");

    // A trusted publisher's own plugin installs as its.
    let (component, signature) = signed(dir.path(), "test-warranty", &acme_key);
    let installed = plugins
        .install_plugin(install(component, signature))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (installed.name.as_str(), installed.publisher.as_str()),
        ("test-warranty", "acme")
    );
    assert!(!installed.bundled);
    server.stop().await;
}

#[tokio::test]
async fn a_deployment_without_unsigned_takes_only_its_publishers_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let (config, acme_key) = trusting_acme(dir.path(), false);
    let server = TestServer::start_config(config).await;
    let mut plugins = server.plugins().await;
    let component = built_plugin("test-warranty");

    let unsigned = plugins
        .install_plugin(install(component.clone(), Vec::new()))
        .await
        .unwrap_err();
    assert_eq!(unsigned.code(), Code::PermissionDenied, "{unsigned:?}");
    assert!(
        unsigned.message().contains("signed"),
        "{}",
        unsigned.message()
    );

    // A key this deployment does not trust.
    let (stranger, _) = write_key_pair(&dir.path().join("stranger"), "stranger").expect("keygen");
    let (_, by_stranger) = signed(dir.path(), "test-warranty", &stranger);
    let untrusted = plugins
        .install_plugin(install(component.clone(), by_stranger))
        .await
        .unwrap_err();
    assert_eq!(untrusted.code(), Code::PermissionDenied, "{untrusted:?}");
    assert!(
        untrusted.message().contains("no publisher's"),
        "{}",
        untrusted.message()
    );

    // Not a bundle, or a bundle of other bytes: the request is wrong.
    let malformed = plugins
        .install_plugin(install(component.clone(), b"{\"mediaType\": 1}".to_vec()))
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&malformed), ["signature"]);
    let (_, of_other) = signed(dir.path(), "test-campaign", &acme_key);
    let mismatched = plugins
        .install_plugin(install(component.clone(), of_other))
        .await
        .unwrap_err();
    assert_eq!(mismatched.code(), Code::InvalidArgument);
    assert!(
        mismatched.message().contains("not this one"),
        "{}",
        mismatched.message()
    );

    let (component, signature) = signed(dir.path(), "test-warranty", &acme_key);
    let installed = plugins
        .install_plugin(install(component, signature))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(installed.publisher, "acme");
    // The bundled plugins are xingji's.
    let listed = plugins
        .list_plugins(ListPluginsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .plugins;
    assert!(
        listed
            .iter()
            .all(|p| p.publisher == if p.bundled { "xingji" } else { "acme" })
    );
    server.stop().await;
}
