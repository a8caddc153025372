//! The best score wins: grade bonus − load − travel minutes, in hundredths
//! of a point (DOMAIN.md §1 and §4: A outlets first, work spread over the
//! outlets in reach).
//!
//! Eligibility, the engineer and the refusal are the kit's
//! (`xingji_plugin_sdk::dispatch`); this plugin treats daily capacity 0 as
//! "takes no orders" (the load is open orders / capacity). A tie in score
//! goes to the better grade, then to the lower index.

use xingji_plugin_sdk::dispatch::{self, Candidate, Grade, Network, Rules, ZeroCapacity};
use xingji_plugin_sdk::numbers::{Fixed, div_round};

use crate::exports::xingji::plugins::dispatcher::{Assignment, Decision, DispatchRequest};

/// The decision for `request`. A malformed parameter is a refusal that
/// names it: the order waits in intake, and the reason is on its record.
pub fn choose(request: &DispatchRequest) -> Decision {
    let (rules, scoring) = match rules(&request.params) {
        Ok(rules) => rules,
        Err(error) => return Decision::Refuse(format!("misconfigured: {error}")),
    };
    let network = xingji_plugin_sdk::dispatch_network!(request);
    match pick(&network, &rules, &scoring) {
        Ok(choice) => Decision::Assign(Assignment {
            outlet: choice.outlet as u32,
            engineer: choice.engineer as u32,
            reason: choice.reason,
        }),
        Err(reason) => Decision::Refuse(reason),
    }
}

/// Points are hundredths.
const POINTS: u32 = 2;

/// How outlets are scored, in hundredths of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scoring {
    /// Points lost at full load (`load_weight`, default 40).
    pub load_weight: i64,
}

impl Scoring {
    /// The grade bonus: A 30, B 15, ungraded 10, C 0 points.
    pub fn bonus(grade: Grade) -> i64 {
        match grade {
            Grade::A => 3000,
            Grade::B => 1500,
            Grade::Ungraded => 1000,
            Grade::C => 0,
        }
    }

    /// The load penalty: `load_weight` × open orders / capacity.
    pub fn load(&self, open_orders: u32, capacity: u32) -> i64 {
        div_round(
            i128::from(self.load_weight) * i128::from(open_orders),
            i128::from(capacity.max(1)),
        ) as i64
    }

    /// The travel penalty: one point a minute.
    pub fn travel(minutes: f64) -> i64 {
        (minutes * 100.0).round() as i64
    }

    /// The score of `candidate`.
    pub fn score(&self, network: &Network, candidate: &Candidate) -> i64 {
        let outlet = &network.outlets[candidate.outlet];
        Scoring::bonus(outlet.grade)
            - self.load(outlet.open_orders, outlet.capacity)
            - Scoring::travel(candidate.travel.minutes)
    }
}

/// The region's rules: `speed_kmh`, `warning_load_factor` and
/// `load_weight` (points, two decimals, 0 to 1000); capacity 0 takes no
/// orders.
pub fn rules(params: &[(String, String)]) -> Result<(Rules, Scoring), String> {
    let settings = dispatch::settings(params)?;
    let rules = Rules::read(&settings, ZeroCapacity::Closed)?;
    let load_weight = settings.scaled("load_weight", POINTS, 4000, 0..=100_000)?;
    Ok((rules, Scoring { load_weight }))
}

/// An outlet and engineer, as indices, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub outlet: usize,
    pub engineer: usize,
    pub reason: String,
}

