//! Service staff (`kernel.people()`) and their licences' events.

use xingji_api::v1::{
    CreatePersonRequest, GetPersonRequest, LicenceEvent, LicenceEventKind, LicenceState,
    ListLicenceEventsRequest, ListLicenceEventsResponse, ListPeopleRequest, ListPeopleResponse,
    Person, PersonLevel, PersonStatus, ProductLine, RecordLicenceEventRequest, UpdatePersonRequest,
};
use xingji_store::{PersonFilter, prelude::*};

use crate::access::{self, Target};
use crate::actor::Actor;
use crate::audit;
use crate::calendar::now;
use crate::error::{KernelError, Result};
use crate::ids::new_id;
use crate::kernel::Kernel;
use crate::licence::{self, LICENCE_POINTS};
use crate::paging::enum_filter;
use crate::permission::Permission::{LicenceRecord, NetworkRead, PeopleWrite};
use crate::records::get;
use crate::regions::record_region;
use crate::updates::{Read, Updatable, updated};
use crate::validate::{self, MAX_REASON, Violations};

/// The fields `UpdatePerson` may change.
const UPDATABLE: &[&str] = &[
    "outlet_id",
    "name",
    "phone",
    "level",
    "skills",
    "on_duty",
    "location",
    "status",
];

/// The service staff of a kernel.
#[derive(Clone, Copy)]
pub struct People<'k> {
    kernel: &'k Kernel,
}

impl Kernel {
    /// Service staff.
    pub fn people(&self) -> People<'_> {
        People { kernel: self }
    }
}

