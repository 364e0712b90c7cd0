//! Writing the files: a module per group, `shared.rs`, the module list, and the `typed-*` Cargo features.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::docs::prose;
use super::emit::Uses;
use super::naming::{feature_of, module_of_group};
use super::{Def, Gen, Module, ResponseKind, Side, TypedOutput};
use crate::catalog::Catalog;
use crate::chain::TypedLink;
use crate::names::lit;
use crate::out::{Out, header};
use crate::schema::{SchemaEndpoint, Schemas};

const WHAT: &str = "typed layer from codegen/data/schemas.json";

impl Gen<'_> {
    /// Features whose code needs shared definition `id`.
    fn shared_features(&self) -> BTreeMap<usize, BTreeSet<String>> {
        let mut features: BTreeMap<usize, BTreeSet<String>> = self.shared_users.clone();
        loop {
            let mut changed = false;
            for (owner, refs) in &self.shared_refs {
                let owner_features = features.get(owner).cloned().unwrap_or_default();
                for r in refs {
                    let entry = features.entry(*r).or_default();
                    for f in &owner_features {
                        changed |= entry.insert(f.clone());
                    }
                }
            }
            if !changed {
                return features;
            }
        }
    }

    fn cfg_for(&self, features: &BTreeSet<String>) -> String {
        let list: Vec<String> = features.iter().map(|f| format!("feature = {}", lit(f))).collect();
        if list.len() == 1 { format!("#[cfg({})]", list[0]) } else { format!("#[cfg(any({}))]", list.join(", ")) }
    }
}

