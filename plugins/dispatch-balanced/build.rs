//! A small stack: the dispatch choice recurses nowhere, and a component's
//! memory is reset after every call, so the fewer pages its stack, data and
//! heap span, the cheaper each call (see BENCHMARKS.md, dispatch call).
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=65536");
    }
}
