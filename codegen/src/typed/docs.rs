//! Writing rustdoc: schema text made safe as prose, and the docs of fields, nested types and requests.

use serde_json::Value;

use super::{Def, EndpointModule, Gen, Module, Place, ResponseKind, Side, Ty, value_text};
use crate::schema::str_of;

const DEFAULT_HOST: &str = "api.mch.weixin.qq.com";

/// Text for plain doc prose: no line breaks, nothing rustdoc reads as HTML, links or code.
pub(super) fn prose(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('`', "'")
}

/// A short inline code span of `value`.
fn code_span(value: &str) -> String {
    let mut v: String = value.replace(['\r', '\n'], " ");
    if v.chars().count() > 64 {
        v = v.chars().take(60).collect::<String>() + "…";
    }
    if v.contains('`') {
        format!("`` {v} ``")
    } else if v.is_empty() {
        "`\"\"`".to_owned()
    } else {
        format!("`{v}`")
    }
}

impl Gen<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn field_doc(
        &self,
        wire: &str,
        prop: &Value,
        ty: &Ty,
        optional: bool,
        encrypted: bool,
        side: Side,
        place: Place,
    ) -> String {
        let mut doc = match place {
            Place::Path => format!("Path parameter `{{{wire}}}`"),
            Place::Query => format!("Query parameter `{wire}`"),
            Place::Header => format!("Request header `{wire}`"),
            Place::Media => {
                "The file (`multipart/form-data` part `file`); its name and SHA-256 go in the meta".to_owned()
            }
            Place::Body | Place::Meta => format!("`{wire}`"),
        };
        match (side, optional) {
            (Side::Request, false) => doc.push_str(", required"),
            (Side::Request, true) => doc.push_str(", optional (left out when `None`)"),
            (_, true) => doc.push_str(" (`None` when absent)"),
            (_, false) => {}
        }
        let mut notes = Vec::new();
        if let Some(format) = str_of(prop, "format").or_else(|| prop.get("items").and_then(|i| str_of(i, "format"))) {
            match format {
                "rfc3339" => notes.push("an RFC 3339 time".to_owned()),
                "jsonObjectLike" | "jsonArrayLike" => notes.push("JSON text".to_owned()),
                "base64" => {}
                other => notes.push(format!("format `{}`", prose(other))),
            }
        }
        if let Some(n) = prop.get("maxLength").and_then(Value::as_u64) {
            notes.push(format!("at most {n} characters"));
        }
        if encrypted {
            notes.push(match side {
                Side::Request => "sent encrypted with WeChat Pay's key ([`typed::encrypt`](crate::typed::encrypt))".to_owned(),
                _ => "decrypted with the merchant key while the answer is parsed ([`typed::decrypt`](crate::typed::decrypt))"
                    .to_owned(),
            });
        }
        let leaf = match ty {
            Ty::Vec(inner) => inner.as_ref(),
            other => other,
        };
        match leaf {
            Ty::Def(id) => {
                let name = self.def_name(*id);
                let link = match self.def_module(*id) {
                    Module::Shared => format!("[`{name}`](crate::typed::shared::{name})"),
                    Module::Endpoint(_) => format!("[`{name}`]"),
                };
                notes.push(format!("see {link}"));
            }
            Ty::Str | Ty::I64 | Ty::F64 | Ty::Bool if !encrypted => {
                if let Some(example) = prop.get("example").or_else(|| prop.get("items").and_then(|i| i.get("example")))
                    && !example.is_object()
                    && !example.is_array()
                    && !example.is_null()
                {
                    notes.push(format!("e.g. {}", code_span(&value_text(example))));
                }
            }
            _ => {}
        }
        if prop.get("deprecated").and_then(Value::as_bool) == Some(true) {
            notes.push("deprecated".to_owned());
        }
        if !notes.is_empty() {
            doc.push_str("; ");
            doc.push_str(&notes.join("; "));
        }
        doc.push('.');
        doc
    }

    pub(super) fn nested_doc(&self, id: usize, owner: &str) -> String {
        match &self.defs[id] {
            Def::Struct(s) if s.side == Side::Request => format!("{} of the request [`{owner}`].", s.doc),
            Def::Struct(s) => format!("{} of the answer to [`{owner}`].", s.doc),
            Def::Enum(e) => format!("The values of {} (see [`{owner}`]).", e.doc),
            Def::Pending => String::new(),
        }
    }

    pub(super) fn request_doc(&self, m: &EndpointModule) -> String {
        let mut doc = format!("{}\n\n`{} {}`", prose(&m.summary), m.method, m.path);
        match &m.response {
            ResponseKind::Download => doc.push_str(
                ": a file download. Send it with [`Client::call_download`](crate::Client::call_download), which streams\n\
                 the answer as a [`Download`](crate::download::Download).",
            ),
            _ => doc.push_str(&format!(
                ". Send it with [`Client::call`](crate::Client::call) or\n[`call_async`](crate::Client::call_async); the answer is a [`{}`].",
                m.response_name
            )),
        }
        doc.push_str(&format!("\n\nGroup `{}`, feature `{}`.", m.group, m.feature));
        if !m.doc_urls.is_empty() {
            doc.push_str("\n\nOfficial documentation: ");
            doc.push_str(&m.doc_urls.iter().map(|u| format!("<{u}>")).collect::<Vec<_>>().join(", "));
            doc.push('.');
        }
        if m.host != DEFAULT_HOST && !m.host.is_empty() {
            doc.push_str(&format!(
                "\n\nServed on `{}`: build the client with that base URI (`ClientBuilder::base_uri`).",
                m.host
            ));
        }
        let request = self.structure(m.request);
        if request.fields.iter().any(|f| f.encrypted) {
            doc.push_str(
                "\n\nIts `Sensitive` fields are encrypted with one WeChat Pay key, which `Wechatpay-Serial` names\n\
                 ([`Client::endpoint_options`](crate::Client::endpoint_options)).",
            );
        }
        if m.upload && m.unsupported.is_none() {
            doc.push_str(&format!(
                "\n\nA media upload: `media` is sent as the `file` part and the signed `meta` JSON{}.",
                if m.meta_fills.is_empty() {
                    " is `meta`".to_owned()
                } else {
                    format!(
                        " carries its {}",
                        m.meta_fills.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" and ")
                    )
                }
            ));
        }
        if let Some(why) = &m.unsupported {
            doc.push_str(&format!(
                "\n\n**Not sendable yet**: {}; `to_options` fails with an error saying so. Build the multipart body\n\
                 yourself and send it through the chain.",
                prose(why)
            ));
        }
        doc
    }
}
