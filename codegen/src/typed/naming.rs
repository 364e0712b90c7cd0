//! Naming: group features and modules, request names, type names placed per module, unique field idents.

use std::collections::BTreeSet;

use super::{Def, Gen, Module};
use crate::names::{camel, unraw};

/// Names the generated modules must not define: they are used unqualified by derives and macros, or would
/// shadow the prelude in the module.
const PRELUDE: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "Eq",
    "PartialEq",
    "Hash",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "ToString",
    "ToOwned",
    "Iterator",
    "From",
    "Into",
    "AsRef",
    "Self",
    "Serialize",
    "Deserialize",
    "Value",
    "Map",
    "Media",
    "Sensitive",
    "Endpoint",
];

pub(super) fn feature_of(group: &str) -> String {
    format!("typed-{}", group.replace('/', "-"))
}

pub(super) fn module_of_group(group: &str) -> String {
    group.replace(['/', '-'], "_").to_ascii_lowercase()
}

pub(super) fn method_camel(method: &str) -> String {
    let lower = method.to_ascii_lowercase();
    camel(&lower)
}

impl Gen<'_> {
    pub(super) fn reserve_module(&mut self, module: Module, names: &[&str]) {
        let table = self.names.entry(module).or_default();
        for n in PRELUDE.iter().chain(names) {
            table.insert((*n).to_owned(), usize::MAX);
        }
    }

    /// A name for a new type in `module`: `base`, else `parent` + `base`, else `base2`, `base3`…; or the
    /// id of an existing type with the same `key` under one of those names.
    pub(super) fn place(&mut self, module: Module, base: &str, parent: &str, key: &str) -> Result<Placed, String> {
        let mut candidates = vec![base.to_owned()];
        if !parent.is_empty() {
            candidates.push(format!("{parent}{base}"));
        }
        for n in 2..1000 {
            candidates.push(format!("{base}{n}"));
        }
        for candidate in candidates {
            let existing = self.names.get(&module).and_then(|t| t.get(&candidate)).copied();
            match existing {
                None => {
                    self.defs.push(Def::Pending);
                    let id = self.defs.len() - 1;
                    self.names.entry(module).or_default().insert(candidate.clone(), id);
                    return Ok(Placed::New(id, candidate));
                }
                Some(id) if id != usize::MAX => {
                    let same = match &self.defs[id] {
                        Def::Struct(s) => s.key == key,
                        Def::Enum(e) => e.key == key,
                        Def::Pending => false,
                    };
                    if same {
                        return Ok(Placed::Existing(id));
                    }
                }
                Some(_) => {}
            }
        }
        Err(format!("no free type name for `{base}`"))
    }
}

pub(super) enum Placed {
    New(usize, String),
    Existing(usize),
}

/// `face_sid` → `face_sid_2` while taken.
pub(super) fn unique_ident(ident: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = ident.clone();
    let mut n = 2;
    while taken.contains(unraw(&candidate)) {
        candidate = format!("{}_{n}", unraw(&ident));
        n += 1;
    }
    taken.insert(unraw(&candidate).to_owned());
    candidate
}
