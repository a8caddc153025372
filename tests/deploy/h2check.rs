//! HAProxy's health check of a replica, as the bytes on the wire.
//!
//! A replica is healthy when `grpc.health.v1.Health/Check` answers SERVING.
//! HAProxy 2.6's `http-check` cannot make that call: its body, the empty
//! gRPC message, is five NUL bytes, and a NUL ends the configuration's
//! string (`body "\x00…"` is refused), nor match the binary answer
//! (`http-check expect` has no binary matcher). So deploy/haproxy.cfg
//! checks with `tcp-check`: it opens a plain TCP connection, sends a whole
//! HTTP/2 call as `send-binary` lines, and expects the bytes of the DATA
//! frame that carries `status: SERVING`.
//!
//! The request is an HTTP/2 client preface, an empty SETTINGS frame (our
//! settings are the defaults), a HEADERS frame on stream 1 whose header
//! block uses only HPACK's static table and literals without Huffman coding
//! (so it needs no state and reads as ASCII in the hex), and a DATA frame
//! ending the stream with the empty `HealthCheckRequest` (the whole
//! server's health). The answer looked for is the DATA frame of stream 1
//! whose payload is the `HealthCheckResponse { status: SERVING }` message:
//! a server that is NOT_SERVING, or that answers with an error (no DATA
//! frame, just trailers), does not match, and the check times out.
//!
//! [`haproxy_check_lines`] writes the cfg's check section; a test keeps
//! deploy/haproxy.cfg equal to it and another sends [`request`] to a real
//! kernel and finds [`serving_answer`] in what comes back.

use prost::Message;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// The gRPC method the check calls.
pub const PATH: &str = "/grpc.health.v1.Health/Check";

/// The `:authority` the check sends (the kernel does not look at it).
pub const AUTHORITY: &str = "xingji-health-check";

/// The stream the check's call is on: a client's first stream.
const STREAM: u32 = 1;

/// HTTP/2 frame types and flags (RFC 9113 §6).
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const SETTINGS: u8 = 0x4;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;

/// Every HTTP/2 connection starts with it (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// One frame: 24-bit length, type, flags, 31-bit stream id, payload.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).expect("a frame payload under 16 MiB");
    let mut out = length.to_be_bytes()[1..].to_vec();
    out.extend([kind, flags]);
    out.extend((stream & 0x7fff_ffff).to_be_bytes());
    out.extend(payload);
    out
}

/// An HPACK integer with an `prefix_bits`-bit prefix (RFC 7541 §5.1), the
/// prefix's high bits set to `pattern`.
fn hpack_integer(pattern: u8, prefix_bits: u32, value: usize, out: &mut Vec<u8>) {
    let max = (1usize << prefix_bits) - 1;
    if value < max {
        out.push(pattern | value as u8);
        return;
    }
    out.push(pattern | max as u8);
    let mut rest = value - max;
    while rest >= 0x80 {
        out.push((rest % 0x80) as u8 | 0x80);
        rest /= 0x80;
    }
    out.push(rest as u8);
}

/// An HPACK string literal, not Huffman-coded (RFC 7541 §5.2).
fn hpack_string(text: &str, out: &mut Vec<u8>) {
    hpack_integer(0x00, 7, text.len(), out);
    out.extend(text.as_bytes());
}

/// A header field from the static table, name and value (RFC 7541 §6.1).
fn hpack_indexed(index: usize, out: &mut Vec<u8>) {
    hpack_integer(0x80, 7, index, out);
}

/// A literal field never added to the dynamic table (§6.2.2), its name the
/// static table's entry `name_index`.
fn hpack_literal_indexed_name(name_index: usize, value: &str, out: &mut Vec<u8>) {
    hpack_integer(0x00, 4, name_index, out);
    hpack_string(value, out);
}

/// A literal field with a literal name, never indexed (§6.2.2).
fn hpack_literal(name: &str, value: &str, out: &mut Vec<u8>) {
    out.push(0x00);
    hpack_string(name, out);
    hpack_string(value, out);
}

/// Static table entries (RFC 7541 Appendix A) the request uses.
const STATIC_AUTHORITY: usize = 1;
const STATIC_METHOD_POST: usize = 3;
const STATIC_PATH: usize = 4;
const STATIC_SCHEME_HTTP: usize = 6;
const STATIC_CONTENT_TYPE: usize = 31;

