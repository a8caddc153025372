//! What a run counts: answers by outcome, latencies in an HDR histogram, and
//! what the created orders say about dispatch.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tonic::{Code, Status};
use xingji_api::v1::{Order, OrderStatus};

/// The highest latency the histograms hold, in microseconds (an hour);
/// anything longer is recorded as an hour rather than lost.
const MAX_MICROS: u64 = 3_600_000_000;

/// The failures of one gRPC code.
#[derive(Debug, Clone)]
pub struct Failures {
    /// How many answers had this code.
    pub count: u64,
    /// The message of the first of them: enough to tell what went wrong
    /// without flooding the report.
    pub first_message: String,
}

/// The counts and latencies of a set of requests (a run, a region, a
/// phase). Latencies cover every answer, OK or not: a request that failed
/// after a stall was still a stall for its caller.
#[derive(Debug, Clone)]
pub struct Tally {
    latency: Histogram<u64>,
    /// The OK answers' latencies alone.
    accepted: Histogram<u64>,
    /// The latencies of refusals by admission control
    /// (`RESOURCE_EXHAUSTED`) alone: an overloaded kernel must refuse fast.
    refused: Histogram<u64>,
    /// Answers that were OK.
    pub ok: u64,
    /// Non-OK answers by the gRPC code's canonical name.
    pub failures: BTreeMap<&'static str, Failures>,
    /// The created orders by status (`DISPATCHED`, `INTAKE`, …).
    pub statuses: BTreeMap<String, u64>,
    /// Dispatched orders by the plugin (`name@version`) that chose their
    /// outlet, as the order's history names it.
    pub dispatched_by: BTreeMap<String, u64>,
    /// Why the first order left in intake stayed there (the reason of its
    /// last history entry), to tell a refusal from a plugin failure.
    pub first_intake_reason: Option<String>,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            // Three significant digits from 1 µs to an hour: 0.1 % error,
            // which is finer than anything a network round trip can show.
            latency: histogram(),
            accepted: histogram(),
            refused: histogram(),
            ok: 0,
            failures: BTreeMap::new(),
            statuses: BTreeMap::new(),
            dispatched_by: BTreeMap::new(),
            first_intake_reason: None,
        }
    }
}

