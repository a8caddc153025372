//! `xingji people …`: service staff and their licences.

use clap::{ArgAction, Args, Subcommand};
use xingji_api::v1::person_service_client::PersonServiceClient;
use xingji_api::v1::*;

use super::args::{LocationArgs, PageArgs, PagingArgs, enum_arg, page_flags, page_request};
use super::connection::Connection;
use super::errors::{ClientError, FieldFlags};
use super::mask::Mask;
use super::output::Output;

/// `xingji people …`
#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// List people, oldest first.
    List {
        #[command(flatten)]
        page: PageArgs,
        /// Only people of this outlet.
        #[arg(long, default_value = "", hide_default_value = true)]
        outlet: String,
        /// Only people at this level (technician, engineer, senior, gold).
        #[arg(long, value_parser = enum_arg("xingji.v1.PersonLevel"), default_value = "unspecified", hide_default_value = true)]
        level: i32,
        /// Only people in this licence state (exemplary, normal, warning, eliminated).
        #[arg(long, value_parser = enum_arg("xingji.v1.LicenceState"), default_value = "unspecified", hide_default_value = true)]
        licence_state: i32,
        /// Only people skilled in this product line.
        #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"), default_value = "unspecified", hide_default_value = true)]
        product_line: i32,
        /// Only people on duty.
        #[arg(long)]
        on_duty: bool,
    },
    /// Show one person.
    Get {
        /// The person's id.
        id: String,
    },
    /// Create a person.
    Create {
        /// The region, e.g. shanghai: the region of the outlet.
        #[arg(long)]
        region: String,
        #[command(flatten)]
        fields: NewPerson,
    },
    /// Change the given fields of a person.
    Update {
        /// The person's id.
        id: String,
        /// Refuse the update unless the person is still at this version
        /// [default: any version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
        #[command(flatten)]
        fields: PersonChanges,
    },
    /// Record a violation or credit on a person's licence (hq:,
    /// call-centre: or the person's outlet:).
    Licence {
        /// The person's id.
        person_id: String,
        /// promise-broken, non-standard-service, overcharging, repeat-repair,
        /// delight, small-improvement, yearly-review or retrained.
        #[arg(long, value_parser = enum_arg("xingji.v1.LicenceEventKind"))]
        kind: i32,
        /// The order it is about.
        #[arg(long, default_value = "", hide_default_value = true)]
        order: String,
        /// What happened, in words.
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
        /// Refuse unless the person is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// List a person's licence events, oldest first.
    LicenceEvents {
        /// The person's id.
        person_id: String,
        #[command(flatten)]
        page: PagingArgs,
    },
}

/// The flags of a new person: what the server requires is required here.
#[derive(Debug, Args)]
pub struct NewPerson {
    /// The outlet the person works for.
    #[arg(long)]
    pub outlet: String,
    /// Full name.
    #[arg(long)]
    pub name: String,
    /// Phone number.
    #[arg(long)]
    pub phone: String,
    /// technician, engineer, senior or gold.
    #[arg(long, value_parser = enum_arg("xingji.v1.PersonLevel"))]
    pub level: i32,
    /// A skill as PRODUCT_LINE:CERTIFICATION (tv:senior); repeat for several.
    #[arg(long, value_parser = skill_arg)]
    pub skill: Vec<Skill>,
    /// On duty (true or false).
    #[arg(long, action = ArgAction::Set, default_value_t = false)]
    pub on_duty: bool,
    #[command(flatten)]
    pub location: LocationArgs,
}

impl NewPerson {
    /// The request to create this person in `region`.
    fn request(self, region: String) -> CreatePersonRequest {
        let person = Person {
            region,
            outlet_id: self.outlet,
            name: self.name,
            phone: self.phone,
            level: self.level,
            skills: self.skill,
            on_duty: self.on_duty,
            location: self.location.point(),
            ..Person::default()
        };
        CreatePersonRequest {
            person: Some(person),
        }
    }
}

/// The fields an update may change; only those given change.
#[derive(Debug, Args)]
pub struct PersonChanges {
    /// The outlet the person works for.
    #[arg(long)]
    pub outlet: Option<String>,
    /// Full name.
    #[arg(long)]
    pub name: Option<String>,
    /// Phone number.
    #[arg(long)]
    pub phone: Option<String>,
    /// technician, engineer, senior or gold.
    #[arg(long, value_parser = enum_arg("xingji.v1.PersonLevel"))]
    pub level: Option<i32>,
    /// A skill as PRODUCT_LINE:CERTIFICATION (tv:senior); repeat for
    /// several (replaces the list).
    #[arg(long, value_parser = skill_arg)]
    pub skill: Vec<Skill>,
    /// On duty (true or false).
    #[arg(long)]
    pub on_duty: Option<bool>,
    #[command(flatten)]
    pub location: LocationArgs,
}