/// The header block of the call.
pub fn header_block() -> Vec<u8> {
    let mut block = Vec::new();
    hpack_indexed(STATIC_METHOD_POST, &mut block);
    hpack_indexed(STATIC_SCHEME_HTTP, &mut block);
    hpack_literal_indexed_name(STATIC_PATH, PATH, &mut block);
    hpack_literal_indexed_name(STATIC_AUTHORITY, AUTHORITY, &mut block);
    hpack_literal_indexed_name(STATIC_CONTENT_TYPE, "application/grpc", &mut block);
    // gRPC over HTTP/2 requires it: the client takes trailers.
    hpack_literal("te", "trailers", &mut block);
    block
}

/// A message as gRPC frames it: not compressed, 32-bit length, the bytes.
pub fn grpc_message(message: &impl Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let length = u32::try_from(body.len()).expect("a small message");
    let mut out = vec![0];
    out.extend(length.to_be_bytes());
    out.extend(body);
    out
}

/// The request's frames, each with what it is.
pub fn request_parts() -> Vec<(&'static str, Vec<u8>)> {
    request_parts_for("")
}

/// The frames of a check of `service` ("" for the whole server).
pub fn request_parts_for(service: &str) -> Vec<(&'static str, Vec<u8>)> {
    let check = HealthCheckRequest {
        service: service.to_owned(),
    };
    vec![
        ("the HTTP/2 client preface", PREFACE.to_vec()),
        ("SETTINGS, empty: the defaults", frame(SETTINGS, 0, 0, &[])),
        (
            "HEADERS, stream 1, END_HEADERS: POST http :path /grpc.health.v1.Health/Check, :authority, content-type application/grpc, te trailers (HPACK static table and plain literals)",
            frame(HEADERS, END_HEADERS, STREAM, &header_block()),
        ),
        (
            "DATA, stream 1, END_STREAM: the HealthCheckRequest, gRPC-framed (empty: the whole server)",
            frame(DATA, END_STREAM, STREAM, &grpc_message(&check)),
        ),
    ]
}

/// All the request's bytes.
pub fn request() -> Vec<u8> {
    request_for("")
}

/// All the bytes of a check of `service`.
pub fn request_for(service: &str) -> Vec<u8> {
    request_parts_for(service)
        .into_iter()
        .flat_map(|(_, b)| b)
        .collect()
}

/// The DATA frame of the answer that means SERVING: stream 1, no flags (the
/// trailers end the stream), the gRPC-framed `HealthCheckResponse`.
pub fn serving_answer() -> Vec<u8> {
    let serving = HealthCheckResponse {
        status: ServingStatus::Serving as i32,
    };
    frame(DATA, 0, STREAM, &grpc_message(&serving))
}

/// Lower-case hex, as `send-binary` and `expect binary` take it.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first line of the generated block in deploy/haproxy.cfg.
pub const BEGIN: &str =
    "    # BEGIN generated by tests/deploy/h2check.rs (haproxy_check_lines); do not edit by hand";
/// Its last line.
pub const END: &str = "    # END generated";

/// The check lines of deploy/haproxy.cfg's backend, between [`BEGIN`] and
/// [`END`], each `send-binary` after a comment saying which frame it is.
pub fn haproxy_check_lines() -> String {
    let mut out = format!("{BEGIN}\n    option tcp-check\n");
    for (what, bytes) in request_parts() {
        out.push_str(&format!(
            "    # {what}\n    tcp-check send-binary {}\n",
            hex(&bytes)
        ));
    }
    out.push_str(&format!(
        "    # SERVING: the answer's DATA frame on stream 1 holding HealthCheckResponse {{ status: SERVING }}\n    tcp-check expect binary {}\n",
        hex(&serving_answer())
    ));
    out.push_str(END);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpack_integers_follow_the_rfc_examples() {
        // RFC 7541 C.1.1 and C.1.2: 10 and 1337 with a 5-bit prefix.
        let mut out = Vec::new();
        hpack_integer(0, 5, 10, &mut out);
        assert_eq!(out, [0x0a]);
        out.clear();
        hpack_integer(0, 5, 1337, &mut out);
        assert_eq!(out, [0x1f, 0x9a, 0x0a]);
        // content-type's index, 31, does not fit a 4-bit prefix.
        out.clear();
        hpack_integer(0, 4, 31, &mut out);
        assert_eq!(out, [0x0f, 0x10]);
    }

    #[test]
    fn frames_carry_their_length_type_flags_and_stream() {
        assert_eq!(
            frame(DATA, END_STREAM, 1, &[0; 5]),
            [0, 0, 5, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
        );
        assert_eq!(frame(SETTINGS, 0, 0, &[]), [0, 0, 0, 4, 0, 0, 0, 0, 0]);
        // SERVING is field 1, varint 1: 08 01, gRPC-framed.
        assert_eq!(
            serving_answer(),
            [0, 0, 7, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0x08, 0x01]
        );
    }
}
