//! `#[derive(Endpoint)]`: a request struct whose fields are placed in the path, the query or the JSON body.
//!
//! Path fields are marked `#[param]`, not `#[path]`: `path` is a built-in attribute, and using it as a derive
//! helper is being phased out by rustc (`ambiguous_derive_helpers`).

use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr, Type};

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Placement {
    Path,
    Query,
    Body,
}

impl Placement {
    fn name(self) -> &'static str {
        match self {
            Placement::Path => "param",
            Placement::Query => "query",
            Placement::Body => "body",
        }
    }
}

struct Settings {
    method: LitStr,
    path: LitStr,
    response: Type,
}

pub(crate) fn expand(input: DeriveInput) -> syn::Result<TokenStream2> {
    let settings = settings(&input)?;
    let method_name = settings.method.value();
    if !METHODS.contains(&method_name.as_str()) {
        return Err(syn::Error::new(
            settings.method.span(),
            format!("unknown method `{method_name}`; expected one of {}", METHODS.join(", ")),
        ));
    }
    let template = settings.path.value();
    let variables = template_variables(&template).map_err(|m| syn::Error::new(settings.path.span(), m))?;

    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(Span::call_site(), "`#[derive(Endpoint)]` needs a struct with named fields"));
    };
    let fields: Vec<&syn::Field> = match &data.fields {
        Fields::Named(named) => named.named.iter().collect(),
        // An endpoint without parameters (`GET v3/certificates`).
        Fields::Unit => Vec::new(),
        Fields::Unnamed(_) => {
            return Err(syn::Error::new(
                data.fields.span(),
                "`#[derive(Endpoint)]` needs a struct with named fields (or a unit struct)",
            ));
        }
    };

    let mut placed = Vec::new();
    for field in fields {
        let mut placement: Option<Placement> = None;
        let mut encrypt: Option<Span> = None;
        for attr in &field.attrs {
            if attr.path().is_ident("encrypt") {
                if !matches!(attr.meta, syn::Meta::Path(_)) {
                    return Err(syn::Error::new(
                        attr.meta.span(),
                        "`#[encrypt]` takes no arguments: the client picks the WeChat Pay key (one per request) and \
                         names it in `Wechatpay-Serial`",
                    ));
                }
                if encrypt.is_some() {
                    return Err(syn::Error::new(attr.path().span(), "`#[encrypt]` is given twice"));
                }
                encrypt = Some(attr.path().span());
                continue;
            }
            let this = if attr.path().is_ident("param") {
                Placement::Path
            } else if attr.path().is_ident("query") {
                Placement::Query
            } else if attr.path().is_ident("body") {
                Placement::Body
            } else {
                continue;
            };
            attr.meta.require_path_only()?;
            if let Some(first) = placement {
                return Err(syn::Error::new(
                    attr.path().span(),
                    format!(
                        "a field goes in one place only: it is already `#[{}]`, so it cannot also be `#[{}]`",
                        first.name(),
                        this.name()
                    ),
                ));
            }
            placement = Some(this);
        }
        let Some(ident) = &field.ident else {
            return Err(syn::Error::new(field.span(), "`#[derive(Endpoint)]` needs named fields"));
        };
        let Some(placement) = placement else {
            return Err(syn::Error::new(
                ident.span(),
                format!("field `{ident}` needs a placement: `#[param]`, `#[query]` or `#[body]`"),
            ));
        };
        let name = syn::ext::IdentExt::unraw(ident).to_string();
        if placement == Placement::Path && !variables.contains(&name) {
            return Err(syn::Error::new(
                ident.span(),
                format!("`#[param]` field `{name}` is not a variable of the path template `{template}`"),
            ));
        }
        if let Some(span) = encrypt
            && placement != Placement::Body
        {
            return Err(syn::Error::new(
                span,
                format!(
                    "`#[encrypt]` goes with `#[body]`: WeChat Pay takes encrypted fields in the JSON body, not as \
                         `#[{}]`",
                    placement.name()
                ),
            ));
        }
        placed.push((ident.clone(), name, placement, encrypt.is_some().then_some(&field.ty)));
    }
    for variable in &variables {
        if !placed.iter().any(|(_, name, p, _)| *p == Placement::Path && name == variable) {
            return Err(syn::Error::new(
                settings.path.span(),
                format!("the path template variable `{variable}` has no `#[param]` field"),
            ));
        }
    }

    let method = syn::Ident::new(&method_name, settings.method.span());
    let path = &settings.path;
    let response = &settings.response;
    let private = quote!(::wechatpay_chain::typed::__private);
    let mut steps = Vec::new();
    let has_body = placed.iter().any(|(_, _, p, _)| *p == Placement::Body);
    for (ident, name, placement, encrypt) in &placed {
        steps.push(match (placement, encrypt) {
            (Placement::Body, Some(ty)) => {
                // Spanned at the field's type, where a type that cannot be encrypted is reported.
                let call = quote_spanned!(ty.span()=> #private::encrypted(#name, &self.#ident));
                quote! {
                    if let ::core::option::Option::Some(v) = #call? {
                        body.insert(::std::string::String::from(#name), v);
                    }
                }
            }
            (Placement::Path, _) => quote! {
                options = options.param(#name, #private::value(#name, &self.#ident)?);
            },
            (Placement::Query, _) => quote! {
                if let ::core::option::Option::Some(v) = #private::present(#name, &self.#ident)? {
                    options = options.query(#name, v);
                }
            },
            (Placement::Body, None) => quote! {
                if let ::core::option::Option::Some(v) = #private::present(#name, &self.#ident)? {
                    body.insert(::std::string::String::from(#name), v);
                }
            },
        });
    }
    let body_start = if has_body { quote!(let mut body = #private::Map::new();) } else { quote!() };
    let body_end = if has_body { quote!(options = options.json(&body);) } else { quote!() };

    let ty = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::wechatpay_chain::typed::Endpoint for #ty #ty_generics #where_clause {
            const METHOD: ::wechatpay_chain::http::Method = ::wechatpay_chain::http::Method::#method;
            const PATH: &'static str = #path;
            type Response = #response;

            #[allow(unused_mut)]
            fn to_options(&self) -> ::core::result::Result<::wechatpay_chain::Options, ::wechatpay_chain::Error> {
                let mut options = ::wechatpay_chain::Options::new();
                #body_start
                #(#steps)*
                #body_end
                ::core::result::Result::Ok(options)
            }
        }
    })
}

fn settings(input: &DeriveInput) -> syn::Result<Settings> {
    let mut method = None;
    let mut path = None;
    let mut response = None;
    let mut seen = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("endpoint")) {
        seen = true;
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("method") {
                method = Some(meta.value()?.parse::<LitStr>()?);
            } else if meta.path.is_ident("path") {
                path = Some(meta.value()?.parse::<LitStr>()?);
            } else if meta.path.is_ident("response") {
                response = Some(meta.value()?.parse::<Type>()?);
            } else {
                return Err(meta.error("unknown `endpoint` setting; expected `method`, `path` or `response`"));
            }
            Ok(())
        })?;
    }
    if !seen {
        return Err(syn::Error::new(
            Span::call_site(),
            "missing `#[endpoint(method = \"…\", path = \"…\", response = Type)]`",
        ));
    }
    let missing = |what: &str| syn::Error::new(Span::call_site(), format!("`#[endpoint(…)]` needs `{what}`"));
    Ok(Settings {
        method: method.ok_or_else(|| missing("method = \"GET\""))?,
        path: path.ok_or_else(|| missing("path = \"v3/…\""))?,
        response: response.ok_or_else(|| missing("response = Type"))?,
    })
}

/// The variable names of the `{…}` expressions of an RFC 6570 path template, in order, without repeats.
fn template_variables(template: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| format!("`{{` without `}}` in the path template `{template}`"))?;
        let expression = after[..close].trim_start_matches(['+', '#', '.', '/', ';', '?', '&']);
        for spec in expression.split(',') {
            let name = spec.split(':').next().unwrap_or(spec).trim_end_matches('*');
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`{{{}}}` in `{template}` is not a variable a field can fill", &after[..close]));
            }
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("`}}` without `{{` in the path template `{template}`"));
    }
    Ok(names)
}
