//! deploy/, piece by piece and then whole: `units` (the systemd units),
//! `haproxy` (its config, its health check against a real kernel, routing
//! around a dead replica), `image` (the container image, opt-in) and
//! `replicas` (two kernels on PostgreSQL behind HAProxy, while a replica is
//! killed and the database restarts).
//!
//! The kernels are the `xingji` binary cargo built (`tools::kernel_binary`).
//! Without HAProxy or PostgreSQL a test says SKIPPED and how to run it; with
//! `XINGJI_REQUIRE_POSTGRES=1` (CI) it fails instead.

mod haproxy;
mod image;
mod replicas;
mod units;
