//! `PersonService`: service staff.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::person_service_server::PersonService;
use xingji_api::v1::{
    CreatePersonRequest, GetPersonRequest, LicenceEvent, LicenceEventKind, LicenceState,
    ListLicenceEventsRequest, ListLicenceEventsResponse, ListPeopleRequest, ListPeopleResponse,
    Person, RecordLicenceEventRequest, UpdatePersonRequest,
};
use xingji_store::PersonFilter;

use super::{
    Kernel, actor, check_mask, enum_filter, list_scope, new_id, now, region_filter, require_id,
    text_filter,
};
use crate::licence::LICENCE_POINTS;
use crate::lifecycle::Actor;
use crate::status::{
    failed_precondition, from_store, invalid_field, permission_denied, version_mismatch,
};
use crate::telemetry::record_region;
use crate::validate::{self, Violations};

/// The fields `UpdatePerson` may change.
const UPDATABLE: &[&str] = &[
    "outlet_id",
    "name",
    "phone",
    "level",
    "skills",
    "on_duty",
    "location",
];

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

fn copy_field(to: &mut Person, from: &Person, path: &str) {
    match path {
        "outlet_id" => to.outlet_id.clone_from(&from.outlet_id),
        "name" => to.name.clone_from(&from.name),
        "phone" => to.phone.clone_from(&from.phone),
        "level" => to.level = from.level,
        "skills" => to.skills.clone_from(&from.skills),
        "on_duty" => to.on_duty = from.on_duty,
        "location" => to.location = from.location,
        _ => unreachable!("paths are checked against UPDATABLE"),
    }
}

#[tonic::async_trait]
impl PersonService for PersonApi {
    async fn create_person(
        &self,
        request: Request<CreatePersonRequest>,
    ) -> Result<Response<Person>, Status> {
        let Some(input) = request.into_inner().person else {
            return Err(invalid_field("person", "is required"));
        };
        record_region(&input.region);
        let now = now();
        let person = Person {
            id: new_id("per"),
            licence_points: LICENCE_POINTS,
            licence_state: LicenceState::Normal as i32,
            version: 0,
            create_time: Some(now),
            update_time: Some(now),
            ..input
        };
        let mut violations = Violations::default();
        validate::person(&mut violations, "person", &person);
        violations.into_result()?;
        self.kernel
            .referenced_outlet("person.outlet_id", &person.outlet_id, &person.region)
            .await?;
        let created = self
            .kernel
            .store
            .create_person(person)
            .await
            .map_err(|error| from_store(error, "person", ""))?;
        Ok(Response::new(created))
    }

    async fn get_person(
        &self,
        request: Request<GetPersonRequest>,
    ) -> Result<Response<Person>, Status> {
        let id = request.into_inner().id;
        require_id("id", &id)?;
        let person = self
            .kernel
            .store
            .get_person(&id)
            .await
            .map_err(|error| from_store(error, "person", &id))?;
        record_region(&person.region);
        Ok(Response::new(person))
    }