/// The best-scored outlet that can take the order, and its engineer; or
/// why nobody fits.
pub fn pick(network: &Network, rules: &Rules, scoring: &Scoring) -> Result<Choice, String> {
    let candidates = dispatch::candidates(network, rules);
    let Some((score, best)) = candidates
        .iter()
        .map(|c| (scoring.score(network, c), c))
        .min_by_key(|(score, c)| (-score, network.outlets[c.outlet].grade, c.outlet))
    else {
        return Err(dispatch::refusal(network, rules));
    };
    let outlet = &network.outlets[best.outlet];
    let points = |hundredths: i64| Fixed(hundredths.into(), POINTS);
    Ok(Choice {
        outlet: best.outlet,
        engineer: best.pick.engineer,
        reason: format!(
            "best of {} in reach: score {} = grade {} {} − load {}/{} {} − {:.2} km at {} km/h {}; {}",
            candidates.len(),
            points(score),
            outlet.grade.name(),
            points(Scoring::bonus(outlet.grade)),
            outlet.open_orders,
            outlet.capacity,
            points(scoring.load(outlet.open_orders, outlet.capacity)),
            best.travel.km,
            rules.speed_kmh,
            points(Scoring::travel(best.travel.minutes)),
            dispatch::engineer_note(network, rules, &best.pick),
        ),
    })
}

#[cfg(test)]
mod tests {
    use xingji_plugin_sdk::dispatch::fixtures::{engineer, network, outlet, params};
    use xingji_plugin_sdk::dispatch::{Engineer, Licence, Outlet, Status};

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

    fn defaults() -> (Rules, Scoring) {
        rules(&[]).unwrap()
    }

