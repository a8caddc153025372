//! What a component may look like before it is compiled: compile time grows
//! with a function's size (worse than linearly for a huge one) and with the
//! number of functions and modules, so a component beyond these bounds is
//! refused after one cheap pass of `wasmparser`, before Cranelift sees it.

use wasmparser::{Encoding, KnownCustom, Name, Parser, Payload};

use crate::load_error::LoadError;

/// The bounds a component's shape must keep. The bundled plugins' largest
/// function is 22 KiB (tour-vrptw), the most functions 311 and the most core
/// modules 3 (BENCHMARKS.md): the defaults leave a wide margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The largest core function body, in bytes.
    pub max_function_bytes: usize,
    /// The most core functions (defined, not imported) in all modules.
    pub max_functions: usize,
    /// The most core modules, nested ones included.
    pub max_modules: usize,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            max_function_bytes: 256 << 10,
            max_functions: 10_000,
            // Each module is instantiated at least once, and the pool holds
            // 8 core instances per plugin (`runtime.rs`, checked by a test):
            // more would pass here only to fail at its first instantiation.
            max_modules: 8,
        }
    }
}

/// The first function over the size bound of one module: found in its code
/// section, named once its name section (which follows) has been read.
struct Oversized {
    module: usize,
    index: u32,
    bytes: usize,
    name: Option<String>,
}

/// Refuses a component whose shape is beyond `shape`, naming the function
/// or count and the bound. Malformed bytes pass: the compiler refuses them
/// with its own, better message.
pub fn check_shape(bytes: &[u8], shape: &Shape) -> Result<(), LoadError> {
    let too_big = |what: String| Err(LoadError::TooBig(what));
    let (mut modules, mut functions) = (0usize, 0usize);
    // Per module being read: its imported functions, and the next body's index.
    let (mut imported, mut next_body) = (0u32, 0u32);
    let mut oversized: Option<Oversized> = None;
    let mut in_module = false;
    for payload in Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else {
            return Ok(());
        };
        match payload {
            Payload::Version {
                encoding: Encoding::Module,
                ..
            } => {
                modules += 1;
                (imported, next_body, in_module) = (0, 0, true);
                if modules > shape.max_modules {
                    return too_big(format!(
                        "it has more than {} core modules",
                        shape.max_modules
                    ));
                }
            }
            Payload::ImportSection(reader) if in_module => {
                for import in reader.into_imports() {
                    if matches!(import, Ok(i) if matches!(i.ty, wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_)))
                    {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                functions += 1;
                if functions > shape.max_functions {
                    return too_big(format!(
                        "it has more than {} functions",
                        shape.max_functions
                    ));
                }
                let size = body.range().len();
                if size > shape.max_function_bytes && oversized.is_none() {
                    oversized = Some(Oversized {
                        module: modules - 1,
                        index: imported + next_body,
                        bytes: size,
                        name: None,
                    });
                }
                next_body += 1;
            }
            Payload::CustomSection(section) if in_module => {
                if let (Some(found), KnownCustom::Name(names)) =
                    (&mut oversized, section.as_known())
                {
                    found.name = function_name(names, found.index);
                }
            }
            Payload::End(_) if in_module => {
                in_module = false;
                if let Some(found) = oversized {
                    let name = found.name.map(|n| format!(" ({n:?})")).unwrap_or_default();
                    return too_big(format!(
                        "function {}{name} of core module {} is {} bytes, over the limit of {} bytes per function",
                        found.index, found.module, found.bytes, shape.max_function_bytes
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The name the name section gives function `index`, cut to 64 characters.
fn function_name(names: wasmparser::NameSectionReader<'_>, index: u32) -> Option<String> {
    for name in names.into_iter().flatten() {
        if let Name::Function(map) = name {
            for naming in map.into_iter().flatten() {
                if naming.index == index {
                    return Some(naming.name.chars().take(64).collect());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A core module (wrapped in nothing: `check_shape` walks modules the
    /// same wherever they are) with `bodies` functions of `size` bytes.
    fn module(bodies: usize, size: usize) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        // type section: one type () -> ()
        section(&mut m, 1, &[1, 0x60, 0, 0]);
        let mut funcs = leb(bodies as u32);
        funcs.extend(std::iter::repeat_n(0u8, bodies));
        section(&mut m, 3, &funcs);
        let mut code = leb(bodies as u32);
        for _ in 0..bodies {
            // no locals, `nop`s, `end`
            let mut body = vec![0u8];
            body.extend(std::iter::repeat_n(0x01u8, size.saturating_sub(2)));
            body.push(0x0b);
            code.extend(leb(body.len() as u32));
            code.extend(body);
        }
        section(&mut m, 10, &code);
        m
    }

    fn section(out: &mut Vec<u8>, id: u8, contents: &[u8]) {
        out.push(id);
        out.extend(leb(contents.len() as u32));
        out.extend_from_slice(contents);
    }

    fn leb(mut n: u32) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    #[test]
    fn a_module_within_the_bounds_passes() {
        assert!(check_shape(&module(3, 1000), &Shape::default()).is_ok());
    }

    #[test]
    fn a_huge_function_is_named_with_the_limit() {
        let shape = Shape {
            max_function_bytes: 4096,
            ..Shape::default()
        };
        let error = check_shape(&module(3, 5000), &shape)
            .expect_err("over the limit")
            .to_string();
        assert!(error.contains("function 0 of core module 0"), "{error}");
        assert!(
            error.contains("limit of 4096 bytes per function"),
            "{error}"
        );
    }

    #[test]
    fn the_name_section_names_the_function() {
        let shape = Shape {
            max_function_bytes: 4096,
            ..Shape::default()
        };
        let error = check_shape(&rename(module(2, 5000), 0, "spin"), &shape)
            .expect_err("over")
            .to_string();
        assert!(
            error.contains("function 0 (\"spin\") of core module 0"),
            "{error}"
        );
    }

    /// `module` with a name section naming function `index`.
    fn rename(mut module: Vec<u8>, index: u32, name: &str) -> Vec<u8> {
        let mut names = leb(1);
        names.extend(leb(index));
        names.extend(leb(name.len() as u32));
        names.extend_from_slice(name.as_bytes());
        let mut contents = leb(4);
        contents.extend_from_slice(b"name");
        contents.push(1);
        contents.extend(leb(names.len() as u32));
        contents.extend(names);
        section(&mut module, 0, &contents);
        module
    }

    #[test]
    fn too_many_modules_are_refused() {
        let inner = module(1, 10);
        let mut component = b"\0asm\x0d\0\x01\0".to_vec();
        for _ in 0..3 {
            section(&mut component, 1, &inner);
        }
        let shape = Shape {
            max_modules: 2,
            ..Shape::default()
        };
        let error = check_shape(&component, &shape)
            .expect_err("over the count")
            .to_string();
        assert!(error.contains("more than 2 core modules"), "{error}");
        assert!(check_shape(&component, &Shape::default()).is_ok());
    }

    #[test]
    fn too_many_functions_are_refused() {
        let shape = Shape {
            max_functions: 10,
            ..Shape::default()
        };
        let error = check_shape(&module(11, 10), &shape)
            .expect_err("over the count")
            .to_string();
        assert!(error.contains("more than 10 functions"), "{error}");
    }
}
