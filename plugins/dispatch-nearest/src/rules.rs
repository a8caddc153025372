//! The nearest eligible outlet wins (DOMAIN.md §1: "comes when called").
//!
//! Eligibility, the engineer and the refusal are the kit's
//! (`xingji_plugin_sdk::dispatch`); this plugin treats daily capacity 0 as
//! unlimited, and picks the smallest distance in whole metres, then the
//! better grade (A, B, ungraded, C), then the lower index.

use xingji_plugin_sdk::dispatch::{self, Candidate, Network, Rules, ZeroCapacity};

use crate::exports::xingji::plugins::dispatcher::{Assignment, Decision, DispatchRequest};

/// The decision for `request`. A malformed parameter is a refusal that
/// names it: the order waits in intake, and the reason is on its record.
pub fn choose(request: &DispatchRequest) -> Decision {
    let rules = match rules(&request.params) {
        Ok(rules) => rules,
        Err(error) => return Decision::Refuse(format!("misconfigured: {error}")),
    };
    let network = xingji_plugin_sdk::dispatch_network!(request);
    match pick(&network, &rules) {
        Ok(choice) => Decision::Assign(Assignment {
            outlet: choice.outlet as u32,
            engineer: choice.engineer as u32,
            reason: choice.reason,
        }),
        Err(reason) => Decision::Refuse(reason),
    }
}

/// The region's rules: `speed_kmh` and `warning_load_factor`; capacity 0
/// is unlimited.
pub fn rules(params: &[(String, String)]) -> Result<Rules, String> {
    Rules::read(&dispatch::settings(params)?, ZeroCapacity::Unlimited)
}

/// An outlet and engineer, as indices, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub outlet: usize,
    pub engineer: usize,
    pub reason: String,
}

/// The order in which candidates are preferred: nearer, better graded,
/// listed first.
fn key(network: &Network, candidate: &Candidate) -> (u64, dispatch::Grade, usize) {
    (
        candidate.travel.metres(),
        network.outlets[candidate.outlet].grade,
        candidate.outlet,
    )
}

/// The nearest outlet that can take the order, and its engineer; or why
/// nobody fits.
pub fn pick(network: &Network, rules: &Rules) -> Result<Choice, String> {
    let candidates = dispatch::candidates(network, rules);
    let Some(best) = candidates.iter().min_by_key(|c| key(network, c)) else {
        return Err(dispatch::refusal(network, rules));
    };
    let outlet = &network.outlets[best.outlet];
    let tied = candidates
        .iter()
        .filter(|c| c.outlet != best.outlet && c.travel.metres() == best.travel.metres())
        .count();
    let tie = match tied {
        0 => String::new(),
        n => format!(
            " (as near as {n} other{}: grade, then list order)",
            if n == 1 { "" } else { "s" }
        ),
    };
    Ok(Choice {
        outlet: best.outlet,
        engineer: best.pick.engineer,
        reason: format!(
            "nearest of {} in reach: {:.2} km, about {:.0} of {} minutes at {} km/h, grade {}{tie}; {}",
            candidates.len(),
            best.travel.km,
            best.travel.minutes,
            outlet.radius_minutes,
            rules.speed_kmh,
            outlet.grade.name(),
            dispatch::engineer_note(network, rules, &best.pick),
        ),
    })
}

#[cfg(test)]
mod tests {
    use xingji_plugin_sdk::dispatch::fixtures::{engineer, network, outlet, params};
    use xingji_plugin_sdk::dispatch::{Engineer, Grade, Licence, Outlet, Status};

    use super::*;

    fn graded(grade: Grade, km: f64) -> Outlet {
        Outlet {
            grade,
            ..outlet(km)
        }
    }

    fn licence(licence: Licence, outlet: u32, open_orders: u32) -> Engineer {
        Engineer {
            licence,
            open_orders,
            ..engineer(outlet)
        }
    }

    /// What a case expects: an outlet and engineer, or a refusal containing
    /// the text.
    #[derive(Debug)]
    enum Want {
        Pick(usize, usize),
        Refuse(&'static str),
    }
    use Want::*;

