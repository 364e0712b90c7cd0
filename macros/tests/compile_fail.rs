//! What must not compile, seen from a user's crate, in one trybuild run (one build of the SDK with only
//! the `typed` feature): chain nodes offer only catalogued segments (`tests/ui/keyword_segment.rs`,
//! `misspelled_segment.rs`, `wrong_continuation.rs`), `chain!` refuses templates the catalog lacks and
//! names the closest (`tests/ui/chain_*.rs`), and `#[derive(Endpoint)]` refuses misplaced attributes
//! (`tests/ui/typed_*.rs`). Each case's expected compiler output is its `.stderr` file beside it.
//!
//! These cases live in the macros package so that trybuild, which builds the crate under test with the
//! features of the test run, builds the SDK with `typed` alone rather than every typed group of a
//! `--all-features` run.

#[test]
fn mistakes_do_not_compile() {
    let t = trybuild::TestCases::new();
    for case in ["keyword_segment", "misspelled_segment", "wrong_continuation"] {
        t.compile_fail(format!("tests/ui/{case}.rs"));
    }
    t.compile_fail("tests/ui/chain_*.rs");
    t.compile_fail("tests/ui/typed_*.rs");
}
