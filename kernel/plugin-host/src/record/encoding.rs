//! How a recorded request spells WIT's enums and flags: their names in
//! JSON (and any human-readable format), a byte each in postcard, through
//! serde's human-readable switch, so that a stored request costs no string
//! per field.

use serde::{Deserialize, Serialize};

use crate::bindings::host::xingji::plugins::types::{
    Grade, LicenceState, OrderKind, OutletStatus, PersonLevel, ProductLine, ProductLines,
};

/// A WIT enum, by its cases' names and positions.
pub trait Named: Sized + Copy {
    /// The cases' WIT names, in WIT order.
    const NAMES: &'static [&'static str];
    /// The case's position.
    fn index(self) -> u8;
    /// The case at `index`.
    fn from_index(index: u8) -> Option<Self>;
}

/// Maps a WIT enum's cases to and from their names and positions.
macro_rules! names {
    ($ty:ident { $($variant:ident = $name:literal),* $(,)? }) => {
        impl Named for $ty {
            const NAMES: &'static [&'static str] = &[$($name),*];
            fn index(self) -> u8 {
                self as u8
            }
            fn from_index(index: u8) -> Option<Self> {
                [$($ty::$variant),*].get(usize::from(index)).copied()
            }
        }
    };
}

names!(ProductLine {
    Tv = "tv",
    FlatPanelTv = "flat-panel-tv",
    Computer = "computer",
    Refrigerator = "refrigerator",
    WashingMachine = "washing-machine",
    AirConditioner = "air-conditioner",
    WaterHeater = "water-heater",
});
names!(OrderKind {
    Installation = "installation",
    Repair = "repair",
    Maintenance = "maintenance",
    Consultation = "consultation",
    BirthdayVisit = "birthday-visit",
    TourVisit = "tour-visit",
    Complaint = "complaint",
});
names!(OutletStatus {
    Active = "active",
    Suspended = "suspended",
    Eliminated = "eliminated",
});
names!(Grade {
    Ungraded = "ungraded",
    A = "a",
    B = "b",
    C = "c",
});
names!(PersonLevel {
    Technician = "technician",
    Engineer = "engineer",
    Senior = "senior",
    Gold = "gold",
});
names!(LicenceState {
    Exemplary = "exemplary",
    Normal = "normal",
    Warning = "warning",
    Eliminated = "eliminated",
});

/// A WIT enum value: its name in JSON (and any human-readable format),
/// its position in postcard, so that a stored request is small and costs
/// no string per field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wit<T>(pub T);

impl<T: Named> Serialize for Wit<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let index = self.0.index();
        if serializer.is_human_readable() {
            serializer.serialize_str(T::NAMES.get(usize::from(index)).copied().unwrap_or(""))
        } else {
            serializer.serialize_u8(index)
        }
    }
}

impl<'de, T: Named> Deserialize<'de> for Wit<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if deserializer.is_human_readable() {
            let name = String::deserialize(deserializer)?;
            let index = T::NAMES.iter().position(|n| *n == name).ok_or_else(|| {
                D::Error::custom(format!("{name:?} is not one of {:?}", T::NAMES))
            })?;
            T::from_index(index as u8)
                .map(Wit)
                .ok_or_else(|| D::Error::custom("out of range"))
        } else {
            let index = u8::deserialize(deserializer)?;
            T::from_index(index)
                .map(Wit)
                .ok_or_else(|| D::Error::custom(format!("case {index} is out of range")))
        }
    }
}

/// The product lines of a `product-lines` set, in WIT order.
const LINES: [ProductLines; 7] = [
    ProductLines::TV,
    ProductLines::FLAT_PANEL_TV,
    ProductLines::COMPUTER,
    ProductLines::REFRIGERATOR,
    ProductLines::WASHING_MACHINE,
    ProductLines::AIR_CONDITIONER,
    ProductLines::WATER_HEATER,
];

/// A `product-lines` set: the names of its flags in JSON, a bit mask in
/// postcard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lines(pub ProductLines);

impl Lines {
    fn bits(self) -> u8 {
        LINES
            .iter()
            .enumerate()
            .filter(|(_, flag)| self.0.contains(**flag))
            .fold(0, |bits, (i, _)| bits | 1 << i)
    }

    fn from_bits(bits: u8) -> Self {
        Lines(
            LINES
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & 1 << i != 0)
                .fold(ProductLines::empty(), |set, (_, flag)| set | *flag),
        )
    }
}

impl Serialize for Lines {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bits = self.bits();
        if serializer.is_human_readable() {
            let names: Vec<&str> = (0..LINES.len())
                .filter(|i| bits & 1 << i != 0)
                .map(|i| ProductLine::NAMES[i])
                .collect();
            names.serialize(serializer)
        } else {
            serializer.serialize_u8(bits)
        }
    }
}

impl<'de> Deserialize<'de> for Lines {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if deserializer.is_human_readable() {
            let names = Vec::<String>::deserialize(deserializer)?;
            let mut bits = 0u8;
            for name in names {
                let i = ProductLine::NAMES
                    .iter()
                    .position(|n| *n == name)
                    .ok_or_else(|| D::Error::custom(format!("{name:?} is not a product line")))?;
                bits |= 1 << i;
            }
            Ok(Lines::from_bits(bits))
        } else {
            u8::deserialize(deserializer).map(Lines::from_bits)
        }
    }
}
