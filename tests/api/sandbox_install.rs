//! Installation bounded and off the request path (issue 13, hole 4 and the
//! start-up describe of 7): a component of a few huge functions refused
//! before it is compiled while other regions work, the size limit, nothing
//! left on disk by a refused component, uninstall, and a restart that does
//! not describe installed plugins again; a large component compiled off the
//! request path.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use tonic::Code;
use xingji::config::Config;
use xingji_api::v1::audit_service_client::AuditServiceClient;
use xingji_api::v1::*;
use xingji_tests::{
    TestServer, bad_fields, built_plugin, error_info, precondition_failures, unique,
};

use crate::fixtures::{create_outlet, regional_centre, repair, star_centre};

/// A kernel that leaves new orders in intake.
fn manual(dir: &Path) -> Config {
    Config {
        data_dir: dir.to_owned(),
        auto_dispatch: false,
        plugins: xingji_tests::unsigned_allowed(),
        ..Config::default()
    }
}

/// The files of `<data>/artifacts`.
fn artifacts(data_dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(data_dir.join("artifacts"))
        .expect("the artifacts directory")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// A component holding one core module of `functions` functions, each
/// about `size` bytes of arithmetic on a local: what a compiler takes long
/// over. It exports no slot, like the attacker's in the issue.
fn huge_functions(functions: usize, size: usize) -> Vec<u8> {
    use wasm_encoder::{
        CodeSection, Component, Function, FunctionSection, Module, ModuleSection, TypeSection,
        ValType,
    };
    let mut types = TypeSection::new();
    types.ty().function([], []);
    let mut declared = FunctionSection::new();
    let mut code = CodeSection::new();
    for _ in 0..functions {
        declared.function(0);
        let mut body = Function::new([(1, ValType::I32)]);
        // `local.get 0, i32.const 1, i32.add, local.set 0`: 7 bytes.
        for _ in 0..size / 7 {
            body.instructions()
                .local_get(0)
                .i32_const(1)
                .i32_add()
                .local_set(0);
        }
        body.instructions().end();
        code.function(&body);
    }
    let mut module = Module::new();
    module.section(&types).section(&declared).section(&code);
    let mut component = Component::new();
    component.section(&ModuleSection(&module));
    component.finish()
}

/// An install with a generous deadline: it must end well inside it.
fn install(component: Vec<u8>) -> tonic::Request<InstallPluginRequest> {
    let mut request = tonic::Request::new(InstallPluginRequest {
        component,
        ..Default::default()
    });
    request.set_timeout(Duration::from_secs(20));
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_of_huge_functions_is_refused_before_compiling_while_regions_work() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let mut outlets = server.outlets().await;
    let centre = create_outlet(&mut outlets, regional_centre("shanghai", "RC-1")).await;
    create_outlet(&mut outlets, star_centre("shanghai", "SC-1", &centre.id)).await;
    let before = artifacts(dir.path());

    // Three functions of 1.5 MiB each: 4.5 MB, as in the issue.
    let component = huge_functions(3, 3 << 19);
    let mut plugins = server.plugins().await;
    let installing = tokio::spawn(async move { plugins.install_plugin(install(component)).await });
    let mut orders = server.orders().await;
    for _ in 0..5 {
        let created = orders
            .create_order(CreateOrderRequest {
                request_id: unique("huge"),
                order: Some(repair("shanghai")),
            })
            .await
            .expect("another region's CreateOrder succeeds meanwhile");
        assert_eq!(created.into_inner().region, "shanghai");
        let listed = outlets
            .list_outlets(ListOutletsRequest {
                region: "shanghai".into(),
                ..Default::default()
            })
            .await
            .expect("ListOutlets succeeds meanwhile");
        assert_eq!(listed.into_inner().outlets.len(), 2);
    }

    let error = installing
        .await
        .unwrap()
        .expect_err("a component of huge functions is refused");
    assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
    assert_eq!(error_info(&error).0, "TOO_BIG_TO_COMPILE");
    let message = error.message();
    assert!(
        message.contains("function 0 of core module 0"),
        "names the function: {message}"
    );
    assert!(
        message.contains("over the limit of 262144 bytes per function"),
        "names the limit: {message}"
    );
    assert_eq!(
        artifacts(dir.path()),
        before,
        "nothing compiled, nothing kept"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_oversize_component_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = manual(dir.path());
    config.plugins.max_component_bytes = 1 << 20;
    let server = TestServer::start_config(config).await;
    let mut plugins = server.plugins().await;

    // At the limit, the transport admits it and the kernel reads it.
    let error = plugins
        .install_plugin(install(vec![0; 1 << 20]))
        .await
        .expect_err("zeros are no component");
    assert_eq!(error_info(&error).0, "NOT_A_COMPONENT", "{error:?}");

    // One byte over: the kernel's refusal, naming the setting.
    let error = plugins
        .install_plugin(install(vec![0; (1 << 20) + 1]))
        .await
        .expect_err("over the limit");
    assert_eq!(bad_fields(&error), ["component"]);
    assert!(
        error.message().contains("over the limit of 1048576 bytes")
            && error.message().contains("max_component_bytes"),
        "{}",
        error.message()
    );

    // Far over: the transport refuses it before the kernel reads it.
    let error = plugins
        .install_plugin(install(vec![0; 4 << 20]))
        .await
        .expect_err("far over the limit");
    assert_eq!(error.code(), Code::OutOfRange, "{error:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_refused_component_leaves_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let mut plugins = server.plugins().await;
    let before = artifacts(dir.path());
    // Each is compiled, then refused by a later check: an import its slot
    // does not grant, a WIT version this kernel does not run.
    for (plugin, reason) in [
        ("test-greedy", "FORBIDDEN_IMPORT"),
        ("test-future", "UNSUPPORTED_WIT_VERSION"),
    ] {
        let error = plugins
            .install_plugin(install(built_plugin(plugin)))
            .await
            .expect_err("refused");
        assert_eq!(error_info(&error).0, reason, "{plugin}: {error:?}");
        assert_eq!(artifacts(dir.path()), before, "{plugin} left files");
    }
    server.stop().await;

    // Past the compile limit (none at all here): refused at once. The
    // compile runs on unseen; only an install that returns writes.
    let mut config = manual(dir.path());
    config.plugins.compile_timeout_seconds = 0;
    let server = TestServer::start_config(config).await;
    let mut plugins = server.plugins().await;
    let error = plugins
        .install_plugin(install(built_plugin("test-tour")))
        .await
        .expect_err("past the compile limit");
    assert_eq!(error_info(&error).0, "COMPILE_TIMEOUT", "{error:?}");
    assert!(
        error.message().contains("compile_timeout_seconds"),
        "{}",
        error.message()
    );
    assert_eq!(
        artifacts(dir.path()),
        before,
        "a timed-out compile left files"
    );
    server.stop().await;
}

/// The audit trail's events of `operation`.
async fn audited(server: &TestServer, operation: &str) -> Vec<AuditEvent> {
    AuditServiceClient::new(server.channel().await)
        .list_audit_events(ListAuditEventsRequest {
            operation: operation.to_owned(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("the audit trail")
        .into_inner()
        .events
}

#[tokio::test]
async fn uninstall_is_refused_while_active_and_removes_the_artifacts_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let mut plugins = server.plugins().await;
    let before = artifacts(dir.path());
    let installed = plugins
        .install_plugin(install(built_plugin("test-warranty")))
        .await
        .expect("installed")
        .into_inner();
    let ours = |files: &BTreeSet<String>| {
        files
            .iter()
            .filter(|f| f.starts_with(&installed.sha256))
            .count()
    };
    assert_eq!(
        ours(&artifacts(dir.path())),
        3,
        "artifact, describe, digests"
    );
    let activate = |name: &str, version: &str| ActivatePluginRequest {
        region: "shanghai".into(),
        slot: PluginSlot::Warranty as i32,
        name: name.into(),
        version: version.into(),
        reason: "trying it".into(),
        params: Vec::new(),
    };
    let uninstall = UninstallPluginRequest {
        name: installed.name.clone(),
        version: installed.version.clone(),
    };
    plugins
        .activate_plugin(activate(&installed.name, &installed.version))
        .await
        .expect("activated");

    let error = plugins
        .uninstall_plugin(uninstall.clone())
        .await
        .expect_err("refused while active");
    assert_eq!(
        precondition_failures(&error),
        [("ACTIVE".into(), "name".into())]
    );
    assert!(
        error.message().contains("region shanghai"),
        "names the region: {}",
        error.message()
    );
    assert!(
        plugins
            .list_plugins(ListPluginsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .plugins
            .iter()
            .any(|p| p.sha256 == installed.sha256),
        "still installed"
    );

    plugins
        .activate_plugin(activate("warranty-jiujiu", "1.0.0"))
        .await
        .expect("back to the bundled plugin");
    let removed = plugins
        .uninstall_plugin(uninstall.clone())
        .await
        .expect("uninstalled")
        .into_inner();
    assert_eq!(removed.sha256, installed.sha256);
    assert_eq!(artifacts(dir.path()), before, "its artifacts are gone");
    let listed = plugins
        .list_plugins(ListPluginsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .plugins;
    assert!(listed.iter().all(|p| p.sha256 != installed.sha256));
    let error = plugins
        .activate_plugin(activate(&installed.name, &installed.version))
        .await
        .expect_err("no longer installed");
    assert_eq!(error.code(), Code::NotFound);
    let history = plugins
        .list_activations(ListActivationsRequest {
            region: "shanghai".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .activations;
    assert!(
        history.iter().any(|a| a.name == installed.name),
        "history still names it"
    );
    let events = audited(&server, "plugins.uninstall").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0].target,
        format!("plugins/{}@{}", installed.name, installed.version)
    );

    let error = plugins
        .uninstall_plugin(uninstall.clone())
        .await
        .expect_err("gone");
    assert_eq!(error.code(), Code::NotFound);
    let error = plugins
        .uninstall_plugin(UninstallPluginRequest {
            name: "warranty-jiujiu".into(),
            version: "1.0.0".into(),
        })
        .await
        .expect_err("bundled");
    assert_eq!(
        precondition_failures(&error),
        [("BUNDLED".into(), "name".into())]
    );

    // Installed again, from nothing: compiled, described and kept anew.
    let again = plugins
        .install_plugin(install(built_plugin("test-warranty")))
        .await
        .expect("installed again")
        .into_inner();
    assert_eq!(again.sha256, installed.sha256);
    assert_eq!(ours(&artifacts(dir.path())), 3);
    plugins
        .activate_plugin(activate(&again.name, &again.version))
        .await
        .expect("activated again");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_does_not_describe_installed_plugins_again() {
    let dir = tempfile::tempdir().unwrap();
    let (stop, stopping) = tokio::sync::watch::channel(false);

    // A first start describes every bundled plugin.
    let kernel = xingji::server::start_kernel(&manual(dir.path()), stopping.clone())
        .await
        .expect("a kernel");
    assert_eq!(
        kernel.plugins.describes(),
        xingji_bundled::EMBEDDED.len() as u64
    );
    drop(kernel);

    let server = TestServer::start_config(manual(dir.path())).await;
    let mut plugins = server.plugins().await;
    for plugin in ["test-warranty", "test-tour", "test-campaign"] {
        plugins
            .install_plugin(install(built_plugin(plugin)))
            .await
            .expect("installed");
    }
    server.stop().await;

    // Three installed and every bundled plugin: loaded, none described.
    let kernel = xingji::server::start_kernel(&manual(dir.path()), stopping.clone())
        .await
        .expect("a kernel");
    assert_eq!(kernel.plugins.describes(), 0);
    assert_eq!(
        kernel.plugins.list().len(),
        xingji_bundled::EMBEDDED.len() + 3
    );
    drop(kernel);

    // A damaged description is not trusted: that plugin is described again.
    let describe = std::fs::read_dir(dir.path().join("artifacts"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "describe"))
        .expect("a cached description");
    let mut text = std::fs::read(&describe).unwrap();
    text.push(b' ');
    std::fs::write(&describe, text).unwrap();
    let kernel = xingji::server::start_kernel(&manual(dir.path()), stopping)
        .await
        .expect("a kernel");
    assert_eq!(kernel.plugins.describes(), 1);
    drop(kernel);
    let _ = stop.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_component_compiles_off_the_request_path_while_regions_work() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let mut outlets = server.outlets().await;
    let centre = create_outlet(&mut outlets, regional_centre("shanghai", "RC-1")).await;
    create_outlet(&mut outlets, star_centre("shanghai", "SC-1", &centre.id)).await;
    let before = artifacts(dir.path());

    // Within the bounds (functions of 200 KiB), but seconds of compiling.
    let component = huge_functions(20, 200 << 10);
    let mut plugins = server.plugins().await;
    let installing = tokio::spawn(async move { plugins.install_plugin(install(component)).await });
    let mut orders = server.orders().await;
    let mut served = 0;
    while !installing.is_finished() {
        orders
            .create_order(CreateOrderRequest {
                request_id: unique("compiling"),
                order: Some(repair("shanghai")),
            })
            .await
            .expect("another region's CreateOrder succeeds meanwhile");
        outlets
            .list_outlets(ListOutletsRequest {
                region: "shanghai".into(),
                ..Default::default()
            })
            .await
            .expect("ListOutlets succeeds meanwhile");
        served += 1;
    }
    let error = installing.await.unwrap().expect_err("it fills no slot");
    assert_eq!(error_info(&error).0, "NO_SLOT", "{error:?}");
    assert!(served > 0, "calls were served while it compiled");
    assert_eq!(artifacts(dir.path()), before, "nothing kept");
    server.stop().await;
}

#[tokio::test]
async fn uninstall_is_refused_for_a_version_a_region_s_config_names() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let installed = server
        .plugins()
        .await
        .install_plugin(install(built_plugin("test-warranty")))
        .await
        .expect("installed")
        .into_inner();
    server.stop().await;

    // Removing it would leave the config naming what is not installed, and
    // the next start would fail.
    let id = format!("{}@{}", installed.name, installed.version);
    let mut config = manual(dir.path());
    let mut lab = xingji_core::settings::RegionConfig::default();
    lab.plugins.insert("warranty".into(), id.clone());
    config.regions.insert("lab".into(), lab);
    let server = TestServer::start_config(config).await;
    let error = server
        .plugins()
        .await
        .uninstall_plugin(UninstallPluginRequest {
            name: installed.name.clone(),
            version: installed.version.clone(),
        })
        .await
        .expect_err("named by a region's config");
    assert_eq!(
        precondition_failures(&error),
        [("ACTIVE".into(), "name".into())]
    );
    assert!(
        error.message().contains("region lab (its config)"),
        "{}",
        error.message()
    );
    server.stop().await;
}
