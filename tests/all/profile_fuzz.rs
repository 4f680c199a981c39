//! No profile or metrics summary makes perfassist panic, abort or run away with memory: mutated
//! fixtures and generated documents (deep nesting, aliases, repeated keys, odd numbers and bytes)
//! through the readers in process, and the nastiest shapes through the real binary under a
//! memory limit, where a stack overflow or an allocation failure would kill it with a signal.

use std::path::Path;
use std::process::Command;

use perfassist::inputs::load_profile_bytes;
use perfassist::results;
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

/// Byte edits that hit what YAML and JSON parsers care about.
fn mutate() -> impl Strategy<Value = Vec<(usize, Vec<u8>, usize)>> {
    let piece = prop_oneof![
        Just(b"- ".to_vec()),
        Just(b"[".to_vec()),
        Just(b"{".to_vec()),
        Just(b"&a ".to_vec()),
        Just(b"*a".to_vec()),
        Just(b"<<: *a\n".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"'".to_vec()),
        Just(b"\n  ".to_vec()),
        Just(b": ".to_vec()),
        Just(b".nan".to_vec()),
        Just(b"1e308".to_vec()),
        Just(b"-0".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\t".to_vec()),
        prop::collection::vec(any::<u8>(), 1..6),
    ];
    // (position, bytes to insert, bytes to delete there)
    prop::collection::vec((any::<usize>(), piece, 0usize..4), 1..12)
}

fn apply(base: &[u8], edits: &[(usize, Vec<u8>, usize)]) -> Vec<u8> {
    let mut out = base.to_vec();
    for (at, insert, delete) in edits {
        let at = at % (out.len() + 1);
        let end = (at + delete).min(out.len());
        out.splice(at..end, insert.iter().copied());
    }
    out
}

/// Nested block or flow collections, mappings and sequences mixed, with repeated keys.
fn nested() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("1".to_string()),
        Just("x".to_string()),
        Just(".inf".to_string()),
        Just("~".to_string()),
        Just("*a".to_string()),
    ];
    leaf.prop_recursive(80, 400, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(("[a-c]", inner), 0..4).prop_map(|v| {
                let body: Vec<String> = v.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", body.join(", "))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_profiles_never_panic(edits in mutate(), json in any::<bool>()) {
        let (name, base) = if json {
            ("p.json", fixture("prod-data-profile.json"))
        } else {
            ("p.yaml", fixture("checkout-profile.yaml"))
        };
        let _ = load_profile_bytes(name, &apply(&base, &edits));
    }

    #[test]
    fn mutated_summaries_never_panic(edits in mutate(), csv in any::<bool>()) {
        let (name, base) = if csv {
            ("m.csv", fixture("metrics-passing.csv"))
        } else {
            ("m.json", fixture("metrics-passing.json"))
        };
        let _ = results::read(name, &apply(&base, &edits));
    }

    #[test]
    fn generated_documents_never_panic(doc in nested(), anchor in any::<bool>()) {
        let text = if anchor {
            format!("service: a\nbase: &a {doc}\nslo: {doc}\ntraffic: *a\n")
        } else {
            format!("service: a\nslo: {doc}\n")
        };
        let _ = load_profile_bytes("p.yaml", text.as_bytes());
        let _ = results::read("m.json", doc.as_bytes());
    }
}

/// Runs the binary under a 1 GiB address-space limit; `None` when a signal ended it.
fn run_limited(args: &[&str]) -> Option<i32> {
    let bin = env!("CARGO_BIN_EXE_perfassist");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1048576; exec '{bin}' {}",
            quoted.join(" ")
        ))
        .output()
        .unwrap()
        .status;
    status.code()
}

#[test]
fn the_nastiest_shapes_end_with_an_exit_code_not_a_signal() {
    let dir = tempfile::tempdir().unwrap();
    let mut alias_bomb = String::from("service: a\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        alias_bomb.push_str(&format!(
            "l{i}: &l{i} [{}]\n",
            vec![format!("*l{}", i - 1); 10].join(", ")
        ));
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("block.yaml", format!("service: x\nsummary:\n{}x\n", "- ".repeat(30_000)).into_bytes()),
        ("flow.yaml", format!("service: x\nslo: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
        ("maps.yaml", {
            let mut t = String::from("service: x\n");
            for i in 0..5_000 {
                t.push_str(&" ".repeat(i));
                t.push_str("k:\n");
            }
            t.into_bytes()
        }),
        ("bomb.yaml", alias_bomb.into_bytes()),
        ("deep.json", format!("{{\"service\": \"x\", \"slo\": {}1{}}}", "[".repeat(200_000), "]".repeat(200_000)).into_bytes()),
        ("keys.json", {
            let body: Vec<String> = (0..200_000).map(|i| format!("\"k{i}\": {i}")).collect();
            format!("{{{}}}", body.join(",")).into_bytes()
        }),
        ("nul.yaml", b"service: a\0b\ntraffic: {peak_rps: 1}\n".to_vec()),
        ("huge.yaml", b"service: a\ntraffic:\n  baseline_rps: 1e308\n  peak_rps: 1e308\n  burst_factor: 1e308\nslo: {error_rate: 0.01}\nendpoints: [{path: /x, method: GET}]\n".to_vec()),
    ];
    for (name, bytes) in &cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let p = path.to_str().unwrap();
        for args in [
            vec!["validate", "--profile", p],
            vec!["plan", "--profile", p],
            vec!["results", "--metrics", p],
        ] {
            let code = run_limited(&args);
            assert!(
                matches!(code, Some(0..=2)),
                "{args:?} ended with {code:?}, not an exit code of 0, 1 or 2"
            );
        }
    }
}
