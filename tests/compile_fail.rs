//! What must not compile, in one trybuild run (one build of the crate): chain nodes offer only catalogued
//! segments (`tests/ui/keyword_segment.rs`, `misspelled_segment.rs`, `wrong_continuation.rs`), `chain!`
//! refuses templates the catalog lacks and names the closest (`tests/ui/chain_*.rs`), and
//! `#[derive(Endpoint)]` refuses misplaced attributes (`tests/ui/typed_*.rs`, feature `typed`). Each case's
//! expected compiler output is its `.stderr` file beside it.

#[test]
fn mistakes_do_not_compile() {
    let t = trybuild::TestCases::new();
    for case in ["keyword_segment", "misspelled_segment", "wrong_continuation"] {
        t.compile_fail(format!("tests/ui/{case}.rs"));
    }
    t.compile_fail("tests/ui/chain_*.rs");
    if cfg!(feature = "typed") {
        t.compile_fail("tests/ui/typed_*.rs");
    }
}
