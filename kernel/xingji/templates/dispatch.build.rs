//! A small stack for the component: dispatch runs once per order, and the
//! kernel keeps only the first 128 KiB of a component's memory resident
//! between calls, so a plugin whose stack, data and request fit there
//! costs each call fewer page faults. (Rust's default stack is 1 MiB.)
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=65536");
    }
}
