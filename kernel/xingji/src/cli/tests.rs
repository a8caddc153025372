//! Tests of the command line as a whole: every command parses, its help
//! tells the truth about defaults, and its field-to-flag table names flags
//! it has.

use clap::{CommandFactory, Parser};
use xingji_api::v1::RefusedBy;

use super::app::{Cli, Command};
use super::orders::OrdersCommand;

/// A command line for every client command, each with what it requires,
/// as typed after `xingji` (no argument holds a space).
const EVERY_COMMAND: &[&str] = &[
    "outlets list",
    "outlets get out_1",
    "outlets create --region shanghai --name n --number SH-1 --tier hq --class core \
     --lat 31.2 --lon 121.4 --address a",
    "outlets update out_1 --capacity 5",
    "outlets audit out_1 --score 90",
    "outlets audits",
    "people list",
    "people get per_1",
    "people create --region shanghai --outlet out_1 --name n --phone 13912345678 --level gold",
    "people update per_1 --on-duty true",
    "people licence per_1 --kind delight",
    "people licence-events per_1",
    "orders list",
    "orders get ord_1",
    "orders create --region shanghai --kind repair --customer c --phone 13912345678 \
     --address a --lat 31.2 --lon 121.4 --product-line tv",
    "orders dispatch ord_1",
    "orders accept ord_1",
    "orders refuse ord_1 --by outlet --reason r",
    "orders contact ord_1 --appointment 2026-11-29T10:00:00+08:00",
    "orders arrive ord_1",
    "orders complete ord_1 --diagnosis d --work-done w",
    "orders callback ord_1",
    "orders check-quality ord_1",
    "orders cancel ord_1 --reason r",
    "orders invalidate ord_1 --reason r",
    "orders complaint ord_1 --step accept",
    "orders watch",
    "plugins install p.wasm",
    "plugins uninstall dispatch-balanced@1.0.0",
    "plugins sign p.wasm --key k.pem",
    "plugins keygen --out keys --name acme",
    "plugins new --world dispatch my-dispatch",
    "plugins check p.wasm",
    "plugins run p.wasm --request r.json",
    "plugins list",
    "plugins active shanghai",
    "plugins activate shanghai dispatch dispatch-balanced@1.0.0",
    "plugins rollback shanghai dispatch",
    "plugins reset shanghai dispatch",
    "plugins history",
    "plugins shadow shanghai dispatch dispatch-balanced@1.0.0",
    "plugins shadow-report shanghai dispatch",
    "plugins decisions ord_1",
    "wit --out wit",
    "plugins stats",
    "month close shanghai 2-months-ago",
    "month get shanghai 2026-09",
    "month list",
    "warranty quote shanghai --product-line tv --serial s --purchase-date today-30 \
     --price-fen 100",
    "warranty buy shanghai --product-line tv --serial s --purchase-date 2026-01-10 \
     --price-fen 100 --years 2 --phone 13912345678",
    "warranty get shanghai JJ-000001",
    "warranty list shanghai",
    "birthdays shanghai --month next-month",
    "tours shanghai out_1 --date tomorrow",
    "audit verify --data-dir data",
    "tokens issue --role call-centre --subject 07 --region shanghai --ttl 8h --save",
];

/// Parses `xingji LINE`, its words split at white space.
fn parse(line: &str) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("xingji").chain(line.split_whitespace()))
}

/// The built command tree, global flags propagated.
fn tree() -> clap::Command {
    let mut command = Cli::command();
    command.build();
    command
}

/// The client commands' names, `outlets list` or `tours`.
fn leaves(root: &clap::Command) -> Vec<(String, clap::Command)> {
    let mut leaves = Vec::new();
    for group in root.get_subcommands() {
        let name = group.get_name();
        if name == "help" || name == "serve" {
            continue;
        }
        if group.has_subcommands() {
            for leaf in group.get_subcommands().filter(|c| c.get_name() != "help") {
                leaves.push((format!("{name} {}", leaf.get_name()), leaf.clone()));
            }
        } else {
            leaves.push((name.to_owned(), group.clone()));
        }
    }
    leaves
}

fn has_flag(command: &clap::Command, flag: &str) -> bool {
    command.get_arguments().any(|arg| {
        if let Some(long) = flag.strip_prefix("--") {
            arg.get_long() == Some(long)
        } else {
            let name = arg
                .get_value_names()
                .and_then(|names| names.first())
                .map(|name| name.to_string())
                .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
            arg.is_positional() && flag == format!("<{name}>")
        }
    })
}