pub fn generate<'a>(catalog: &Catalog, schemas: &'a Schemas) -> Result<(TypedOutput, Gen<'a>), String> {
    let mut g = Gen::new(schemas);
    let mut by_key: BTreeMap<(&str, &str), &SchemaEndpoint> = BTreeMap::new();
    for se in &schemas.endpoints {
        by_key.insert((se.method.as_str(), se.path.as_str()), se);
    }
    g.reserve_module(Module::Shared, &[]);
    let mut taken = BTreeSet::new();
    for (i, e) in catalog.endpoints.iter().enumerate() {
        if e.v2 {
            continue;
        }
        if let Some(se) = by_key.get(&(e.method.as_str(), e.path.as_str())) {
            g.endpoint(i, catalog, se, &mut taken)?;
        }
    }

    let mut files = BTreeMap::new();
    let mut links = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, m) in g.modules.iter().enumerate() {
        groups.entry(m.group.clone()).or_default().push(i);
        links.insert(
            m.catalog_index,
            TypedLink {
                feature: m.feature.clone(),
                rust_path: format!("crate::typed::{}::{}", m.group_module, m.request_name),
                name: m.request_name.clone(),
                call: if matches!(m.response, ResponseKind::Download) {
                    "Client::call_download"
                } else {
                    "Client::call"
                },
            },
        );
    }
    // Group module names must be distinct.
    let mut module_names: BTreeMap<String, String> = BTreeMap::new();
    for group in groups.keys() {
        if let Some(other) = module_names.insert(module_of_group(group), group.clone()) {
            return Err(format!("groups `{other}` and `{group}` map to the same module"));
        }
    }

    for (group, members) in &groups {
        let first = &g.modules[members[0]];
        let mut out = Out::new();
        out.push_str(&header(WHAT));
        let mut doc = format!(
            "Typed requests of the group `{group}` (feature `{}`): {} endpoint{}.\n\n| request | endpoint | summary |\n| --- | --- | --- |\n",
            first.feature,
            members.len(),
            if members.len() == 1 { "" } else { "s" }
        );
        for &i in members {
            let m = &g.modules[i];
            doc.push_str(&format!(
                "| [`{}`] | `{} {}` | {} |\n",
                m.request_name,
                m.method,
                m.path,
                prose(&m.summary).replace('|', "\\|")
            ));
        }
        doc.push_str("\nEach request lives in its own module with the types of its fields; the request and its answer are\nre-exported here.");
        out.inner_doc(doc);
        out.line("#![allow(clippy::upper_case_acronyms, clippy::enum_variant_names, clippy::large_enum_variant)]");
        out.blank();
        for &i in members {
            let m = &g.modules[i];
            if matches!(m.response, ResponseKind::Download) {
                out.line(format!("pub use self::{}::{};", m.module_name, m.request_name));
            } else {
                out.line(format!("pub use self::{}::{{{}, {}}};", m.module_name, m.request_name, m.response_name));
            }
        }
        out.blank();
        for &i in members {
            g.emit_endpoint(&g.modules[i], &mut out);
        }
        files.insert(format!("src/typed/generated/{}.rs", module_of_group(group)), out.into_string());
    }

    // Shared definitions.
    let shared_features = g.shared_features();
    let mut all_shared_features = BTreeSet::new();
    let mut shared_body = Out::new();
    let mut uses = Uses::default();
    for id in g.module_defs(Module::Shared, &[]) {
        let features = shared_features.get(&id).cloned().unwrap_or_default();
        if features.is_empty() {
            return Err(format!("shared type `{}` is used by no group", g.def_name(id)));
        }
        all_shared_features.extend(features.iter().cloned());
        let cfg = g.cfg_for(&features);
        let doc = match &g.defs[id] {
            Def::Struct(s) if s.doc.starts_with("`#/") && s.side == Side::Request => format!(
                "The shared definition {} as requests send it (required fields plain), used by every request that \
                 refers to it.",
                s.doc
            ),
            Def::Struct(s) if s.doc.starts_with("`#/") => format!(
                "The shared definition {} as answers bring it (every field optional, unknown fields kept), used by \
                 every answer that refers to it.",
                s.doc
            ),
            Def::Struct(s) => format!("{} of a shared definition.", s.doc),
            Def::Enum(e) => format!("The shared enumeration {}, used by every endpoint that refers to it.", e.doc),
            Def::Pending => String::new(),
        };
        match &g.defs[id] {
            Def::Struct(_) => g.emit_struct(id, Module::Shared, Some(&cfg), &mut shared_body, &mut uses, &doc),
            Def::Enum(_) => g.emit_enum(id, Some(&cfg), &mut shared_body, &doc, 0),
            Def::Pending => {}
        }
    }
    let mut shared = Out::new();
    shared.push_str(&header(WHAT));
    shared.inner_doc(
        "Types of the schema catalog's shared definitions (`#/definitions/…`): one Rust type per definition,\n\
         used by every endpoint that refers to it. Each exists when a feature of a group using it is on.",
    );
    shared.line("#![allow(clippy::upper_case_acronyms, clippy::enum_variant_names)]");
    shared.blank();
    if uses.value || uses.map {
        shared.line("#[allow(unused_imports)]\nuse serde_json::{Map, Value};");
    }
    shared.blank();
    shared.push_str(&shared_body.into_string());
    files.insert("src/typed/generated/shared.rs".to_owned(), shared.into_string());

    // The module list.
    let mut top = Out::new();
    top.push_str(&header(WHAT));
    top.inner_doc(format!(
        "The generated typed layer: {} endpoints in {} groups, from {}.",
        g.modules.len(),
        groups.len(),
        schemas.source
    ));
    top.blank();
    for (group, members) in &groups {
        top.line(format!("#[cfg(feature = {})]", lit(&g.modules[members[0]].feature)));
        top.line(format!("pub mod {};", module_of_group(group)));
    }
    top.line(g.cfg_for(&all_shared_features));
    top.line("pub mod shared;");
    files.insert("src/typed/generated/mod.rs".to_owned(), top.into_string());

    // Cargo features.
    let mut features = String::new();
    features.push_str(
        "# One feature per catalog group (`group` in macros/data/endpoints.json, `/` written `-`), each compiling the\n\
         # typed requests of that group (`wechatpay_chain::typed::<group with / and - as _>`); `typed-all` compiles\n\
         # every group.\n",
    );
    features.push_str("typed-all = [\n");
    for group in groups.keys() {
        let _ = writeln!(features, "    \"{}\",", feature_of(group));
    }
    features.push_str("]\n");
    for group in groups.keys() {
        let _ = writeln!(features, "{} = [\"typed\"]", feature_of(group));
    }
    Ok((TypedOutput { files, links, features }, g))
}
