//! Chain node types generated from the endpoint catalog (1020 APIv3 endpoints).
//!
//! Each type is one catalogued path prefix, named after it (`V3FacemchUsers` is `v3/facemch/users`,
//! `V3FacemchUsersByFaceSid` is `v3/facemch/users/{face_sid}`). A node offers only the segments that
//! continue a catalogued path, so IDE completion lists the valid next steps and a misspelled segment
//! does not compile. Every node dereferences to [`Chain`](crate::Chain) for the verbs and keeps
//! [`seg`](crate::Chain::seg) / [`param`](crate::Chain::param) for anything the catalog lacks. Each
//! node's documentation lists the endpoints at that path with their summaries and query names.

wechatpay_chain_macros::catalog!();
