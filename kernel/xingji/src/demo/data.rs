//! The demo's static data (regions, districts, names, product lines) and
//! the deterministic dice that make every demo the same.

use xingji_api::v1::{AuditEvent, OutletClass, ProductLine};
use xingji_core::actor::Actor;
use xingji_core::audit;

pub(super) struct District {
    pub(super) name: &'static str,
    pub(super) road: &'static str,
    pub(super) lat: f64,
    pub(super) lon: f64,
}

pub(super) struct Region {
    pub(super) id: &'static str,
    pub(super) city: &'static str,
    pub(super) code: &'static str,
    pub(super) class: OutletClass,
    pub(super) districts: [District; 3],
}

pub(super) const REGIONS: [Region; 3] = [
    Region {
        id: "shanghai",
        city: "上海市",
        code: "SH",
        class: OutletClass::Flagship,
        districts: [
            District {
                name: "浦东新区",
                road: "张杨路",
                lat: 31.2215,
                lon: 121.5447,
            },
            District {
                name: "徐汇区",
                road: "漕溪北路",
                lat: 31.1885,
                lon: 121.4365,
            },
            District {
                name: "静安区",
                road: "南京西路",
                lat: 31.2286,
                lon: 121.4480,
            },
        ],
    },
    Region {
        id: "qingdao",
        city: "青岛市",
        code: "QD",
        class: OutletClass::Core,
        districts: [
            District {
                name: "市南区",
                road: "香港中路",
                lat: 36.0663,
                lon: 120.3829,
            },
            District {
                name: "崂山区",
                road: "海尔路",
                lat: 36.1074,
                lon: 120.4687,
            },
            District {
                name: "李沧区",
                road: "京口路",
                lat: 36.1456,
                lon: 120.4317,
            },
        ],
    },
    Region {
        id: "beijing",
        city: "北京市",
        code: "BJ",
        class: OutletClass::Flagship,
        districts: [
            District {
                name: "朝阳区",
                road: "建国路",
                lat: 39.9215,
                lon: 116.4431,
            },
            District {
                name: "海淀区",
                road: "中关村大街",
                lat: 39.9593,
                lon: 116.2980,
            },
            District {
                name: "东城区",
                road: "东长安街",
                lat: 39.9288,
                lon: 116.4160,
            },
        ],
    },
];

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: [&str; 12] = [
    "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰",
];

pub(super) const ALL_LINES: [ProductLine; 7] = [
    ProductLine::Tv,
    ProductLine::FlatPanelTv,
    ProductLine::Computer,
    ProductLine::Refrigerator,
    ProductLine::WashingMachine,
    ProductLine::AirConditioner,
    ProductLine::WaterHeater,
];

/// A small deterministic generator, so that every demo is the same. Every
/// seeding step draws from the one `Dice` in a fixed order: reordering the
/// draws changes the whole demo after them.
pub(super) struct Dice(pub(super) u64);

impl Dice {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// An offset of up to `km` kilometres, in degrees.
    pub(super) fn offset(&mut self, km: f64) -> f64 {
        ((self.next() % 2001) as f64 / 1000.0 - 1.0) * km / 111.0
    }
    pub(super) fn name(&mut self) -> String {
        format!("{}{}", SURNAMES[self.below(12)], GIVEN[self.below(12)])
    }
    pub(super) fn phone(&mut self) -> String {
        format!("13{}{:08}", 5 + self.below(5), self.next() % 100_000_000)
    }
}

/// The audit event of a record the demo seeds: the kernel's own, as
/// `demo.seed`.
pub(super) fn seeded(target: String, region: &str) -> AuditEvent {
    audit::event(&Actor::Kernel, "demo.seed", target, region)
}