impl People<'_> {
    /// `CreatePerson`: with a new licence of 12 points.
    pub async fn create(&self, actor: &Actor, request: CreatePersonRequest) -> Result<Person> {
        let Some(input) = request.person else {
            return Err(KernelError::invalid("person", "is required"));
        };
        access::check(actor, PeopleWrite, Target::Person(&input))?;
        record_region(&input.region);
        let now = now();
        let person = Person {
            id: new_id("per"),
            licence_points: LICENCE_POINTS,
            licence_state: LicenceState::Normal as i32,
            version: 0,
            create_time: Some(now),
            update_time: Some(now),
            status: PersonStatus::Active as i32,
            ..input
        };
        let mut violations = Violations::default();
        validate::person(&mut violations, "person", &person);
        violations.into_result()?;
        self.kernel
            .regions
            .check("person.region", &person.region)
            .await?;
        self.kernel
            .referenced_outlet("person.outlet_id", &person.outlet_id, &person.region)
            .await?;
        let audit = audit::event(
            actor,
            "people.create",
            format!("people/{}", person.id),
            &person.region,
        );
        self.kernel
            .store
            .create_person(person, audit)
            .await
            .map_err(|error| KernelError::store(error, "person", ""))
    }

    /// `GetPerson`.
    pub async fn get(&self, actor: &Actor, request: GetPersonRequest) -> Result<Person> {
        access::check(actor, NetworkRead, Target::Unread("people", &request.id))?;
        let store = &self.kernel.store;
        let id = &request.id;
        let person: Person = get("id", "person", id, || store.get_person(id)).await?;
        record_region(&person.region);
        access::check(actor, NetworkRead, Target::Person(&person))?;
        Ok(person)
    }

    /// `ListPeople`: one page, oldest first.
    pub async fn list(
        &self,
        actor: &Actor,
        request: ListPeopleRequest,
    ) -> Result<ListPeopleResponse> {
        let regions = self
            .kernel
            .list_regions(actor, NetworkRead, &request.region)
            .await?;
        let outlet_id =
            access::own_filter(actor, actor.own_outlet(), NetworkRead, &request.outlet_id)?;
        let mut violations = Violations::default();
        let level = enum_filter::<PersonLevel>(&mut violations, "level", request.level);
        let licence_state =
            enum_filter::<LicenceState>(&mut violations, "licence_state", request.licence_state);
        let product_line =
            enum_filter::<ProductLine>(&mut violations, "product_line", request.product_line);
        violations.into_result()?;
        let filter = PersonFilter {
            regions,
            outlet_id,
            level,
            licence_state,
            product_line,
            on_duty_only: request.on_duty_only,
        };
        let (people, next_page_token) = self.kernel.list(&request, &filter).await?;
        Ok(ListPeopleResponse {
            people,
            next_page_token,
        })
    }

    /// `UpdatePerson`: the fields its mask names, at the version given.
    pub async fn update(&self, actor: &Actor, request: UpdatePersonRequest) -> Result<Person> {
        let id = request.person.as_ref().map_or("", |p| p.id.as_str());
        access::check(actor, PeopleWrite, Target::Unread("people", id))?;
        let store = self.kernel.store.as_ref();
        let mask = request.update_mask.as_ref();
        let (current, mut person) = updated(store, request.person, mask).await?;
        // Both where the person is and where they go: an outlet moves no
        // one into or out of another outlet.
        access::check(actor, PeopleWrite, Target::Person(&current))?;
        access::check(actor, PeopleWrite, Target::Person(&person))?;
        if person.status() == PersonStatus::Deactivated {
            person.on_duty = false;
        }
        if person.outlet_id != current.outlet_id {
            self.kernel
                .referenced_outlet("person.outlet_id", &person.outlet_id, &person.region)
                .await?;
        }
        person.update_time = Some(now());
        let id = person.id.clone();
        let audit = audit::event(
            actor,
            "people.update",
            format!("people/{id}"),
            &person.region,
        );
        store
            .update_person(person, audit)
            .await
            .map_err(|error| KernelError::store(error, "person", &id))
    }

    /// `RecordLicenceEvent`: the event moves the licence's points and
    /// state; both are written together, at the person's version.
    pub async fn record_licence_event(
        &self,
        actor: &Actor,
        request: RecordLicenceEventRequest,
    ) -> Result<Person> {
        let RecordLicenceEventRequest {
            person_id,
            event,
            version,
        } = request;
        if person_id.is_empty() {
            return Err(KernelError::invalid("person_id", "is required"));
        }
        access::check(actor, LicenceRecord, Target::Unread("people", &person_id))?;
        let Some(event) = event else {
            return Err(KernelError::invalid("event", "is required"));
        };
        let mut violations = Violations::default();
        violations.enumeration::<LicenceEventKind>("event.kind", event.kind, false);
        violations.text("event.note", &event.note, 0, MAX_REASON);
        violations.into_result()?;
        let store = &self.kernel.store;
        let person: Person = get("person_id", "person", &person_id, || {
            store.get_person(&person_id)
        })
        .await?;
        record_region(&person.region);
        access::check(actor, LicenceRecord, Target::Person(&person))?;
        if version != 0 && version != person.version {
            return Err(KernelError::version_mismatch(
                "person",
                &person_id,
                person.version,
            ));
        }
        if !event.order_id.is_empty() {
            self.kernel
                .referenced_order("event.order_id", &event.order_id, &person.region)
                .await?;
        }
        let state = LicenceState::try_from(person.licence_state).unwrap_or(LicenceState::Normal);
        let (delta, points, state) = licence::apply(person.licence_points, state, event.kind())
            .map_err(|why| KernelError::precondition("LICENCE", "event.kind", why))?;
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
        let audit = audit::event(
            actor,
            "people.licence-event",
            format!("people/{person_id}"),
            &person.region,
        );
        let (person, _) = store
            .record_licence_event(person, event, audit)
            .await
            .map_err(|error| KernelError::store(error, "person", &person_id))?;
        Ok(person)
    }

    /// `ListLicenceEvents`: a person's licence events, oldest first.
    pub async fn list_licence_events(
        &self,
        actor: &Actor,
        request: ListLicenceEventsRequest,
    ) -> Result<ListLicenceEventsResponse> {
        access::check(
            actor,
            NetworkRead,
            Target::Unread("people", &request.person_id),
        )?;
        let store = &self.kernel.store;
        let person_id = &request.person_id;
        let person: Person = get("person_id", "person", person_id, || {
            store.get_person(person_id)
        })
        .await?;
        record_region(&person.region);
        access::check(actor, NetworkRead, Target::Person(&person))?;
        let (events, next_page_token) = self.kernel.list(&request, &person.id).await?;
        Ok(ListLicenceEventsResponse {
            events,
            next_page_token,
        })
    }
}

impl Updatable for Person {
    const KIND: &'static str = "person";
    const UPDATABLE: &'static [&'static str] = UPDATABLE;

    fn key(&self) -> (&str, i64, &str) {
        (&self.id, self.version, &self.region)
    }

    fn copy_field(&mut self, from: &Self, path: &str) {
        match path {
            "outlet_id" => self.outlet_id.clone_from(&from.outlet_id),
            "name" => self.name.clone_from(&from.name),
            "phone" => self.phone.clone_from(&from.phone),
            "level" => self.level = from.level,
            "skills" => self.skills.clone_from(&from.skills),
            "on_duty" => self.on_duty = from.on_duty,
            "location" => self.location = from.location,
            "status" => self.status = from.status,
            // Paths are checked against UPDATABLE first.
            _ => {}
        }
    }

    fn check(&self, violations: &mut Violations) {
        validate::person(violations, "person", self);
    }

    fn read<'a>(store: &'a dyn Store, id: &'a str) -> Read<'a, Self> {
        store.get_person(id)
    }
}
