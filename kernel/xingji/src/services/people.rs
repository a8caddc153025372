//! `PersonService`: service staff.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::person_service_server::PersonService;
use xingji_api::v1::{
    CreatePersonRequest, GetPersonRequest, LicenceState, ListPeopleRequest, ListPeopleResponse,
    Person, UpdatePersonRequest,
};
use xingji_store::PersonFilter;

use super::{
    Kernel, check_mask, enum_filter, list_scope, new_id, now, region_filter, require_id,
    text_filter,
};
use crate::status::{from_store, invalid_field, version_mismatch};
use crate::telemetry::record_region;
use crate::validate::{self, Violations};

/// The points on a newly issued licence, as on a driving licence.
pub const LICENCE_POINTS: i32 = 12;

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
}