impl Tally {
    /// Records one answer that took `latency`.
    pub fn record(&mut self, latency: Duration, answer: &Result<Order, Status>) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(MAX_MICROS)
            .max(1);
        self.latency.saturating_record(micros);
        match answer {
            Ok(_) => self.accepted.saturating_record(micros),
            Err(status) if status.code() == Code::ResourceExhausted => {
                self.refused.saturating_record(micros)
            }
            Err(_) => {}
        }
        match answer {
            Ok(order) => self.record_order(order),
            Err(status) => self.record_failure(status),
        }
    }

    fn record_order(&mut self, order: &Order) {
        self.ok += 1;
        let status = OrderStatus::try_from(order.status).unwrap_or_default();
        let name = status
            .as_str_name()
            .trim_start_matches("ORDER_STATUS_")
            .to_owned();
        *self.statuses.entry(name).or_default() += 1;
        if status == OrderStatus::Dispatched {
            // The kernel writes "<plugin>@<version> chose <outlet> and
            // <engineer>: …" as the dispatch entry's reason; its first word
            // says which plugin version served the order, which is how a
            // hot swap shows on the orders themselves.
            let plugin = order
                .history
                .iter()
                .rev()
                .find(|entry| entry.action == "dispatched")
                .and_then(|entry| entry.reason.split_whitespace().next())
                .unwrap_or("unknown");
            *self.dispatched_by.entry(plugin.to_owned()).or_default() += 1;
        } else if status == OrderStatus::Intake && self.first_intake_reason.is_none() {
            self.first_intake_reason = order
                .history
                .last()
                .map(|entry| format!("{}: {}", entry.action, entry.reason));
        }
    }

    fn record_failure(&mut self, status: &Status) {
        self.failures
            .entry(code_name(status.code()))
            .and_modify(|f| f.count += 1)
            .or_insert_with(|| Failures {
                count: 1,
                first_message: status.message().to_owned(),
            });
    }

    /// Every answer counted, OK or not.
    pub fn sent(&self) -> u64 {
        self.ok + self.failed()
    }

    /// The non-OK answers.
    pub fn failed(&self) -> u64 {
        self.failures.values().map(|f| f.count).sum()
    }

    /// The latency at `quantile` (0 to 1), in milliseconds; 0 when nothing
    /// was recorded.
    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        quantile_of(&self.latency, quantile)
    }

    /// The longest latency, in milliseconds.
    pub fn max_ms(&self) -> f64 {
        if self.latency.is_empty() {
            return 0.0;
        }
        self.latency.max() as f64 / 1000.0
    }

    /// p50, p90, p99, p99.9 and max, as JSON (milliseconds).
    pub fn latency_json(&self) -> Value {
        json!({
            "p50": round3(self.quantile_ms(0.50)),
            "p90": round3(self.quantile_ms(0.90)),
            "p99": round3(self.quantile_ms(0.99)),
            "p99_9": round3(self.quantile_ms(0.999)),
            "max": round3(self.max_ms()),
        })
    }

    /// The failures as JSON: `{CODE: {count, first_message}}`.
    pub fn failures_json(&self) -> Value {
        self.failures
            .iter()
            .map(|(code, f)| {
                (
                    (*code).to_owned(),
                    json!({"count": f.count, "first_message": f.first_message}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// One line per failing code: `  FAILED_PRECONDITION ×12, first: …`.
    pub fn failures_text(&self) -> String {
        self.failures
            .iter()
            .map(|(code, f)| format!("  {code} ×{}, first: {}\n", f.count, f.first_message))
            .collect()
    }

    /// `p50 1.234  p90 …  max …` in milliseconds.
    pub fn latency_text(&self) -> String {
        quantiles_text(&self.latency)
    }

    /// The OK answers' and the refusals' latencies apart, when there were
    /// refusals (otherwise the line above says it all): two lines.
    pub fn admission_text(&self) -> String {
        if self.refused.is_empty() {
            return String::new();
        }
        format!(
            "  accepted {}
  refused (RESOURCE_EXHAUSTED) {}
",
            quantiles_text(&self.accepted),
            quantiles_text(&self.refused)
        )
    }

    /// [`Self::admission_text`] as JSON: `{accepted: {p50, …}, refused: …}`.
    pub fn admission_json(&self) -> Value {
        json!({
            "accepted": quantiles_json(&self.accepted),
            "refused": quantiles_json(&self.refused),
        })
    }
}

/// An empty latency histogram: three significant digits from 1 µs to an
/// hour (0.1 % error, finer than anything a network round trip can show).
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3)
        .expect("1 µs to an hour at 3 significant digits are valid bounds")
}

/// `quantile` of `histogram` in milliseconds (0 when empty).
fn quantile_of(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    if histogram.is_empty() {
        return 0.0;
    }
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

fn quantiles_text(histogram: &Histogram<u64>) -> String {
    format!(
        "p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3} ms",
        quantile_of(histogram, 0.50),
        quantile_of(histogram, 0.90),
        quantile_of(histogram, 0.99),
        quantile_of(histogram, 0.999),
        histogram.max() as f64 / 1000.0
    )
}

fn quantiles_json(histogram: &Histogram<u64>) -> Value {
    json!({
        "p50": round3(quantile_of(histogram, 0.50)),
        "p99": round3(quantile_of(histogram, 0.99)),
        "max": round3(histogram.max() as f64 / 1000.0),
    })
}

/// `x` to three decimals, so that JSON shows microseconds and no float noise.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A gRPC code's canonical name, as in the gRPC spec and `grpcurl`
/// (`FAILED_PRECONDITION`), which is what people search logs for.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xingji_api::v1::HistoryEntry;

    fn dispatched(plugin: &str) -> Order {
        Order {
            status: OrderStatus::Dispatched as i32,
            history: vec![HistoryEntry {
                action: "dispatched".into(),
                reason: format!("{plugin} chose out_1 and per_1: nearest"),
                ..HistoryEntry::default()
            }],
            ..Order::default()
        }
    }

    #[test]
    fn counts_outcomes() {
        let mut a = Tally::default();
        a.record(
            Duration::from_millis(2),
            &Ok(dispatched("dispatch-nearest@1.0.0")),
        );
        a.record(
            Duration::from_millis(4),
            &Err(Status::failed_precondition("no plugin")),
        );
        a.record(
            Duration::from_millis(8),
            &Err(Status::failed_precondition("later")),
        );
        a.record(
            Duration::from_millis(1),
            &Ok(Order {
                status: OrderStatus::Intake as i32,
                ..Order::default()
            }),
        );
        assert_eq!((a.sent(), a.ok, a.failed()), (4, 2, 2));
        let failed = &a.failures["FAILED_PRECONDITION"];
        assert_eq!(
            (failed.count, failed.first_message.as_str()),
            (2, "no plugin")
        );
        assert_eq!(a.statuses["DISPATCHED"], 1);
        assert_eq!(a.statuses["INTAKE"], 1);
        assert_eq!(a.dispatched_by["dispatch-nearest@1.0.0"], 1);
        assert!((a.max_ms() - 8.0).abs() < 0.01, "{}", a.max_ms());
        assert!((a.quantile_ms(0.5) - 2.0).abs() < 0.01);
    }

    #[test]
    fn empty_tally_reports_zeros() {
        let empty = Tally::default();
        assert_eq!(empty.sent(), 0);
        assert_eq!(empty.quantile_ms(0.99), 0.0);
        assert_eq!(empty.max_ms(), 0.0);
    }

    #[test]
    fn accepted_and_refused_latencies_are_kept_apart() {
        let mut a = Tally::default();
        assert_eq!(a.admission_text(), "", "no refusals, no split");
        a.record(Duration::from_millis(40), &Ok(Order::default()));
        a.record(
            Duration::from_millis(2),
            &Err(Status::resource_exhausted("not admitted")),
        );
        a.record(
            Duration::from_millis(900),
            &Err(Status::unavailable("away")),
        );
        let split = a.admission_json();
        // Within the histograms' 0.1 %.
        let max = |kind: &str| split[kind]["max"].as_f64().unwrap_or(-1.0);
        assert!((max("accepted") - 40.0).abs() < 0.1, "{split}");
        assert!((max("refused") - 2.0).abs() < 0.01, "{split}");
        assert!(a.admission_text().contains("refused (RESOURCE_EXHAUSTED)"));
        // Every answer still counts in the whole.
        assert!((a.max_ms() - 900.0).abs() < 1.0);
    }
}