    #[test]
    fn the_rules() {
        let cases: Vec<(&str, Network, Want)> = vec![
            (
                "grade A 3.4 km off (30 − 6.8) beats grade C next door (0 − 0.2)",
                network(
                    vec![graded(Grade::A, 3.4), graded(Grade::C, 0.1)],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(0, 0),
            ),
            (
                "grade B next door (15 − 0.2) beats grade A 8 km off (30 − 16)",
                network(
                    vec![graded(Grade::A, 8.0), graded(Grade::B, 0.1)],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "a loaded grade A (30 − 40 × 30/40 − 2) loses to an idle grade B (15 − 2)",
                network(
                    vec![
                        Outlet {
                            open_orders: 30,
                            ..graded(Grade::A, 1.0)
                        },
                        graded(Grade::B, 1.0),
                    ],
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
                "an A out of reach by a hair: the C in reach",
                network(
                    vec![graded(Grade::A, 15.001), graded(Grade::C, 14.999)],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "a suspended A: the B",
                network(
                    vec![
                        Outlet {
                            status: Status::Suspended,
                            ..graded(Grade::A, 0.5)
                        },
                        outlet(5.0),
                    ],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "an eliminated A: the B",
                network(
                    vec![
                        Outlet {
                            status: Status::Eliminated,
                            ..graded(Grade::A, 0.5)
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
                "the A does not serve the line: the B",
                network(
                    vec![
                        Outlet {
                            serves: false,
                            ..graded(Grade::A, 0.5)
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
                "no skilled engineer at the A: the B",
                network(
                    vec![graded(Grade::A, 0.5), outlet(5.0)],
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
                "eliminated engineer at the A: never sent",
                network(
                    vec![graded(Grade::A, 0.5), outlet(5.0)],
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
                "capacity full at the A: the B",
                network(
                    vec![
                        Outlet {
                            open_orders: 40,
                            ..graded(Grade::A, 0.5)
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
                "capacity 0 takes no orders",
                network(
                    vec![
                        Outlet {
                            capacity: 0,
                            ..graded(Grade::A, 0.5)
                        },
                        outlet(5.0),
                    ],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
            ),
            (
                "a tie in distance: grade A wins by its score",
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
                "a tie in score: the better grade (B 15 − 5 − 4 = A 30 − 20 − 4)",
                network(
                    vec![
                        Outlet {
                            open_orders: 5,
                            ..graded(Grade::B, 2.0)
                        },
                        Outlet {
                            open_orders: 20,
                            ..graded(Grade::A, 2.0)
                        },
                    ],
                    vec![engineer(0), engineer(1)],
                ),
                Pick(1, 1),
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
                "an empty network",
                network(vec![], vec![]),
                Refuse("nobody fits this refrigerator order: the region has no outlets"),
            ),
            (
                "outlets and no engineers",
                network(vec![outlet(1.0), outlet(2.0)], vec![]),
                Refuse("2 with no engineer to send (2 outlets without engineers)"),
            ),
        ];
        let (rules, scoring) = defaults();
        for (name, net, want) in cases {
            let got = pick(&net, &rules, &scoring);
            match (&want, &got) {
                (Pick(o, e), Ok(choice)) if (choice.outlet, choice.engineer) == (*o, *e) => {}
                (Refuse(text), Err(reason)) if reason.contains(text) => {}
                _ => panic!("{name}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn vip_changes_the_engineer_not_the_outlet() {
        let outlets = vec![graded(Grade::A, 2.0), graded(Grade::C, 0.2)];
        let engineers = vec![
            licence(Licence::Warning, 0, 0),
            licence(Licence::Normal, 0, 6),
            engineer(1),
        ];
        let (rules, scoring) = defaults();
        let mut net = network(outlets, engineers);
        let plain = pick(&net, &rules, &scoring).unwrap();
        assert_eq!((plain.outlet, plain.engineer), (0, 0));
        net.order.vip = true;
        let vip = pick(&net, &rules, &scoring).unwrap();
        assert_eq!(
            (vip.outlet, vip.engineer),
            (0, 1),
            "the same outlet, the engineer in good standing"
        );
        net.engineers.remove(1);
        let vip = pick(&net, &rules, &scoring).unwrap();
        assert_eq!(
            (vip.outlet, vip.engineer),
            (0, 0),
            "only a warned engineer there: still that outlet"
        );
    }

    #[test]
    fn scores() {
        let scoring = Scoring { load_weight: 4000 };
        assert_eq!(Scoring::bonus(Grade::A), 3000);
        assert_eq!(scoring.load(10, 40), 1000);
        assert_eq!(scoring.load(1, 3), 1333);
        assert_eq!(
            scoring.load(1, 0),
            4000,
            "guarded; capacity 0 is never a candidate"
        );
        assert_eq!(Scoring::travel(6.805), 681);
        let (rules, scoring) = defaults();
        let net = network(
            vec![
                Outlet {
                    open_orders: 10,
                    ..graded(Grade::A, 3.4)
                },
                graded(Grade::C, 0.1),
            ],
            vec![engineer(0), engineer(1), licence(Licence::Normal, 0, 1)],
        );
        assert_eq!(
            pick(&net, &rules, &scoring).unwrap().reason,
            "best of 2 in reach: score 13.20 = grade A 30.00 − load 10/40 10.00 − 3.40 km at 30 km/h 6.80; \
             engineer with 0 open orders, 2 ready at the outlet"
        );
    }

    #[test]
    fn parameters_reach_the_rules() {
        // A: 30 − 4 minutes − load 20/40 × w; B: 15 − 4 minutes.
        let net = network(
            vec![
                Outlet {
                    open_orders: 20,
                    ..graded(Grade::A, 2.0)
                },
                graded(Grade::B, 2.0),
            ],
            vec![engineer(0), engineer(1)],
        );
        let cases: Vec<(Pairs, Result<usize, &str>)> = vec![
            (&[], Ok(1)),
            (&[("load_weight", "29.98")], Ok(0)),
            (&[("load_weight", "30")], Ok(0)),
            (&[("load_weight", "30.02")], Ok(1)),
            (&[("load_weight", "0")], Ok(0)),
            (
                &[("speed_kmh", "3.75")],
                Err("2 out of reach (the nearest 32 minutes away at 3.75 km/h"),
            ),
            (
                &[("load_weight", "heavy")],
                Err("misconfigured: parameter `load_weight`: `heavy` is not a number"),
            ),
            (
                &[("load_weight", "-1")],
                Err("misconfigured: parameter `load_weight`: -1.00 is out of range"),
            ),
            (
                &[("speed_kmh", "0")],
                Err("misconfigured: parameter `speed_kmh`"),
            ),
            (
                &[("warning_load_factor", "3"), ("other_plugin", "x")],
                Ok(1),
            ),
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
    const WANT_END_TO_END: (u32, u32) = (2, 1);

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
}
