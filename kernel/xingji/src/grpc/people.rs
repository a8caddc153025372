//! `PersonService` over the core's staff (`kernel.people()`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::person_service_server::PersonService;
use xingji_api::v1::{
    CreatePersonRequest, GetPersonRequest, ListLicenceEventsRequest, ListLicenceEventsResponse,
    ListPeopleRequest, ListPeopleResponse, Person, RecordLicenceEventRequest, UpdatePersonRequest,
};
use xingji_core::Kernel;

use crate::grpc::actor::actor;
use crate::grpc::status::reply;

/// The `PersonService` implementation.
pub struct PersonApi {
    kernel: Arc<Kernel>,
}

impl PersonApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

#[tonic::async_trait]
impl PersonService for PersonApi {
    async fn create_person(
        &self,
        request: Request<CreatePersonRequest>,
    ) -> Result<Response<Person>, Status> {
        reply(self.kernel.people().create(request.into_inner()).await)
    }

    async fn get_person(
        &self,
        request: Request<GetPersonRequest>,
    ) -> Result<Response<Person>, Status> {
        reply(self.kernel.people().get(request.into_inner()).await)
    }

    async fn list_people(
        &self,
        request: Request<ListPeopleRequest>,
    ) -> Result<Response<ListPeopleResponse>, Status> {
        reply(self.kernel.people().list(request.into_inner()).await)
    }

    async fn update_person(
        &self,
        request: Request<UpdatePersonRequest>,
    ) -> Result<Response<Person>, Status> {
        reply(self.kernel.people().update(request.into_inner()).await)
    }

    async fn record_licence_event(
        &self,
        request: Request<RecordLicenceEventRequest>,
    ) -> Result<Response<Person>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .people()
                .record_licence_event(&actor, request.into_inner())
                .await,
        )
    }

    async fn list_licence_events(
        &self,
        request: Request<ListLicenceEventsRequest>,
    ) -> Result<Response<ListLicenceEventsResponse>, Status> {
        reply(
            self.kernel
                .people()
                .list_licence_events(request.into_inner())
                .await,
        )
    }
}
