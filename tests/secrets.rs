//! No password is ever printed: every path issue 11 found (a malformed `.env` line, unencoded
//! `?`, `/` or `@` in the password, a malformed `postgres:/` URL, duplicate or percent-encoded
//! `password` query keys), in every output format, through the real binary; then the same over
//! generated passwords and URL shapes.

mod support;
use proptest::prelude::*;
use support::*;

/// A project with the files `status` needs, so that it gets as far as connecting.
fn project() -> Project {
    let p = Project::new();
    p.write("strata.toml", "").write("migrations/.gitkeep", "");
    p
}

/// Runs `args` in every format and checks the exit code, a fragment that proves the path was
/// taken, and that `secret` appears nowhere.
#[track_caller]
fn never_shows(
    p: &Project,
    env: &[(&str, &str)],
    args: &[&str],
    code: i32,
    proof: &str,
    secret: &str,
) {
    for format in ["text", "json", "github"] {
        let mut cmd = strata_cmd(p.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.args(args).args(["--format", format]);
        let r = Run::from(
            cmd.output()
                .unwrap_or_else(|e| panic!("cannot run strata: {e}")),
        );
        r.assert_code(code)
            .assert_contains(proof)
            .assert_not_contains(secret);
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&r.stdout)
                .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", r.stdout));
            assert_eq!(v["error"]["exit_code"], code, "{v}");
        }
        if format == "github" {
            r.assert_contains("::error");
        }
    }
}

#[test]
fn malformed_env_line_is_not_shown() {
    let p = project();
    p.write(
        ".env",
        "OK=1\nDATABASE_URL postgres://app:Hx7envline@127.0.0.1:1/app\n",
    );
    never_shows(
        &p,
        &[],
        &["status"],
        2,
        ".env:2: invalid .env line",
        "Hx7envline",
    );
    p.write(".env", "postgres://app:Hx8envline@127.0.0.1:1/app\n");
    never_shows(
        &p,
        &[],
        &["status"],
        2,
        ".env:1: invalid .env line",
        "Hx8envline",
    );
    p.write(".env", "DB PASSWORD=Hx9envline\n");
    never_shows(&p, &[], &["status"], 2, "not a variable name", "Hx9envline");
}

#[test]
fn unencoded_question_mark_slash_and_at_in_the_password() {
    let p = project();
    for url in [
        "postgres://app:pa?Qw1unenc@127.0.0.1:1/app",
        "postgres://app:pa/Qw1unenc@127.0.0.1:1/app",
        "postgres://app:pa@Qw1unenc@127.0.0.1:1/app",
        "postgres://app:pa#Qw1unenc:x@127.0.0.1:1/app",
    ] {
        never_shows(
            &p,
            &[],
            &["status", "--database-url", url],
            2,
            "cannot connect to postgres://app:***@",
            "Qw1unenc",
        );
        never_shows(
            &p,
            &[("DATABASE_URL", url)],
            &["status"],
            2,
            "cannot connect",
            "Qw1unenc",
        );
    }
}

#[test]
fn malformed_postgres_url() {
    let p = project();
    for url in [
        "postgres:/app:Mf2shape@127.0.0.1:1/app",
        "postgres:app:Mf2shape@127.0.0.1:1/app",
        "postgress://app:Mf2shape@127.0.0.1:1/app",
    ] {
        never_shows(
            &p,
            &[],
            &["status", "--database-url", url],
            2,
            "invalid connection string",
            "Mf2shape",
        );
    }
    p.write(
        ".env",
        "DATABASE_URL=postgres:/app:Mf3shape@127.0.0.1:1/app\n",
    );
    never_shows(
        &p,
        &[],
        &["status"],
        2,
        "invalid connection string",
        "Mf3shape",
    );
}

#[test]
fn duplicate_and_percent_encoded_password_keys() {
    let p = project();
    for url in [
        "postgres://127.0.0.1:1/app?user=app&password=Dk4first&password=Dk4second",
        "postgres://127.0.0.1:1/app?p%61ssword=Dk4first",
        "postgres://127.0.0.1:1/app?%70assword=Dk4first&PASSWORD=Dk4second",
    ] {
        never_shows(
            &p,
            &[],
            &["status", "--database-url", url],
            2,
            "cannot connect",
            "Dk4",
        );
    }
}

#[test]
fn environment_urls_and_other_url_flags() {
    let p = project();
    p.write(
        "strata.toml",
        "[environments.staging]\nurl = \"postgres://app:En5staging@127.0.0.1:1/app\"\n",
    );
    never_shows(
        &p,
        &[],
        &["status", "--env", "staging"],
        2,
        "cannot connect",
        "En5staging",
    );
    never_shows(
        &p,
        &[],
        &[
            "diff",
            "--from",
            "postgres://a:En6from@127.0.0.1:1/x",
            "--to",
            "postgres://a:En6to@127.0.0.1:1/y",
        ],
        2,
        "cannot connect",
        "En6",
    );
}

/// A password with URL-breaking characters around a random core that must never be printed.
fn password() -> impl Strategy<Value = (String, String)> {
    let nasty = prop::collection::vec(
        prop::sample::select("?/@:#&=%+!$*()[];,.~'\"".chars().collect::<Vec<_>>()),
        0..5,
    );
    ("[A-Z][a-zA-Z0-9]{9}", nasty.clone(), nasty).prop_map(|(core, a, b)| {
        // Starts with a letter: a password that breaks the authority then reads as a bad port,
        // never as a host name to look up.
        let a: String = a.into_iter().collect();
        let b: String = b.into_iter().collect();
        (format!("Z{a}{core}{b}"), core)
    })
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_generated_password_is_printed_by_the_binary(
        (pw, core) in password(),
        shape in 0usize..6,
        via in 0usize..4,
        format in prop::sample::select(vec!["text", "json", "github"]),
    ) {
        let url = match shape {
            0 => format!("postgres://app:{pw}@127.0.0.1:1/app"),
            1 => format!("postgresql://app:{pw}@127.0.0.1:1/app?sslmode=disable"),
            2 => format!("postgres:/app:{pw}@127.0.0.1:1/app"),
            3 => format!("postgres://127.0.0.1:1/app?user=app&password={}", encode(&pw)),
            4 => format!("postgres://127.0.0.1:1/app?password={0}&password={0}", encode(&pw)),
            _ => format!("postgres://127.0.0.1:1/app?p%61ssword={}", encode(&pw)),
        };
        let p = project();
        let mut cmd = strata_cmd(p.path());
        match via {
            0 => { cmd.args(["--database-url", &url]); }
            1 => { cmd.env("DATABASE_URL", &url); }
            2 => { p.write(".env", &format!("DATABASE_URL='{url}'\n")); }
            _ => { p.write(".env", &format!("DATABASE_URL {url}\n")); }
        }
        cmd.args(["status", "--format", format]);
        let r = Run::from(cmd.output().map_err(|e| TestCaseError::fail(e.to_string()))?);
        prop_assert_eq!(r.code, 2, "{}", r.all());
        prop_assert!(!r.all().contains(&core), "{url} via {via}:\n{}", r.all());
    }
}
