//! What a client command prints: the server's answer as proto JSON (field
//! names as in the .proto files), or only the field `--value` names.

use std::future::Future;
use std::io::Write;

use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor, SerializeOptions};
use tonic::{Response, Status, Streaming};
use xingji_api::v1::*;

use super::descriptors::POOL;
use super::errors::ClientError;
use super::value::{Step, pick, resolve};

/// A message the server answers with, and its proto type's full name.
pub trait Answer: Message {
    /// `xingji.v1.Order` for `Order`.
    const NAME: &'static str;
}

/// Implements [`Answer`] for `xingji.v1` messages, named after their type
/// so that the name cannot drift from the type.
macro_rules! answers {
    ($($message:ident),* $(,)?) => {
        $(impl Answer for $message {
            const NAME: &'static str = concat!("xingji.v1.", stringify!($message));
        })*
    };
}

answers!(
    Activation,
    Audit,
    ListActivationsResponse,
    ListAuditsResponse,
    ListContractsResponse,
    ListLicenceEventsResponse,
    ListMonthClosesResponse,
    ListOrderDecisionsResponse,
    ListOrdersResponse,
    ListOutletsResponse,
    ListPeopleResponse,
    ListPluginsResponse,
    MonthClose,
    Order,
    OrderEvent,
    Outlet,
    Person,
    PlanToursResponse,
    Plugin,
    PluginStats,
    QuoteResponse,
    RegionPlugins,
    RunBirthdayCampaignResponse,
    ShadowReport,
    WarrantyContract,
);

/// How answers are printed: whole, or only the `--value` field.
#[derive(Debug, Clone)]
pub struct Output {
    value: Option<String>,
}

impl Output {
    /// Prints whole answers, or with `value` only that field of each.
    pub fn new(value: Option<String>) -> Output {
        Output { value }
    }

    /// Makes `call` and prints its answer as indented proto JSON. The
    /// `--value` path is checked first: `call` is not started (futures do
    /// nothing until awaited) if it names no field of the answer.
    pub async fn print<M: Answer>(
        &self,
        call: impl Future<Output = Result<Response<M>, Status>>,
    ) -> Result<(), ClientError> {
        let printer = self.printer::<M>()?;
        let answer = call.await?.into_inner();
        printer.write(&answer, true).map(|_| ())
    }

    /// Makes `call` and prints each message of its stream as one line of
    /// compact JSON, until the stream ends or the reader goes away.
    pub async fn follow<M: Answer>(
        &self,
        call: impl Future<Output = Result<Response<Streaming<M>>, Status>>,
    ) -> Result<(), ClientError> {
        let printer = self.printer::<M>()?;
        let mut stream = call.await?.into_inner();
        while let Some(message) = stream.message().await? {
            if !printer.write(&message, false)? {
                // The reader went away (`| head`): done.
                break;
            }
        }
        Ok(())
    }

    fn printer<M: Answer>(&self) -> Result<Printer, ClientError> {
        let descriptor = POOL
            .get_message_by_name(M::NAME)
            .ok_or_else(|| ClientError::Usage(format!("no message type {}", M::NAME)))?;
        let steps = match &self.value {
            None => None,
            Some(path) => Some(resolve(path, &descriptor).map_err(ClientError::Usage)?),
        };
        Ok(Printer { descriptor, steps })
    }
}

/// Prints messages of one type.
struct Printer {
    descriptor: MessageDescriptor,
    steps: Option<Vec<Step>>,
}

impl Printer {
    /// Writes `message` to standard output, indented or on one line, and
    /// flushes it. Returns whether the reader is still there: one that
    /// stopped early (`| head`) is not an error.
    fn write<M: Message>(&self, message: &M, pretty: bool) -> Result<bool, ClientError> {
        let dynamic =
            DynamicMessage::decode(self.descriptor.clone(), message.encode_to_vec().as_slice())
                .map_err(|error| ClientError::Usage(error.to_string()))?;
        let options = SerializeOptions::new().use_proto_field_name(true);
        let stdout = std::io::stdout().lock();
        let written = match &self.steps {
            Some(steps) => dynamic
                .serialize_with_options(serde_json::value::Serializer, &options)
                .and_then(|json| {
                    let mut stdout = stdout;
                    writeln!(stdout, "{}", pick(&json, steps))
                        .and_then(|()| stdout.flush())
                        .map_err(serde_json::Error::io)
                }),
            None if pretty => {
                let mut out = serde_json::Serializer::pretty(stdout);
                dynamic
                    .serialize_with_options(&mut out, &options)
                    .and_then(|()| end_line(out.into_inner()))
            }
            None => {
                let mut out = serde_json::Serializer::new(stdout);
                dynamic
                    .serialize_with_options(&mut out, &options)
                    .and_then(|()| end_line(out.into_inner()))
            }
        };
        match written {
            Ok(()) => Ok(true),
            Err(error) if error.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) => {
                Ok(false)
            }
            Err(error) => Err(ClientError::Usage(error.to_string())),
        }
    }
}

fn end_line(mut out: impl Write) -> Result<(), serde_json::Error> {
    writeln!(out)
        .and_then(|()| out.flush())
        .map_err(serde_json::Error::io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_type_is_in_the_descriptor_set() {
        for name in [
            Activation::NAME,
            Audit::NAME,
            ListActivationsResponse::NAME,
            ListAuditsResponse::NAME,
            ListContractsResponse::NAME,
            ListLicenceEventsResponse::NAME,
            ListMonthClosesResponse::NAME,
            ListOrderDecisionsResponse::NAME,
            ListOrdersResponse::NAME,
            ListOutletsResponse::NAME,
            ListPeopleResponse::NAME,
            ListPluginsResponse::NAME,
            MonthClose::NAME,
            Order::NAME,
            OrderEvent::NAME,
            Outlet::NAME,
            Person::NAME,
            PlanToursResponse::NAME,
            Plugin::NAME,
            PluginStats::NAME,
            QuoteResponse::NAME,
            RegionPlugins::NAME,
            RunBirthdayCampaignResponse::NAME,
            ShadowReport::NAME,
            WarrantyContract::NAME,
        ] {
            assert!(POOL.get_message_by_name(name).is_some(), "{name}");
        }
    }

    #[tokio::test]
    async fn a_bad_value_path_refuses_before_the_call() {
        let output = Output::new(Some("nosuch".into()));
        let called = std::cell::Cell::new(false);
        let call = async {
            called.set(true);
            Ok(Response::new(Order::default()))
        };
        let error = output.print(call).await.expect_err("not a field");
        assert!(
            error.to_string().contains("its fields: id, region"),
            "{error}"
        );
        assert!(!called.get(), "the call was made");
    }
}
