//! The update mask of an `update` command: the fields whose flags were
//! given, so that the server changes those and leaves the rest alone.

use prost_types::FieldMask;

/// The mask of an update, built while its message is: each flag's value
/// goes through it, and the field joins the mask if the flag was given.
#[derive(Debug, Default)]
pub struct Mask(Vec<String>);

impl Mask {
    /// The value of an optional flag for the field `path` (the field's
    /// default if it was not given).
    pub fn field<T: Default>(&mut self, path: &str, flag: Option<T>) -> T {
        self.given(path, flag.is_some());
        flag.unwrap_or_default()
    }

    /// The values of a repeatable flag for the list field `path`: given
    /// once or more, they replace the list.
    pub fn list<T>(&mut self, path: &str, flags: Vec<T>) -> Vec<T> {
        self.given(path, !flags.is_empty());
        flags
    }

    /// The value for the message field `path`, if its flags were given.
    pub fn message<T>(&mut self, path: &str, value: Option<T>) -> Option<T> {
        self.given(path, value.is_some());
        value
    }

    /// The mask: the fields given, in the order their values went through.
    pub fn finish(self) -> FieldMask {
        FieldMask { paths: self.0 }
    }

    fn given(&mut self, path: &str, given: bool) {
        if given {
            self.0.push(path.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fields_given_join_the_mask_in_order() {
        let mut mask = Mask::default();
        assert_eq!(mask.field("name", Some("n".to_owned())), "n");
        assert_eq!(mask.field::<i32>("tier", None), 0);
        assert_eq!(mask.list::<i32>("skills", Vec::new()), Vec::<i32>::new());
        assert_eq!(mask.list("product_lines", vec![3]), vec![3]);
        assert_eq!(mask.message::<u8>("location", None), None);
        assert_eq!(mask.message("point", Some(1)), Some(1));
        assert_eq!(mask.finish().paths, ["name", "product_lines", "point"]);
    }
}