    /// Parameters as name, value pairs.
    type Pairs<'a> = &'a [(&'a str, &'a str)];

    #[test]
    fn the_rules() {
        let cases: Vec<(&str, Network, Want)> = vec![
            (
                "the nearest wins, a grade-C next door over a grade-A 3 km off",
                network(
                    vec![graded(Grade::A, 3.4), graded(Grade::C, 0.1)],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "inside the radius by a hair (15 km is 30 minutes at 30 km/h)",
                network(vec![outlet(14.999)], vec![engineer(0)]),
                Pick(0, 0),
            ),
            (
                "out of the radius by a hair",
                network(vec![outlet(15.001)], vec![engineer(0)]),
                Refuse("1 out of reach (the nearest 30 minutes away at 30 km/h, its radius 30)"),
            ),
            (
                "out of reach by a hair, the next one in reach",
                network(
                    vec![outlet(15.001), outlet(14.999)],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "the nearest suspended: the next",
                network(
                    vec![
                        Outlet {
                            status: Status::Suspended,
                            ..outlet(0.5)
                        },
                        outlet(5.0),
                    ],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "the nearest eliminated: the next",
                network(
                    vec![
                        Outlet {
                            status: Status::Eliminated,
                            ..outlet(0.5)
                        },
                        outlet(5.0),
                    ],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "suspended and eliminated: nobody",
                network(
                    vec![
                        Outlet {
                            status: Status::Suspended,
                            ..outlet(0.5)
                        },
                        Outlet {
                            status: Status::Eliminated,
                            ..outlet(1.0)
                        },
                    ],
                    vec![engineer(0), engineer(1)],
                ),
                Refuse("of 2 outlets, 1 suspended, 1 eliminated"),
            ),
            (
                "the nearest does not serve the line: the next",
                network(
                    vec![
                        Outlet {
                            serves: false,
                            ..outlet(0.5)
                        },
                        outlet(5.0),
                    ],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "nobody serves the line",
                network(
                    vec![Outlet {
                        serves: false,
                        ..outlet(0.5)
                    }],
                    vec![engineer(0)],
                ),
                Refuse("1 not serving refrigerator"),
            ),
            (
                "no skilled engineer at the nearest: the next",
                network(
                    vec![outlet(0.5), outlet(5.0)],
                    vec![
                        Engineer {
                            skilled: false,
                            ..engineer(0)
                        },
                        engineer(1),
                    ],
                ),
                Pick(1, 1),
            ),
            (
                "no skilled engineer anywhere",
                network(
                    vec![outlet(0.5)],
                    vec![Engineer {
                        skilled: false,
                        ..engineer(0)
                    }],
                ),
                Refuse("1 with no engineer to send (1 not skilled in refrigerator)"),
            ),
            (
                "the skilled one of two",
                network(
                    vec![outlet(0.5)],
                    vec![
                        Engineer {
                            skilled: false,
                            ..engineer(0)
                        },
                        licence(Licence::Normal, 0, 9),
                    ],
                ),
                Pick(0, 1),
            ),
            (
                "engineer off duty: the one on duty, though busier",
                network(
                    vec![outlet(0.5)],
                    vec![
                        Engineer {
                            on_duty: false,
                            ..engineer(0)
                        },
                        licence(Licence::Normal, 0, 5),
                    ],
                ),
                Pick(0, 1),
            ),
            (
                "everyone off duty",
                network(
                    vec![outlet(0.5)],
                    vec![Engineer {
                        on_duty: false,
                        ..engineer(0)
                    }],
                ),
                Refuse("1 with no engineer to send (1 off duty)"),
            ),
            (
                "eliminated engineer: never sent",
                network(
                    vec![outlet(0.5), outlet(5.0)],
                    vec![licence(Licence::Eliminated, 0, 0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "a warning licence loses at equal load",
                network(
                    vec![outlet(0.5)],
                    vec![
                        licence(Licence::Warning, 0, 2),
                        licence(Licence::Normal, 0, 2),
                    ],
                ),
                Pick(0, 1),
            ),
            (
                "a warning licence is still sent when it is much less loaded",
                network(
                    vec![outlet(0.5)],
                    vec![
                        licence(Licence::Warning, 0, 0),
                        licence(Licence::Normal, 0, 5),
                    ],
                ),
                Pick(0, 0),
            ),
            (
                "capacity full: the next",
                network(
                    vec![
                        Outlet {
                            open_orders: 40,
                            ..outlet(0.5)
                        },
                        outlet(5.0),
                    ],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "capacity full everywhere",
                network(
                    vec![Outlet {
                        open_orders: 40,
                        ..outlet(0.5)
                    }],
                    vec![engineer(0)],
                ),
                Refuse("1 at daily capacity"),
            ),
            (
                "capacity 0 is unlimited",
                network(
                    vec![Outlet {
                        capacity: 0,
                        open_orders: 100,
                        ..outlet(0.5)
                    }],
                    vec![engineer(0)],
                ),
                Pick(0, 0),
            ),
            (
                "a tie in distance: grade A wins",
                network(
                    vec![
                        graded(Grade::C, 2.0),
                        graded(Grade::B, 2.0),
                        graded(Grade::A, 2.0),
                        graded(Grade::Ungraded, 2.0),
                    ],
                    vec![engineer(0), engineer(1), engineer(2), engineer(3)],
                ),
                Pick(2, 2),
            ),
            (
                "a tie in distance: ungraded between B and C",
                network(
                    vec![graded(Grade::C, 2.0), graded(Grade::Ungraded, 2.0)],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "a tie to the metre is a tie",
                network(
                    vec![graded(Grade::B, 2.0), graded(Grade::A, 2.0004)],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "a metre nearer is not a tie",
                network(
                    vec![graded(Grade::B, 1.999), graded(Grade::A, 2.0)],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(0, 0),
            ),
            (
                "a tie in distance and grade: the lower index",
                network(
                    vec![outlet(9.0), graded(Grade::A, 2.0), graded(Grade::A, 2.0)],
                    vec![engineer(2), engineer(1), engineer(0)],
                ),
                Pick(1, 1),
            ),
            (
                "the tie-break winner without an engineer: the other",
                network(
                    vec![graded(Grade::B, 2.0), graded(Grade::A, 2.0)],
                    vec![engineer(0)],
                ),
                Pick(0, 0),
            ),
            (
                "an empty network",
                network(vec![], vec![]),
                Refuse("nobody fits this refrigerator order: the region has no outlets"),
            ),
            (
                "outlets and no engineers",
                network(vec![outlet(1.0), outlet(2.0)], vec![]),
                Refuse("2 with no engineer to send (2 outlets without engineers)"),
            ),
            (
                "an engineer of an outlet not in the list",
                network(vec![outlet(1.0)], vec![engineer(5)]),
                Refuse("1 with no engineer to send (1 outlet without engineers)"),
            ),
        ];
        let rules = Rules::new(ZeroCapacity::Unlimited);
        for (name, net, want) in cases {
            let got = pick(&net, &rules);
            match (&want, &got) {
                (Pick(o, e), Ok(choice)) if (choice.outlet, choice.engineer) == (*o, *e) => {}
                (Refuse(text), Err(reason)) if reason.contains(text) => {}
                _ => panic!("{name}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn vip_changes_the_engineer_not_the_outlet() {
        let outlets = vec![graded(Grade::C, 0.2), graded(Grade::A, 3.0)];
        let engineers = vec![
            licence(Licence::Warning, 0, 0),
            licence(Licence::Normal, 0, 6),
            engineer(1),
        ];
        let rules = Rules::new(ZeroCapacity::Unlimited);
        let mut net = network(outlets, engineers);
        let plain = pick(&net, &rules).unwrap();
        assert_eq!((plain.outlet, plain.engineer), (0, 0));
        net.order.vip = true;
        let vip = pick(&net, &rules).unwrap();
        assert_eq!(
            (vip.outlet, vip.engineer),
            (0, 1),
            "the same outlet, the engineer in good standing"
        );
        assert!(
            vip.reason.ends_with("VIP: warning licences last"),
            "{}",
            vip.reason
        );
        // Only a warned engineer at the nearest outlet: the VIP still goes there.
        net.engineers.remove(1);
        let vip = pick(&net, &rules).unwrap();
        assert_eq!((vip.outlet, vip.engineer), (0, 0));
    }

    #[test]
    fn reasons() {
        let rules = Rules::new(ZeroCapacity::Unlimited);
        let net = network(
            vec![graded(Grade::C, 0.111), graded(Grade::A, 3.4)],
            vec![engineer(0), engineer(1)],
        );
        assert_eq!(
            pick(&net, &rules).unwrap().reason,
            "nearest of 2 in reach: 0.11 km, about 0 of 30 minutes at 30 km/h, grade C; \
             engineer with 0 open orders"
        );
        let net = network(
            vec![
                graded(Grade::B, 2.0),
                graded(Grade::A, 2.0),
                graded(Grade::A, 2.0),
            ],
            vec![
                engineer(0),
                engineer(1),
                engineer(2),
                licence(Licence::Normal, 1, 1),
            ],
        );
        assert_eq!(
            pick(&net, &rules).unwrap().reason,
            "nearest of 3 in reach: 2.00 km, about 4 of 30 minutes at 30 km/h, grade A \
             (as near as 2 others: grade, then list order); engineer with 0 open orders, \
             2 ready at the outlet"
        );
    }

    #[test]
    fn the_speed_parameter_sets_the_reach() {
        let net = network(
            vec![graded(Grade::A, 3.4), graded(Grade::C, 20.0)],
            vec![engineer(0), engineer(1)],
        );
        let cases: Vec<(Pairs, Result<usize, &str>)> = vec![
            (&[], Ok(0)),
            (
                &[("speed_kmh", "2")],
                Err("of 2 outlets, 2 out of reach (the nearest 102 minutes away at 2 km/h"),
            ),
            (&[("speed_kmh", "40")], Ok(0)),
            (
                &[("speed_kmh", "fast")],
                Err("misconfigured: parameter `speed_kmh`"),
            ),
            (&[("load_weight", "60")], Ok(0)),
        ];
        for (pairs, want) in cases {
            let request = xingji_plugin_sdk::dispatch_request!(net.clone(), params(pairs));
            match (choose(&request), want) {
                (Decision::Assign(a), Ok(outlet)) => {
                    assert_eq!(a.outlet as usize, outlet, "{pairs:?}")
                }
                (Decision::Refuse(reason), Err(text)) => {
                    assert!(reason.contains(text), "{pairs:?}: {reason}")
                }
                (got, want) => panic!("{pairs:?}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    /// The outlet and engineer the kernel's test expects.
    const WANT_END_TO_END: (u32, u32) = (1, 0);

    #[test]
    fn the_kernel_end_to_end_network() {
        // tests/api/plugins.rs: a regional centre (capacity 0, no
        // engineers), a grade-C star centre 111 m from the customer and a
        // grade-A one 3.4 km off, one engineer each.
        use crate::exports::xingji::plugins::dispatcher::DispatchRequest;
        let at = |lat: f64, lon: f64| Outlet {
            lat,
            lon,
            ..outlet(0.0)
        };
        let net = network(
            vec![
                Outlet {
                    capacity: 0,
                    grade: Grade::Ungraded,
                    ..at(31.23, 121.47)
                },
                Outlet {
                    capacity: 1000,
                    grade: Grade::C,
                    ..at(31.200, 121.400)
                },
                Outlet {
                    capacity: 1000,
                    grade: Grade::A,
                    ..at(31.230, 121.400)
                },
            ],
            vec![engineer(1), engineer(2)],
        );
        let request: DispatchRequest =
            xingji_plugin_sdk::dispatch_request!(net.clone(), Vec::new());
        let Decision::Assign(assignment) = choose(&request) else {
            panic!("refused")
        };
        assert_eq!((assignment.outlet, assignment.engineer), WANT_END_TO_END);
        // At walking pace only the near one is in reach.
        let request =
            xingji_plugin_sdk::dispatch_request!(net.clone(), params(&[("speed_kmh", "2")]));
        let Decision::Assign(assignment) = choose(&request) else {
            panic!("refused")
        };
        assert_eq!((assignment.outlet, assignment.engineer), (1, 0));
        // Nobody serves the line.
        let mut net = net;
        for outlet in &mut net.outlets {
            outlet.serves = false;
        }
        let request = xingji_plugin_sdk::dispatch_request!(net, Vec::new());
        let Decision::Refuse(reason) = choose(&request) else {
            panic!("assigned")
        };
        assert_eq!(
            reason,
            "nobody fits this refrigerator order: of 3 outlets, 3 not serving refrigerator"
        );
    }

    /// The choice as a native function, the baseline of the kernel's
    /// `plugin_call` bench: the same request (keep `request` in step with
    /// kernel/xingji/benches/plugin_call.rs), timed per call with the
    /// request cloned, as the plugin receives it by value. Run with
    /// `cargo test --release --manifest-path plugins/Cargo.toml -p
    /// dispatch-nearest --lib -- --ignored --nocapture native_call_cost`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn native_call_cost() {
        use std::hint::black_box;
        use std::time::{Duration, Instant};

        use crate::exports::xingji::plugins::dispatcher::{
            CandidateEngineer, CandidateOutlet, Certifications, DispatchOrder,
        };
        use xingji_plugin_sdk::wit::types::{
            Geo, Grade as WitGrade, LicenceState, OrderKind, OutletStatus, PersonLevel,
            ProductLine, ProductLines,
        };

        fn request(outlets: usize) -> DispatchRequest {
            let at = |i: usize| Geo {
                lat: 31.0 + (i % 37) as f64 * 0.01,
                lon: 121.0 + (i % 41) as f64 * 0.01,
            };
            DispatchRequest {
                order: DispatchOrder {
                    id: "order-1".into(),
                    kind: OrderKind::Repair,
                    product_line: ProductLine::Refrigerator,
                    location: at(7),
                    vip: false,
                },
                outlets: (0..outlets)
                    .map(|i| CandidateOutlet {
                        id: format!("outlet-{i}"),
                        location: at(i),
                        service_radius_minutes: 30,
                        product_lines: ProductLines::all(),
                        status: OutletStatus::Active,
                        grade: WitGrade::B,
                        daily_capacity: 40,
                        open_orders: (i % 13) as u32,
                    })
                    .collect(),
                engineers: (0..outlets * 3)
                    .map(|i| CandidateEngineer {
                        id: format!("person-{i}"),
                        outlet: (i / 3) as u32,
                        level: PersonLevel::Engineer,
                        skills: ProductLines::REFRIGERATOR | ProductLines::TV,
                        certified: Certifications {
                            junior: ProductLines::TV,
                            intermediate: ProductLines::empty(),
                            senior: ProductLines::REFRIGERATOR,
                        },
                        licence_state: LicenceState::Normal,
                        on_duty: i % 5 != 0,
                        open_orders: (i % 4) as u32,
                        location: Some(at(i)),
                    })
                    .collect(),
                now: 1_800_000_000,
                params: vec![("speed_kmh".into(), "30".into())],
            }
        }

        // `XINGJI_OUTLETS=100` (a comma list) measures one size.
        let sizes: Vec<usize> = std::env::var("XINGJI_OUTLETS")
            .ok()
            .map(|list| {
                list.split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_else(|| vec![0, 10, 100, 1000]);
        for outlets in sizes {
            let request = request(outlets);
            for _ in 0..1_000 {
                black_box(choose(black_box(&request)));
            }
            let calls = 20_000;
            let mut times = Vec::with_capacity(calls);
            for _ in 0..calls {
                let started = Instant::now();
                let owned = black_box(request.clone());
                black_box(choose(&owned));
                times.push(started.elapsed());
            }
            times.sort();
            let mean = times.iter().sum::<Duration>() / calls as u32;
            let pct = |p: f64| times[((calls as f64 * p) as usize).min(calls - 1)];
            println!(
                "native dispatch-nearest {outlets:5} outlets: mean {:7.2} µs  p50 {:7.2} µs  p99 {:7.2} µs",
                mean.as_secs_f64() * 1e6,
                pct(0.50).as_secs_f64() * 1e6,
                pct(0.99).as_secs_f64() * 1e6,
            );
        }
    }
}
