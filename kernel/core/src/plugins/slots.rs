//! Slots as the API names them (`PluginSlot`).

use xingji_api::v1::PluginSlot;
use xingji_plugin_host::Slot;

/// The proto enum value of a slot.
pub fn slot_to_proto(slot: Slot) -> PluginSlot {
    match slot {
        Slot::Dispatch => PluginSlot::Dispatch,
        Slot::Warranty => PluginSlot::Warranty,
        Slot::Campaign => PluginSlot::Campaign,
        Slot::Tour => PluginSlot::Tour,
        Slot::Evaluation => PluginSlot::Evaluation,
        Slot::Settlement => PluginSlot::Settlement,
    }
}

/// The slot of a proto enum value, if it names one.
pub fn slot_from_proto(value: i32) -> Option<Slot> {
    Slot::ALL
        .into_iter()
        .find(|slot| slot_to_proto(*slot) as i32 == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_has_its_own_proto_value() {
        for slot in Slot::ALL {
            assert_eq!(slot_from_proto(slot_to_proto(slot) as i32), Some(slot));
        }
        assert_eq!(slot_from_proto(0), None);
        assert_eq!(slot_from_proto(999), None);
    }
}