#[test]
fn the_command_tree_is_sound() {
    Cli::command().debug_assert();
}

#[test]
fn every_command_parses_and_its_flag_table_names_its_own_flags() {
    let root = tree();
    let leaves = leaves(&root);
    for (name, leaf) in &leaves {
        let line = EVERY_COMMAND
            .iter()
            .find(|line| line.starts_with(&format!("{name} ")) || **line == name.as_str())
            .unwrap_or_else(|| panic!("no command line for `{name}` in EVERY_COMMAND"));
        let cli = parse(line).unwrap_or_else(|error| panic!("{name}: {error}"));
        for (field, flags) in cli.command.flags() {
            for flag in flags.split('/') {
                assert!(
                    has_flag(leaf, flag),
                    "`{name}`: {field} maps to {flag}, which it does not have"
                );
            }
        }
    }
    assert_eq!(leaves.len(), EVERY_COMMAND.len(), "one line per command");
}

#[test]
fn help_shows_only_defaults_that_mean_something() {
    for (name, leaf) in leaves(&tree()) {
        for arg in leaf.get_arguments() {
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let shown: Vec<String> = if arg.is_hide_default_value_set() {
                Vec::new()
            } else {
                arg.get_default_values()
                    .iter()
                    .map(|v| v.to_string_lossy().into_owned())
                    .collect()
            };
            let id = arg.get_id();
            assert!(
                shown.is_empty() || !help.contains("[default"),
                "`{name} --{id}` shows two defaults"
            );
            for value in &shown {
                assert!(
                    !value.is_empty() && value != "unspecified",
                    "`{name} --{id}` shows [default: {value:?}]: a filter or field not given"
                );
            }
        }
    }
}

#[test]
fn what_the_server_requires_clap_requires() {
    let root = tree();
    let required = |group: &str, command: &str, ids: &[&str]| {
        let command = root
            .find_subcommand(group)
            .and_then(|g| g.find_subcommand(command))
            .expect("the command");
        for id in ids {
            let arg = command
                .get_arguments()
                .find(|a| a.get_id() == id)
                .unwrap_or_else(|| panic!("{group} {command}: no {id}"));
            assert!(
                arg.is_required_set(),
                "{group} {}: {id}",
                command.get_name()
            );
        }
    };
    required("orders", "create", &["lat", "lon", "region", "customer"]);
    required(
        "outlets",
        "create",
        &["name", "number", "tier", "class", "lat", "lon", "address"],
    );
    required("people", "create", &["outlet", "name", "phone", "level"]);
}

#[test]
fn orders_create_needs_a_location_and_a_kind_unless_a_complaint() {
    let create = |extra: &str| {
        parse(&format!(
            "orders create --region shanghai --customer 李娜 --phone 13912345678 --address x \
             --product-line tv {extra}"
        ))
    };
    let cli = create("--complaint-about ord_1 --summary still-broken --lat 31.2 --lon 121.4")
        .expect("--kind is optional for a complaint");
    let Command::Orders(OrdersCommand::Create(args)) = cli.command else {
        panic!("not create");
    };
    assert_eq!(args.kind, None);
    assert!(
        create("--lat 31.2 --lon 121.4").is_err(),
        "--kind is required otherwise"
    );
    let error = create("--kind repair").expect_err("no location");
    assert!(error.to_string().contains("--lat"), "{error}");
}

#[test]
fn the_new_commands_parse() {
    let cli = parse("orders refuse ord_1 --by engineer --reason ill").expect("parses");
    assert!(matches!(
        cli.command,
        Command::Orders(OrdersCommand::Refuse { by, .. }) if by == RefusedBy::Engineer as i32
    ));
    assert!(parse("orders contact ord_1 --appointment tomorrow").is_err());
}

#[test]
fn birthdays_take_a_window_or_a_month_not_both() {
    let parse = |window: &str| parse(&format!("birthdays shanghai {window}"));
    parse("today today+30").expect("a window");
    parse("--month next-month").expect("a month");
    assert!(parse("").is_err(), "nothing");
    assert!(parse("today").is_err(), "no last day");
    assert!(parse("today today+30 --month next-month").is_err());
}