impl PersonChanges {
    /// The request to change the person `id`, still at `version` (0: any),
    /// as these flags say: the fields given, and the mask naming them.
    fn request(self, id: String, version: i64) -> UpdatePersonRequest {
        let mut mask = Mask::default();
        let person = Person {
            id,
            version,
            outlet_id: mask.field("outlet_id", self.outlet),
            name: mask.field("name", self.name),
            phone: mask.field("phone", self.phone),
            level: mask.field("level", self.level),
            skills: mask.list("skills", self.skill),
            on_duty: mask.field("on_duty", self.on_duty),
            location: mask.message("location", self.location.point()),
            ..Person::default()
        };
        UpdatePersonRequest {
            person: Some(person),
            update_mask: Some(mask.finish()),
        }
    }
}

/// Parses `tv:senior` into a skill.
fn skill_arg(input: &str) -> Result<Skill, String> {
    let (line, level) = input
        .split_once(':')
        .ok_or_else(|| "give PRODUCT_LINE:CERTIFICATION, e.g. tv:senior".to_owned())?;
    Ok(Skill {
        product_line: enum_arg("xingji.v1.ProductLine")(line)?,
        level: enum_arg("xingji.v1.CertificationLevel")(level)?,
    })
}

const LIST: FieldFlags = page_flags![
    ("outlet_id", "--outlet"),
    ("level", "--level"),
    ("licence_state", "--licence-state"),
    ("product_line", "--product-line"),
];
const GET: FieldFlags = &[("id", "<ID>")];

/// A table of a request with a person: the entries given, then those of
/// the person's fields, which create and update share.
macro_rules! person_flags {
    ($($entry:expr),* $(,)?) => {
        &[
            $($entry,)*
            ("person.outlet_id", "--outlet"),
            ("person.name", "--name"),
            ("person.phone", "--phone"),
            ("person.level", "--level"),
            ("person.skills", "--skill"),
            ("person.location", "--lat/--lon"),
            ("person.location.lat", "--lat"),
            ("person.location.lon", "--lon"),
        ]
    };
}
const CREATE: FieldFlags = person_flags![("person.region", "--region")];
const UPDATE: FieldFlags = person_flags![
    ("person.id", "<ID>"),
    ("person.version", "--expect-version"),
    ("person.on_duty", "--on-duty"),
];
const LICENCE: FieldFlags = &[
    ("person_id", "<PERSON_ID>"),
    ("event.kind", "--kind"),
    ("event.order_id", "--order"),
    ("event.note", "--note"),
    ("version", "--expect-version"),
];
const LICENCE_EVENTS: FieldFlags = &[
    ("person_id", "<PERSON_ID>"),
    ("page_size", "--page-size"),
    ("page_token", "--page-token"),
];

impl PeopleCommand {
    /// Which flag sets each field of this command's request.
    pub fn flags(&self) -> FieldFlags {
        match self {
            PeopleCommand::List { .. } => LIST,
            PeopleCommand::Get { .. } => GET,
            PeopleCommand::Create { .. } => CREATE,
            PeopleCommand::Update { .. } => UPDATE,
            PeopleCommand::Licence { .. } => LICENCE,
            PeopleCommand::LicenceEvents { .. } => LICENCE_EVENTS,
        }
    }

    /// Calls the server and prints its answer.
    pub async fn run(self, conn: &Connection, out: &Output) -> Result<(), ClientError> {
        let mut client = PersonServiceClient::new(conn.channel());
        match self {
            PeopleCommand::List {
                page,
                outlet,
                level,
                licence_state,
                product_line,
                on_duty,
            } => {
                let request = page_request!(
                    page,
                    ListPeopleRequest {
                        outlet_id: outlet,
                        level,
                        licence_state,
                        product_line,
                        on_duty_only: on_duty,
                    }
                );
                out.print(client.list_people(request)).await
            }
            PeopleCommand::Get { id } => {
                out.print(client.get_person(GetPersonRequest { id })).await
            }
            PeopleCommand::Create { region, fields } => {
                out.print(client.create_person(fields.request(region)))
                    .await
            }
            PeopleCommand::Update {
                id,
                expect_version,
                fields,
            } => {
                let request = fields.request(id, expect_version);
                out.print(client.update_person(request)).await
            }
            PeopleCommand::Licence {
                person_id,
                kind,
                order,
                note,
                expect_version,
            } => {
                let event = LicenceEvent {
                    kind,
                    order_id: order,
                    note,
                    ..LicenceEvent::default()
                };
                let request = RecordLicenceEventRequest {
                    person_id,
                    event: Some(event),
                    version: expect_version,
                };
                out.print(client.record_licence_event(request)).await
            }
            PeopleCommand::LicenceEvents { person_id, page } => {
                let request = ListLicenceEventsRequest {
                    person_id,
                    page_size: page.page_size,
                    page_token: page.page_token,
                };
                out.print(client.list_licence_events(request)).await
            }
        }
    }
}