    async fn list_people(
        &self,
        request: Request<ListPeopleRequest>,
    ) -> Result<Response<ListPeopleResponse>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        let filter = PersonFilter {
            region: region_filter(&request.region)?,
            outlet_id: text_filter(request.outlet_id.clone()),
            level: enum_filter(request.level),
            licence_state: enum_filter(request.licence_state),
            product_line: enum_filter(request.product_line),
            on_duty_only: request.on_duty_only,
        };
        let scope = list_scope(&request, |r| {
            r.page_size = 0;
            r.page_token.clear();
        });
        let store = &self.kernel.store;
        let (people, next_page_token) = self
            .kernel
            .page(
                &scope,
                request.page_size,
                &request.page_token,
                |p: &Person| &p.id,
                |page| async move { store.list_people(&filter, &page).await },
            )
            .await?;
        Ok(Response::new(ListPeopleResponse {
            people,
            next_page_token,
        }))
    }

    async fn update_person(
        &self,
        request: Request<UpdatePersonRequest>,
    ) -> Result<Response<Person>, Status> {
        let request = request.into_inner();
        let Some(input) = request.person else {
            return Err(invalid_field("person", "is required"));
        };
        require_id("person.id", &input.id)?;
        let paths = check_mask(request.update_mask.as_ref(), UPDATABLE)?;
        let current = self
            .kernel
            .store
            .get_person(&input.id)
            .await
            .map_err(|error| from_store(error, "person", &input.id))?;
        record_region(&current.region);
        if input.version != 0 && input.version != current.version {
            return Err(version_mismatch("person", &current.id, current.version));
        }
        let mut person = current.clone();
        for path in &paths {
            copy_field(&mut person, &input, path);
        }
        let mut violations = Violations::default();
        validate::person(&mut violations, "person", &person);
        violations.into_result()?;
        if person.outlet_id != current.outlet_id {
            self.kernel
                .referenced_outlet("person.outlet_id", &person.outlet_id, &person.region)
                .await?;
        }
        person.update_time = Some(now());
        let updated = self
            .kernel
            .store
            .update_person(person)
            .await
            .map_err(|error| from_store(error, "person", &input.id))?;
        Ok(Response::new(updated))
    }

    async fn record_licence_event(
        &self,
        request: Request<RecordLicenceEventRequest>,
    ) -> Result<Response<Person>, Status> {
        let actor = actor(&request);
        let RecordLicenceEventRequest {
            person_id,
            event,
            version,
        } = request.into_inner();
        require_id("person_id", &person_id)?;
        let Some(event) = event else {
            return Err(invalid_field("event", "is required"));
        };
        let mut violations = Violations::default();
        violations.enumeration::<LicenceEventKind>("event.kind", event.kind, false);
        violations.text("event.note", &event.note, 0, 500);
        violations.into_result()?;
        let person = self
            .kernel
            .store
            .get_person(&person_id)
            .await
            .map_err(|error| from_store(error, "person", &person_id))?;
        record_region(&person.region);
        let allowed = match &actor {
            Actor::Hq(_) | Actor::CallCentre(_) => true,
            Actor::Outlet(id) => *id == person.outlet_id,
            _ => false,
        };
        if !allowed {
            return Err(permission_denied(
                &actor.to_string(),
                "record a licence event",
                "hq:, call-centre:, or the person's own outlet (outlet:<id>)",
            ));
        }
        if version != 0 && version != person.version {
            return Err(version_mismatch("person", &person_id, person.version));
        }
        if !event.order_id.is_empty() {
            let found = self.kernel.store.get_order(&event.order_id).await;
            super::referenced(
                "event.order_id",
                "order",
                &event.order_id,
                &person.region,
                found,
                |o| &o.region,
            )?;
        }
        let kind = LicenceEventKind::try_from(event.kind).unwrap_or_default();
        let state = LicenceState::try_from(person.licence_state).unwrap_or(LicenceState::Normal);
        let (delta, points, state) = crate::licence::apply(person.licence_points, state, kind)
            .map_err(|why| failed_precondition("LICENCE", "event.kind", why))?;
        let now = now();
        let event = LicenceEvent {
            id: new_id("lic"),
            person_id: person.id.clone(),
            kind: event.kind,
            order_id: event.order_id,
            note: event.note,
            time: Some(now),
            actor: actor.to_string(),
            points_delta: delta,
            points_after: points,
            state_after: state as i32,
        };
        let person = Person {
            licence_points: points,
            licence_state: state as i32,
            update_time: Some(now),
            ..person
        };
        let (person, _) = self
            .kernel
            .store
            .record_licence_event(person, event)
            .await
            .map_err(|error| from_store(error, "person", &person_id))?;
        Ok(Response::new(person))
    }

    async fn list_licence_events(
        &self,
        request: Request<ListLicenceEventsRequest>,
    ) -> Result<Response<ListLicenceEventsResponse>, Status> {
        let request = request.into_inner();
        require_id("person_id", &request.person_id)?;
        let person = self
            .kernel
            .store
            .get_person(&request.person_id)
            .await
            .map_err(|error| from_store(error, "person", &request.person_id))?;
        record_region(&person.region);
        let scope = list_scope(&request, |r| {
            r.page_size = 0;
            r.page_token.clear();
        });
        let store = &self.kernel.store;
        let person_id = &request.person_id;
        let (events, next_page_token) = self
            .kernel
            .page(
                &scope,
                request.page_size,
                &request.page_token,
                |e: &LicenceEvent| &e.id,
                |page| async move { store.list_licence_events(person_id, &page).await },
            )
            .await?;
        Ok(Response::new(ListLicenceEventsResponse {
            events,
            next_page_token,
        }))
    }
}
